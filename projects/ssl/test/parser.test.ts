import { createParseTools } from "@sec-an/runtime";
import {
  MalformedJsonError,
  SchemaError,
  type DocumentCollection,
  type RawResult,
  type SslScanResult,
} from "@sec-an/contracts";
import { PARSER_VERSION, chainStatus, parse, weakKey } from "../src/parser/parse";
import { scanTls } from "../src/scanner/scan";
import { issue, type Issued } from "./pki";
import { closedPort, startTlsServer, type TestServer } from "./servers";
import { portEvent } from "./fixtures";

function raw(result: unknown, body?: string): RawResult {
  return {
    key: "ssl/2026/11/23/scan-1.json",
    body: Buffer.from(body ?? JSON.stringify(result)),
    metadata: {
      scanId: "scan-1",
      task: "ssl",
      scanStartTime: "2026-11-23T10:00:00.000Z",
      scanEndTime: "2026-11-23T10:00:05.000Z",
      request: portEvent(443),
    },
  };
}

async function run(result: unknown, body?: string) {
  const r = raw(result, body);
  const tools = createParseTools({
    task: "ssl",
    metadata: r.metadata,
    rawKey: r.key,
    parserVersion: PARSER_VERSION,
  });
  await parse(r, tools);
  const messages = tools.messages().map((m) => m.message as DocumentCollection);
  const docs = (type: string) => messages.flatMap((m) => (m.docs[type] ?? []).map((d) => d.data));
  return { messages, docs };
}

describe("ssl parser", () => {
  let ca: Issued;
  let server: TestServer;
  let scanned: SslScanResult;

  beforeAll(async () => {
    ca = issue({ cn: "Parser Test Root", org: "Parser Test CA", isCa: true, notAfterDays: 3650 });
    const intermediate = issue({
      cn: "Parser Test Issuing CA",
      org: "Parser Test CA",
      isCa: true,
      issuer: ca,
      notAfterDays: 1000,
    });
    const leaf = issue({ cn: "good.test", dnsNames: ["good.test"], issuer: intermediate, notAfterDays: 40 });
    server = await startTlsServer({ cert: leaf, chain: [intermediate] });
    scanned = await scanTls(portEvent(server.port, ["good.test", "other.test"]), {
      extraCAs: [ca.certPem],
      timeoutMs: 3000,
    });
  });
  afterAll(() => server.close());

  it("publishes one collection per scan with endpoint, certificate and protocol documents", async () => {
    const { messages, docs } = await run(scanned);
    expect(messages).toHaveLength(1);
    expect(messages[0].lineage).toMatchObject({
      parserVersion: PARSER_VERSION,
      rootScanId: "root-1",
      parentScanId: "nmap-1",
      depth: 1,
    });
    expect(docs("protocol").map((d) => [d.protocol_version, d.accepted])).toEqual([
      ["TLSv1", false],
      ["TLSv1.1", false],
      ["TLSv1.2", true],
      ["TLSv1.3", true],
    ]);
    const endpoints = Object.fromEntries(docs("endpoint").map((d) => [d.hostname as string, d]));
    expect(endpoints["good.test"]).toMatchObject({
      address: "127.0.0.1",
      address_type: "ipv4",
      port: server.port,
      chain_status: "valid",
      chain_valid: true,
      hostname_mismatch: false,
      // served leaf + intermediate, completed by Node with the trusted root from the store
      chain_length: 3,
      served_chain_length: 2,
      root_served: false,
      leaf_subject_cn: "good.test",
      leaf_issuer_cn: "Parser Test Issuing CA",
      root_ca_cn: "Parser Test Root",
      root_ca_o: "Parser Test CA",
      weakest_protocol: "TLSv1.2",
      legacy_protocols: false,
      tls1_2: true,
      tls1_0: false,
      summary_hostname_mismatch: true,
      summary_chain_valid: true,
      summary_key_bits: 2048,
    });
    expect(endpoints["good.test"].days_to_expiry).toBeGreaterThanOrEqual(39);
    expect(endpoints["other.test"]).toMatchObject({
      chain_status: "invalid",
      chain_valid: true,
      hostname_mismatch: true,
    });
    const certs = docs("certificate");
    expect(certs).toHaveLength(6);
    expect(
      certs
        .filter((c) => c.hostname === "good.test")
        .map((c) => [c.depth, c.subject_cn, c.chain_top, c.is_ca, c.served]),
    ).toEqual([
      [0, "good.test", false, false, true],
      [1, "Parser Test Issuing CA", false, true, true],
      [2, "Parser Test Root", true, true, false],
    ]);
  });

  it("never calls a chain valid when verification failed (the original's defect)", async () => {
    const { docs } = await run({
      ...scanned,
      endpoints: scanned.endpoints.map((e) => ({
        ...e,
        verification: { trusted: false, error: "CERT_HAS_EXPIRED" },
      })),
    });
    for (const d of docs("endpoint")) {
      expect(d.chain_status).toBe("invalid");
      expect(d.verify_error).toBe("CERT_HAS_EXPIRED");
      expect(d.summary_chain_valid).toBe(false);
    }
  });

  it("reports an unreachable port as no TLS, with no certificates", async () => {
    const down = await scanTls(portEvent(await closedPort(), []), { timeoutMs: 1000 });
    const { docs } = await run(down);
    expect(docs("endpoint")).toEqual([
      expect.objectContaining({
        hostname: null,
        sni: false,
        chain_status: "no_tls",
        weakest_protocol: null,
        summary_days_to_expiry: null,
        summary_chain_valid: null,
      }),
    ]);
    expect(docs("certificate")).toEqual([]);
  });

  it("gives the same keys when the same result is parsed twice (idempotent re-ingest)", async () => {
    const keys = async () =>
      (await run(scanned)).messages
        .flatMap((m) => Object.values(m.docs).flatMap((d) => d.map((x) => x.nonTemporalKey)))
        .sort();
    const a = await keys();
    expect(a).toEqual(await keys());
    expect(new Set(a).size).toBe(a.length);
  });

  it("rejects a body that is not JSON or not an ssl result, naming the problem", async () => {
    await expect(run(null, "{not json")).rejects.toThrow(MalformedJsonError);
    await expect(run({ ...scanned, port: 0 })).rejects.toThrow(SchemaError);
    await expect(run({ ...scanned, version: 2 })).rejects.toThrow(/version/);
  });

  it("classifies weak keys and chain status", () => {
    expect(weakKey({ keyType: "rsa", keyBits: 1024 })).toBe(true);
    expect(weakKey({ keyType: "rsa", keyBits: 2048 })).toBe(false);
    expect(weakKey({ keyType: "ec", keyBits: 256 })).toBe(false);
    expect(weakKey({ keyType: "ec", keyBits: 160 })).toBe(true);
    const leaf = scanned.endpoints[0].chain[0];
    const base = { hostname: "x.test", connected: true, chain: [leaf], verification: { trusted: true } };
    expect(chainStatus(base)).toBe("valid");
    expect(chainStatus({ ...base, hostnameMatch: { matches: false } })).toBe("invalid");
    expect(chainStatus({ ...base, chain: [{ ...leaf, expired: true }] })).toBe("invalid");
    expect(chainStatus({ ...base, connected: false })).toBe("no_tls");
  });
});
