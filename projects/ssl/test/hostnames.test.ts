import { checkHostname } from "../src/scanner/hostnames";
import { collectHostnames } from "../src/scanner/scan";
import { parseDistinguishedName, parseSubjectAltName, signatureAlgorithm } from "../src/scanner/certificate";
import { issue } from "./pki";
import * as forge from "node-forge";

describe("checkHostname (RFC 1123)", () => {
  it.each([
    ["example.com", "example.com"],
    ["WWW.Example.COM.", "www.example.com"],
    ["a-b.c0.example", "a-b.c0.example"],
    ["1password.com", "1password.com"],
    [`${"a".repeat(63)}.test`, `${"a".repeat(63)}.test`],
  ])("accepts %s", (raw, name) => {
    expect(checkHostname(raw)).toEqual({ ok: true, name });
  });

  it.each([
    ["x;rm -rf /", /label has characters/],
    ["$(reboot).test", /label has characters/],
    ["`id`.test", /label has characters/],
    ["a\nb.test", /label has characters/],
    ["a b.test", /label has characters/],
    ["-lead.test", /label has characters/],
    ["trail-.test", /label has characters/],
    ["under_score.test", /label has characters/],
    ["*.wildcard.test", /label has characters/],
    [`${"a".repeat(64)}.test`, /longer than 63/],
    [`${"abcdefghi.".repeat(26)}test`, /longer than 253/],
    ["a..b", /empty label/],
    ["", /empty/],
    [".", /empty/],
    ["10.0.0.1", /all-numeric/],
    ["127.0.0.1-3", /address range/],
    ["10.0-255.0-255.1-254", /address range/],
    ["0x7f000001", /hexadecimal/],
    ["bücher.test", /label has characters/],
  ])("rejects %j", (raw, reason) => {
    const r = checkHostname(raw);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it("rejects non-strings", () => {
    expect(checkHostname(42)).toEqual({ ok: false, reason: "not a string" });
    expect(checkHostname(null)).toEqual({ ok: false, reason: "not a string" });
  });

  it("caps the names per scan and reports the overflow", () => {
    const r = collectHostnames([["event", ["a.test", "b.test", "c.test", "bad name"]]], 2);
    expect(r.hostnames.map((h) => h.name)).toEqual(["a.test", "b.test"]);
    expect(r.rejectedHostnames).toEqual([
      { name: "c.test", reason: "over the limit of 2 names per scan" },
      { name: '"bad name"', reason: expect.stringMatching(/label/) },
    ]);
  });

  it("bounds the reported form of an overlong rejected name", () => {
    const r = collectHostnames([["dns", ["x".repeat(5000)]]], 4);
    expect(r.rejectedHostnames[0].name.length).toBeLessThanOrEqual(300);
  });
});

describe("certificate field helpers", () => {
  it("reads the signature algorithm from DER", () => {
    const c = issue({ cn: "sig.test" });
    const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(c.cert)).getBytes(), "binary");
    expect(signatureAlgorithm(der)).toBe("sha256WithRSAEncryption");
    expect(signatureAlgorithm(Buffer.from([0x30, 0x82, 0xff]))).toBe("unknown");
  });

  it("splits distinguished names and subjectAltName text", () => {
    expect(parseDistinguishedName("C=GB\nO=Acme, Ltd\nCN=a\nCN=b")).toEqual({
      C: "GB",
      O: "Acme, Ltd",
      CN: "a, b",
    });
    expect(
      parseSubjectAltName('DNS:a.test, DNS:"b,c.test", IP Address:127.0.0.1, IP Address:::1, email:x@y'),
    ).toEqual({
      dns: ["a.test", "b,c.test"],
      ip: ["127.0.0.1", "::1"],
    });
    expect(parseSubjectAltName(undefined)).toEqual({ dns: [], ip: [] });
  });
});
