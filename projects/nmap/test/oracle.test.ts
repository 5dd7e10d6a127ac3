import { readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { createParseTools } from "@sec-an/runtime";
import type { RawResult } from "@sec-an/contracts";
import { NmapXmlError, NmapXmlStream, PARSER_VERSION, parseNmapResult, readNmapXml } from "../src/parser";
import * as oracle from "./oracle";
import { fixture, rawResult } from "./helpers";
import { hostileNmapXml } from "./hostile";
import { syntheticNmapXml } from "./synthetic";

/**
 * The streaming parser against the tree parser it replaced (fast-xml-parser, kept test-only in
 * ./oracle as it was): the same typed run and byte-identical messages (ids, documents, parts) for every
 * fixture, the synthetic and hostile reports, and generated reports with awkward values.
 */

const parsedAt = new Date("2026-11-23T10:06:00.000Z");

function bodies(raw: RawResult, parse: typeof parseNmapResult | typeof oracle.parseNmapResult) {
  const tools = createParseTools({
    task: "nmap",
    metadata: raw.metadata,
    rawKey: raw.key,
    parserVersion: PARSER_VERSION,
    parsedAt,
  });
  const run = parse(raw, tools);
  return { failed: run.failedHosts, bodies: tools.messages().map((m) => m.body) };
}

function expectSame(xml: Buffer | string) {
  expect(readNmapXml(xml)).toEqual(oracle.readNmapXml(xml));
  const raw = rawResult(xml);
  expect(bodies(raw, parseNmapResult)).toEqual(bodies(raw, oracle.parseNmapResult));
}

const fixtures = readdirSync(join(__dirname, "fixtures")).filter((f) => f.endsWith(".xml"));

describe("streaming parser = the tree parser it replaced", () => {
  it.each(fixtures)("fixture %s", (name) => expectSame(fixture(name)));

  it("a synthetic report (vulners, TLS, CPEs, DOCTYPE)", () =>
    expectSame(syntheticNmapXml({ hosts: 40, portsPerHost: 4, cvesPerPort: 3, tlsEvery: 2 })));

  it("a hostile report (multi-MB fields, cut to size)", () =>
    expectSame(hostileNmapXml({ bannerBytes: 300_000, hostnames: 3 })));

  it("the same bytes fed in chunks of any size", () => {
    const xml = Buffer.from(fixture("loopback-http-tls.xml").toString().replace(/ssl/g, "sslé"));
    const whole = readNmapXml(xml);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (size) => {
        const hosts: unknown[] = [];
        const s = new NmapXmlStream((h) => hosts.push(h));
        for (let i = 0; i < xml.length; i += size) s.write(xml.subarray(i, i + size));
        expect({ ...s.end(), hosts }).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });

  // Values a host controls, with literal and encoded whitespace at either end, entities and non-ASCII.
  const value = fc
    .array(
      fc.constantFrom(
        " ",
        "\t",
        "&#xa;",
        "&#9;",
        "&lt;",
        "&amp;",
        "&quot;",
        "&#45;",
        "a",
        "Z",
        "é",
        "中",
        "0",
        "-",
        "/",
      ),
      { maxLength: 12 },
    )
    .map((xs) => xs.join(""));

  it("generated hosts with awkward values", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value, value, value), { minLength: 1, maxLength: 4 }), (hosts) => {
        const xml = `<?xml version="1.0"?>\n<nmaprun version="7.93" args="${hosts[0][0]}">${hosts
          .map(
            ([product, output, elem, name], i) =>
              `<host><status state="up"/><address addr="10.0.0.${i}" addrtype="ipv4"/><hostnames><hostname name="${name}" type="PTR"/></hostnames>` +
              `<ports><port protocol="tcp" portid="${i + 1}"><state state="open"/><service name="http" product="${product}"><cpe>${elem}</cpe></service>` +
              `<script id="vulners" output="${output}"><table key="cpe:/a:x:${i}"><table><elem key="id">CVE-${i}</elem><elem key="cvss">${elem}</elem></table></table></script>` +
              `<script id="x" output="${output}"><elem key="k">${elem}</elem><elem>${elem}</elem></script></port></ports>` +
              `<os><osmatch name="${name}x" accuracy="9"/></os></host>\n`,
          )
          .join("")}<runstats><finished time="1795430100"/></runstats></nmaprun>`;
        expectSame(xml);
      }),
      { numRuns: 150 },
    );
  });
});

describe("malformed XML", () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      "a mismatched close",
      `<nmaprun><host></hosts></nmaprun>`,
      /at byte 15: closing tag <\/hosts> does not match <host>/,
    ],
    ["a cut-short report", `<nmaprun><host><status state="up"/>`, /at byte 35: .*<host> is not closed/],
    [
      "an unquoted attribute",
      `<nmaprun><host a=1></host></nmaprun>`,
      /at byte 14: malformed attribute in <host>/,
    ],
    ["an undefined entity", `<nmaprun version="&nbsp;"></nmaprun>`, /at byte 8: undefined entity &nbsp;/],
    ["a bare ampersand in text", `<nmaprun><host><elem>a & b</elem></host></nmaprun>`, /bare "&"/],
    ["a second root", `<nmaprun></nmaprun><nmaprun></nmaprun>`, /at byte 19: a second root element/],
    ["text after the root", `<nmaprun></nmaprun>junk`, /at byte 19: text outside the root element/],
  ];
  it.each(cases)("%s fails with the byte offset and reason", (_, xml, reason) => {
    let err: unknown;
    try {
      readNmapXml(xml);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NmapXmlError);
    expect((err as Error).message).toMatch(reason);
    expect((err as NmapXmlError).offset).toEqual(expect.any(Number));
  });

  it("counts the offset in bytes, not characters", () => {
    expect(() => readNmapXml(`<nmaprun version="ééé"><host></x></host></nmaprun>`)).toThrow(/at byte 32:/);
  });
});
