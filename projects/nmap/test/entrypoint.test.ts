import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Attr, Env, NmapEnv, TaskBatch } from "@sec-an/contracts";
import { getRawResult } from "@sec-an/runtime";
import { awsClientConfig, s3ClientConfig, uniqueName } from "@sec-an/testing";
import {
  DEFAULT_PORTS_ENV,
  ExitCode,
  configFromEnv,
  main,
  resolveTarget,
  runNmap,
  scan,
  NmapFailedError,
  scanBatch,
} from "../src/entrypoint";
import { validateTarget } from "../src/targets";
import { parseRaw } from "./helpers";
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

    const { run, tools } = parseRaw(raw);
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
      const { run } = parseRaw(raw);
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
    // nmap octet ranges were accepted as "host names" and bypassed the /20 limit.
    ["127.0.0.1-3", /address range/],
    ["127.0-255.0-255.1-254", /address range/],
    ["127.0.0.1,2", /list/],
    ["0.0.0.0", /unspecified/],
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
      expect(code).toBe(ExitCode.invalidRequest);
    } finally {
      spy.mockRestore();
    }
    expect(lines.join("")).toMatch(reason);
    expect(lines.join("")).toMatch(/"reason":"invalid-target"/);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: hostileBucket }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });
});

describe("host names are resolved before nmap, and every address is checked", () => {
  it("scans a name through its resolved loopback address, passing nmap only the address", async () => {
    const request = {
      target: "localhost",
      requestedAt: "2026-11-23T10:00:00.000Z",
      ports: String(servers.httpPort),
    };
    let seen: string[] = [];
    const result = await scan(configFromEnv({ ...env(request), [Env.scanRequestId]: "msg-name" }), {
      s3,
      onScanStart: (i) => (seen = [...i.targets.targets]),
    });
    expect(seen).toEqual(["127.0.0.1"]);
    const raw = await getRawResult(bucket, result.key, s3);
    // The request, with the name the addresses came from, is the result's metadata.
    expect(raw.metadata.request).toMatchObject({ target: "localhost" });
    const xml = raw.body.toString("utf8");
    expect(xml).toMatch(/args="[^"]* -n -Pn 127\.0\.0\.1"/);
    expect(xml).toContain(`portid="${servers.httpPort}"`);
  });

  it("refuses a name that resolves to a never-scanned address, without running nmap", async () => {
    const lookup = async () => [
      { address: "127.0.0.1", family: 4 },
      { address: "169.254.169.254", family: 4 },
    ];
    await expect(resolveTarget(validateTarget("metadata.sec-an.test"), lookup)).rejects.toThrow(
      /resolves to 169\.254\.169\.254: .*link-local/,
    );
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((s) => (lines.push(String(s)), true));
    try {
      const code = await main(env({ target: "metadata.sec-an.test", requestedAt: "2026-11-23T10:00:00Z" }), {
        s3,
        lookup,
        nmapPath: "/nonexistent/nmap",
      });
      expect(code).toBe(ExitCode.invalidRequest);
    } finally {
      spy.mockRestore();
    }
    expect(lines.join("")).toMatch(/link-local addresses are never scanned/);
  });

  it("scans a name's IPv4 addresses, or its IPv6 ones when it has no IPv4, and bounds the count", async () => {
    const t = validateTarget("svc.sec-an.test");
    const both = async () => [
      { address: "::1", family: 6 },
      { address: "127.0.0.2", family: 4 },
      { address: "127.0.0.2", family: 4 },
    ];
    expect(await resolveTarget(t, both)).toEqual({
      targets: ["127.0.0.2"],
      ipv6: false,
      cidr: false,
      hostname: "svc.sec-an.test",
    });
    const v6 = async () => [{ address: "::1", family: 6 }];
    expect(await resolveTarget(t, v6)).toMatchObject({ targets: ["::1"], ipv6: true });
    const many = async () =>
      Array.from({ length: 4097 }, (_, i) => ({ address: `127.0.${i >> 8}.${i & 255}`, family: 4 }));
    await expect(resolveTarget(t, many)).rejects.toThrow(/4097 addresses; at most 4096/);
    const none = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND svc.sec-an.test"), { code: "ENOTFOUND" });
    };
    await expect(resolveTarget(t, none)).rejects.toThrow(/cannot resolve "svc.sec-an.test": .*ENOTFOUND/);
  });
});

describe("a failed upload exits non-zero with a line naming the reason", () => {
  it("exits with the upload-failed code after a real scan whose bucket is missing", async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((s) => (lines.push(String(s)), true));
    let code: number;
    try {
      code = await main(
        {
          ...env({ target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z", ports: String(closed) }),
          [Env.resultsBucket]: uniqueName("no-such-bucket").toLowerCase(),
        },
        { s3 },
      );
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(ExitCode.uploadFailed);
    const line = JSON.parse(lines.find((l) => l.includes("upload"))!);
    expect(line).toMatchObject({ level: "ERROR", reason: "upload-failed", error: "UploadFailedError" });
    expect(line.message).toMatch(/raw result upload to s3:\/\/no-such-bucket.* failed: NoSuchBucket/);
  });
});

describe("SIGTERM stops nmap and removes its working directory", () => {
  /** A service that accepts and never answers: nmap's service probes each wait for their timeouts. */
  async function tarpit() {
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      // nmap's probes end with resets; a reset is expected, not an error of the test.
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    return {
      port,
      close: () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    };
  }

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it.each(["SIGTERM", "SIGINT"] as const)("on %s, during a slow loopback scan", async (signal) => {
    const slow = await tarpit();
    const tmp = mkdtempSync(join(tmpdir(), "entrypoint-signal-"));
    try {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(__dirname, "../src/entrypoint/main.ts")],
        {
          cwd: join(__dirname, ".."),
          env: {
            PATH: process.env.PATH,
            TMPDIR: tmp,
            ...env({ target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z", ports: String(slow.port) }),
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
      const running = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`nmap did not start: ${out} ${err}`)), 60_000);
        child.stdout.on("data", () => {
          const line = out.split("\n").find((l) => l.includes('"nmap running"'));
          if (line) {
            clearTimeout(t);
            resolve(JSON.parse(line));
          }
        });
      });
      expect(alive(running.pid)).toBe(true);
      expect(existsSync(running.dir)).toBe(true);
      // Let nmap get into its service probes against the silent port.
      await new Promise((r) => setTimeout(r, 1500));
      child.kill(signal);
      const code = await exited;
      expect(code).toBe(ExitCode[signal]);
      expect(alive(running.pid)).toBe(false);
      expect(existsSync(running.dir)).toBe(false);
      expect(readdirSync(tmp).filter((d) => d.startsWith("nmap-"))).toEqual([]);
      expect(err).toMatch(new RegExp(`received ${signal}`));
      expect(err).toMatch(/"reason":"stopped"/);
    } finally {
      await slow.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("a default port list (the local run's demo services)", () => {
  it("scans only those ports when the request names none, and the request's own list wins", async () => {
    const req = { target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z" };
    const ports: string[] = [];
    const scanned = async (request: object, id: string) => {
      const config = configFromEnv({
        ...env(request),
        [Env.scanRequestId]: id,
        [DEFAULT_PORTS_ENV]: String(servers.httpPort),
      });
      const r = await scan(config, { s3 });
      const raw = await getRawResult(bucket, r.key, s3);
      ports.push(/-p (\S+)/.exec(raw.body.toString("utf8"))?.[1] ?? "none");
    };
    await scanned(req, "msg-default-ports");
    await scanned({ ...req, ports: String(closed) }, "msg-own-ports");
    expect(ports).toEqual([String(servers.httpPort), String(closed)]);
    expect(() => configFromEnv({ ...env(req), [DEFAULT_PORTS_ENV]: "1;rm" })).toThrow(DEFAULT_PORTS_ENV);
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
        env({ target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z" }, { [NmapEnv.timeoutSeconds]: "-5" }),
      ),
    ).toThrow(NmapEnv.timeoutSeconds);
    const c = configFromEnv(
      env({ target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z" }, { [NmapEnv.timeoutSeconds]: "60" }),
    );
    expect(c).toMatchObject({ timeoutSeconds: 60, hostTimeoutSeconds: 60, scanId: "msg-0001" });
  });

  it("exits with the invalid-request code when the request itself is malformed", async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((s) => (lines.push(String(s)), true));
    try {
      expect(await main({ ...env({}), [Env.scanRequest]: "{" }, { nmapPath: "/nonexistent/nmap" })).toBe(
        ExitCode.invalidRequest,
      );
      expect(await main(env({ target: "127.0.0.1" }), { nmapPath: "/nonexistent/nmap" })).toBe(
        ExitCode.invalidRequest,
      );
    } finally {
      spy.mockRestore();
    }
    expect(lines.join("")).toMatch(/"reason":"malformed"/);
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

describe("a task scanning several targets (SCAN_REQUESTS)", () => {
  const sqs = new SQSClient(awsClientConfig());
  const listeners: Server[] = [];
  let dlqUrl: string;
  /** A demo HTTP listener on each of 127.0.0.1, .2 and .3 (Linux routes all of 127/8 to lo). */
  const demo: { address: string; port: number }[] = [];

  beforeAll(async () => {
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("nmap-batch-dlq") }))).QueueUrl!;
    for (const address of ["127.0.0.1", "127.0.0.2", "127.0.0.3"]) {
      const server = createHttpServer((_req, res) => {
        res.writeHead(200, { Server: SERVER_HEADER, "Content-Type": "text/plain" });
        res.end(`demo ${address}`);
      });
      await new Promise<void>((r) => server.listen(0, address, r));
      listeners.push(server);
      demo.push({ address, port: (server.address() as AddressInfo).port });
    }
  });
  afterAll(async () => {
    for (const s of listeners) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
    sqs.destroy();
  });

  const batchEnv = (entries: { scanId: string; request: unknown }[], extra: Record<string, string> = {}) => ({
    [Env.scanRequests]: JSON.stringify(entries),
    [Env.resultsBucket]: bucket,
    [Env.deadLetterQueueUrl]: dlqUrl,
    [NmapEnv.timeoutSeconds]: "150",
    ...extra,
  });
  const requestFor = (d: { address: string; port: number }, extra: Record<string, unknown> = {}) => ({
    target: d.address,
    requestedAt: "2026-11-23T10:00:00.000Z",
    ports: String(d.port),
    ...extra,
  });
  async function storedKeys(scanIds: string[]): Promise<Map<string, string>> {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "nmap/" }));
    const keys = new Map<string, string>();
    for (const o of out.Contents ?? []) {
      const id = o.Key!.replace(/^.*\//, "").replace(/\.xml$/, "");
      if (scanIds.includes(id)) keys.set(id, o.Key!);
    }
    return keys;
  }
  async function deadLetters() {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 1,
      }),
    );
    return out.Messages ?? [];
  }

  it("stores each target under its own scan id, raw object and metadata, as if it had run alone", async () => {
    const tag = uniqueName("b3");
    const entries = demo.map((d, i) => ({ scanId: `${tag}-${i}`, request: requestFor(d) }));
    expect(await main(batchEnv(entries), { s3, sqs })).toBe(ExitCode.ok);

    const keys = await storedKeys(entries.map((e) => e.scanId));
    expect([...keys.keys()].sort()).toEqual(entries.map((e) => e.scanId).sort());
    for (const [i, e] of entries.entries()) {
      const raw = await getRawResult(bucket, keys.get(e.scanId)!, s3);
      expect(raw.key).toMatch(new RegExp(`^nmap/\\d{4}/\\d{2}/\\d{2}/${e.scanId}\\.xml$`));
      expect(raw.metadata.scanId).toBe(e.scanId);
      expect(raw.metadata.request).toEqual(e.request);
      // The parser, unchanged, sees one host: this target, with its own demo port open.
      const { run, tools } = parseRaw(raw);
      expect(run.hosts).toHaveLength(1);
      expect(run.hosts[0].ports.map((p) => [p.portId, p.state])).toEqual([[demo[i].port, "open"]]);
      const hosts = tools
        .messages()
        .flatMap((m) =>
          Object.entries(m.message.docs).flatMap(([t, ds]) => ds.map((d) => ({ t, ...d.data }))),
        )
        .filter((d) => d.t === "ports");
      expect(hosts.map((d) => (d as Record<string, unknown>).address)).toEqual([demo[i].address]);
      expect(tools.messages().every((m) => m.message.scanId === e.scanId)).toBe(true);
    }
    expect(await deadLetters()).toEqual([]);
  });

  it("dead-letters only the target nmap failed on, with the reason; the others are stored", async () => {
    const tag = uniqueName("bf");
    const entries = [
      { scanId: `${tag}-ok1`, request: requestFor(demo[0]) },
      // Valid for the schema, refused by nmap itself: a real nmap failure for this target alone.
      { scanId: `${tag}-bad`, request: requestFor(demo[1], { ports: "99999" }) },
      { scanId: `${tag}-hostile`, request: requestFor(demo[1], { target: "-iL/etc/passwd" }) },
      { scanId: `${tag}-ok2`, request: requestFor(demo[2]) },
    ];
    expect(await main(batchEnv(entries), { s3, sqs })).toBe(ExitCode.ok);

    const keys = await storedKeys(entries.map((e) => e.scanId));
    expect([...keys.keys()].sort()).toEqual([`${tag}-ok1`, `${tag}-ok2`]);
    const letters = await deadLetters();
    const byId = new Map(letters.map((m) => [m.MessageAttributes?.[Attr.requestId]?.StringValue, m]));
    expect([...byId.keys()].sort()).toEqual([`${tag}-bad`, `${tag}-hostile`]);
    const bad = byId.get(`${tag}-bad`)!;
    expect(JSON.parse(bad.Body!)).toEqual(entries[1].request);
    expect(bad.MessageAttributes?.[Attr.errorCode]?.StringValue).toBe("nmap-failed");
    expect(bad.MessageAttributes?.[Attr.errorMessage]?.StringValue).toMatch(/nmap exited with code/);
    expect(bad.MessageAttributes?.[Attr.scanId]?.StringValue).toBe(`${tag}-bad`);
    expect(byId.get(`${tag}-hostile`)!.MessageAttributes?.[Attr.errorCode]?.StringValue).toBe(
      "invalid-target",
    );
  });

  it("without a dead-letter queue, fails the task so the stop handler dead-letters what was not stored", async () => {
    const tag = uniqueName("bn");
    const entries = [
      { scanId: `${tag}-ok`, request: requestFor(demo[0]) },
      { scanId: `${tag}-bad`, request: requestFor(demo[1], { ports: "99999" }) },
    ];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await main(batchEnv(entries, { [Env.deadLetterQueueUrl]: "" }), { s3, sqs })).toBe(
        ExitCode.nmapFailed,
      );
    } finally {
      spy.mockRestore();
    }
    expect([...(await storedKeys(entries.map((e) => e.scanId))).keys()]).toEqual([`${tag}-ok`]);
  });

  it("bounds the whole task by its budget: each scan gets the time left, none starts after it", async () => {
    let now = 0;
    const budgets: number[] = [];
    const entries = [0, 1, 2].map((i) => ({
      scanId: `t-${i}`,
      body: "{}",
      request: { target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z" },
    }));
    const out = await scanBatch(
      { bucket, timeoutSeconds: 100, hostTimeoutSeconds: 60, entries },
      async (c) => {
        budgets.push(c.timeoutSeconds);
        now += 60_000; // each scan takes a minute
        return { key: c.scanId, bytes: 0, startTime: new Date(), endTime: new Date() };
      },
      { concurrency: 1, clock: () => now },
      (e) => ({ reason: (e as Error).name }),
    );
    expect(budgets).toEqual([100, 40]);
    expect(out.map((o) => o.error?.name)).toEqual([undefined, undefined, "BudgetSpentError"]);
  });

  it("runs at most TaskBatch.scansAtOnce scans at once, and reports each target in order", async () => {
    let running = 0;
    let peak = 0;
    const entries = [5, 1, 4, 2, 3, 1, 1].map((ms, i) => ({
      scanId: `c-${i}`,
      body: "{}",
      request: { target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z", ports: String(ms) },
    }));
    const out = await scanBatch(
      { bucket, timeoutSeconds: 60, hostTimeoutSeconds: 60, entries },
      async (c) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, Number(c.request.ports) * 5));
        running -= 1;
        return { key: c.scanId, bytes: 0, startTime: new Date(), endTime: new Date() };
      },
      {},
      () => ({ reason: "error" }),
    );
    expect(out.map((o) => o.stored?.key)).toEqual(entries.map((e) => e.scanId));
    expect(peak).toBe(TaskBatch.scansAtOnce);
  });
});
