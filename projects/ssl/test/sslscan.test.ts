import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { XMLParser } from "fast-xml-parser";
import { scanTls } from "../src/scanner/scan";
import { issue, rsaKey, sharedKey, type Issued } from "./pki";
import { startTlsServer, type TestServer } from "./servers";
import { portEvent } from "./fixtures";

/**
 * Cross-check against Debian's sslscan on the same loopback servers: protocol support and certificate
 * facts must agree. sslscan runs from an argument vector (no shell) and reports XML on stdout.
 */
const run = promisify(execFile);

interface SslscanFacts {
  protocols: Record<string, boolean>;
  subject: string;
  keyBits: number;
  notAfter: Date;
  selfSigned: boolean;
}

async function sslscan(port: number, sni: string): Promise<SslscanFacts> {
  const { stdout } = await run(
    "sslscan",
    ["--xml=-", "--no-colour", "--no-cipher-details", `--sni-name=${sni}`, `127.0.0.1:${port}`],
    { timeout: 30_000 },
  );
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(
    stdout.slice(stdout.indexOf("<?xml")),
  );
  const test = doc.document.ssltest;
  const protocols: Record<string, boolean> = {};
  for (const p of test.protocol)
    if (p.type === "tls")
      protocols[["1", "1.0"].includes(String(p.version)) ? "TLSv1" : `TLSv${p.version}`] =
        String(p.enabled) === "1";
  const cert = test.certificates.certificate;
  return {
    protocols,
    subject: String(cert.subject),
    keyBits: Number(cert.pk.bits),
    notAfter: new Date(cert["not-valid-after"]),
    selfSigned: String(cert["self-signed"]) === "true",
  };
}

describe("agreement with sslscan", () => {
  let ca: Issued;
  const servers: TestServer[] = [];
  beforeAll(() => {
    ca = issue({ cn: "sslscan Test Root", isCa: true, notAfterDays: 3650 });
  });
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  const cases: Array<[string, () => Parameters<typeof startTlsServer>[0]]> = [
    [
      "legacy (TLS 1.0-1.3), 1024-bit key",
      () => ({
        cert: issue({
          cn: "legacy.test",
          dnsNames: ["legacy.test"],
          issuer: ca,
          key: sharedKey(1024),
          notAfterDays: 17,
        }),
        legacy: true,
      }),
    ],
    [
      "TLS 1.2 only, expired",
      () => ({
        cert: issue({
          cn: "t12.test",
          dnsNames: ["t12.test"],
          issuer: ca,
          notBeforeDays: -60,
          notAfterDays: -2,
        }),
        maxVersion: "TLSv1.2" as const,
      }),
    ],
    [
      "TLS 1.3 only, self-signed",
      () => ({
        cert: issue({ cn: "t13.test", dnsNames: ["t13.test"], notAfterDays: 400, key: rsaKey(2048) }),
        minVersion: "TLSv1.3" as const,
      }),
    ],
  ];

  it.each(cases)("%s", async (_name, make) => {
    const opts = make();
    const s = await startTlsServer(opts);
    servers.push(s);
    const name = opts.cert.cert.subject.getField("CN").value as string;
    const [ours, theirs] = await Promise.all([
      scanTls(portEvent(s.port, [name]), { timeoutMs: 5000 }),
      sslscan(s.port, name),
    ]);

    const ourProtocols = Object.fromEntries(ours.protocols.map((p) => [p.protocol, p.accepted]));
    expect(ourProtocols).toEqual(theirs.protocols);
    const leaf = ours.endpoints[0].chain[0];
    expect(leaf.subject.CN).toBe(theirs.subject);
    expect(leaf.keyBits).toBe(theirs.keyBits);
    expect(new Date(leaf.validTo).getTime()).toBe(theirs.notAfter.getTime());
    expect(leaf.selfSigned).toBe(theirs.selfSigned);
  });
});
