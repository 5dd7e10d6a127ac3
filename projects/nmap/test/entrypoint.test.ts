import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { Env, NmapEnv } from "@sec-an/contracts";
import { createParseTools, getRawResult } from "@sec-an/runtime";
import { s3ClientConfig, uniqueName } from "@sec-an/testing";
import { configFromEnv, main, runNmap, scan, NmapFailedError } from "../src/entrypoint";
import { PARSER_VERSION, parseNmapResult } from "../src/parser";
import { SERVER_HEADER, closedPort, startHttpV6, startServers } from "./servers";

/**
 * The real entrypoint, the real nmap (Debian's, with its NSE scripts) against real HTTP and TLS servers
 * on 127.0.0.1, storing into a fauxqs bucket; then the real parser on what was stored.
 */
jest.setTimeout(180_000);

const s3 = new S3Client(s3ClientConfig());
const bucket = uniqueName("nmap-results").toLowerCase();
let servers: Awaited<ReturnType<typeof startServers>>;
let closed: number;

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  servers = await startServers();
  closed = await closedPort();
});
afterAll(async () => {
  await servers?.close();
  s3.destroy();
});

const env = (request: unknown, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  [Env.scanRequest]: JSON.stringify(request),
  [Env.scanRequestId]: "msg-0001",
  [Env.resultsBucket]: bucket,
  ...extra,
});

describe("nmap entrypoint against loopback servers", () => {
  it("scans, stores the XML with the request as metadata, and the parser finds the services", async () => {
    const request = {
      target: "127.0.0.1",
      requestedAt: "2026-11-23T10:00:00.000Z",
      ports: `${servers.httpPort},${servers.httpsPort},${closed}`,
    };
    const result = await scan(configFromEnv(env(request, { [NmapEnv.timeoutSeconds]: "150" })), { s3 });
    expect(result.key).toMatch(/^nmap\/\d{4}\/\d{2}\/\d{2}\/msg-0001\.xml$/);

    const raw = await getRawResult(bucket, result.key, s3);
    expect(raw.metadata).toMatchObject({ scanId: "msg-0001", task: "nmap", request });
    expect(raw.body.toString("utf8")).toContain("</nmaprun>");

    const tools = createParseTools({
      task: "nmap",
      metadata: raw.metadata,
      rawKey: raw.key,
      parserVersion: PARSER_VERSION,
    });
    const run = parseNmapResult(raw, tools);
    expect(run.hosts).toHaveLength(1);
    const ports = new Map(run.hosts[0].ports.map((p) => [p.portId, p]));
    expect(ports.get(servers.httpPort)?.state).toBe("open");
    expect(ports.get(servers.httpsPort)?.state).toBe("open");
    expect(ports.get(closed)?.state).toBe("closed");

    const docs: Record<string, unknown>[] = tools
      .messages()
      .flatMap((m) => Object.entries(m.message.docs).flatMap(([t, ds]) => ds.map((d) => ({ t, ...d.data }))));
    const http = docs.find((d) => d.t === "ports" && d.port_id === servers.httpPort)!;
    expect(http.http_server_header).toEqual([SERVER_HEADER]);
    expect(http).toMatchObject({ service: "http", product: "nginx" });
    const cert = docs.find((d) => d.t === "ssl_cert")!;
    expect(cert).toMatchObject({
      port_id: servers.httpsPort,
      subject_common_name: "tls.sec-an.test",
      self_signed: true,
    });
    expect(cert.expiry_days_at_scan as number).toBeGreaterThanOrEqual(43);
    expect(cert.expiry_days_at_scan as number).toBeLessThanOrEqual(45);
    expect(docs.filter((d) => d.t === "ssl_protos").map((d) => d.ssl_protocol)).toContain("TLSv1.2");
    expect(docs.filter((d) => d.t === "ssl_ciphers").length).toBeGreaterThan(0);
    const data = docs.find((d) => d.t === "data")!;
    expect(data).toMatchObject({ status: "up", open_port_count: 2 });
    expect(["A", "B", "C", "D", "E", "F"]).toContain(data.summary_lowest_ssl_strength);
  });

  it("scans an IPv6 target (nmap needs -6) and stores an ipv6 host", async () => {
    const v6 = await startHttpV6();
    try {
      const request = { target: "::1", requestedAt: "2026-11-23T10:00:00.000Z", ports: String(v6.port) };
      const result = await scan(configFromEnv({ ...env(request), [Env.scanRequestId]: "msg-v6" }), { s3 });
      const raw = await getRawResult(bucket, result.key, s3);
      const tools = createParseTools({
        task: "nmap",
        metadata: raw.metadata,
        rawKey: raw.key,
        parserVersion: PARSER_VERSION,
      });
      const run = parseNmapResult(raw, tools);
      expect(run.hosts.map((h) => [h.address, h.addressType])).toEqual([["::1", "ipv6"]]);
      expect(run.hosts[0].ports.map((p) => [p.portId, p.state, p.service?.name])).toEqual([
        [v6.port, "open", "http"],
      ]);
    } finally {
      await v6.close();
    }
  });

  it.each([
    ["127.0.0.1; touch /tmp/sec-an-pwned", /metacharacters|whitespace/],
    ["$(touch /tmp/sec-an-pwned)", /whitespace|metacharacters/],
    ["$(id)", /metacharacters/],
    ["`id`", /metacharacters/],
    ["127.0.0.1\n10.0.0.1", /whitespace or control/],
    ["-iL/etc/passwd", /starts with '-'/],
    [`${"a".repeat(64)}.example.com`, /longer than 63/],
  ])("refuses hostile target %j before running anything, and stores nothing", async (target, reason) => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((s) => (lines.push(String(s)), true));
    const hostileBucket = uniqueName("nmap-hostile").toLowerCase();
    await s3.send(new CreateBucketCommand({ Bucket: hostileBucket }));
    try {
      const code = await main(
        { ...env({ target, requestedAt: "2026-11-23T10:00:00.000Z" }), [Env.resultsBucket]: hostileBucket },
        { s3, nmapPath: "/nonexistent/nmap" },
      );
      expect(code).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(lines.join("")).toMatch(reason);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: hostileBucket }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });
});

describe("entrypoint configuration and process control", () => {
  it("names what is missing or malformed in the environment", () => {
    expect(() => configFromEnv({})).toThrow(Env.scanRequest);
    expect(() =>
      configFromEnv({ [Env.scanRequest]: "{", [Env.scanRequestId]: "a", [Env.resultsBucket]: "b" }),
    ).toThrow(/not valid JSON/);
    expect(() => configFromEnv(env({ target: "x" }))).toThrow(/requestedAt/);
    expect(() =>
      configFromEnv(
        env({ target: "192.0.2.1", requestedAt: "2026-11-23T10:00:00Z" }, { [NmapEnv.timeoutSeconds]: "-5" }),
      ),
    ).toThrow(NmapEnv.timeoutSeconds);
    const c = configFromEnv(
      env({ target: "192.0.2.1", requestedAt: "2026-11-23T10:00:00Z" }, { [NmapEnv.timeoutSeconds]: "60" }),
    );
    expect(c).toMatchObject({ timeoutSeconds: 60, hostTimeoutSeconds: 60, scanId: "msg-0001" });
  });

  it("kills a run that exceeds its budget", async () => {
    const started = Date.now();
    await expect(runNmap(["30"], { nmapPath: "sleep", timeoutMs: 300, killAfterMs: 1000 })).rejects.toThrow(
      /exceeded its 300 ms budget/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("reports a non-zero exit with nmap's own error text", async () => {
    await expect(runNmap(["--definitely-not-an-option"], { timeoutMs: 20_000 })).rejects.toThrow(
      NmapFailedError,
    );
    await expect(runNmap([], { nmapPath: "/nonexistent/nmap", timeoutMs: 1000 })).rejects.toThrow(
      /cannot start nmap/,
    );
  });
});
