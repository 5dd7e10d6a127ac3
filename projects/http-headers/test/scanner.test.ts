import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import {
  createServer as createHttp,
  type OutgoingHttpHeaders,
  type RequestListener,
  type Server,
} from "node:http";
import { createServer as createHttps } from "node:https";
import { createServer as createTcp, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkScannerModule, type PortDetected, type RawResult } from "@sec-an/contracts";
import { PermanentFailure, runScannerParser } from "@sec-an/runtime";
import { findings } from "../src/parse";
import { fetchHeaders, scan, target } from "../src/scan";
import { scanner } from "../src/scanner";

/**
 * Real HTTP and HTTPS servers on 127.0.0.1, each answering with the headers a case needs. Every server
 * is closed after the file; the scanner's own bound (timeout, header size) keeps each case short.
 */
const dir = mkdtempSync(join(tmpdir(), "http-headers-"));
execFileSync(
  "openssl",
  [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...[
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-subj",
      "/CN=localhost",
      "-days",
      "1",
    ],
  ],
  { stdio: "ignore" },
);
const tls = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };

const servers: (Server | TcpServer)[] = [];
const listen = async (s: Server | TcpServer) => {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return (s.address() as AddressInfo).port;
};
const requests: string[] = [];
const held: Socket[] = [];
const serve = (headers: OutgoingHttpHeaders, secure = false, status = 200) => {
  const answer: RequestListener = (req, res) => {
    requests.push(`${req.headers.host}${req.url}`);
    res.writeHead(status, headers).end("ok");
  };
  return listen(secure ? createHttps(tls, answer) : createHttp(answer));
};
afterAll(async () => {
  for (const s of servers) if ("closeAllConnections" in s) s.closeAllConnections();
  for (const socket of held) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

const event = (port: number, extra: Partial<PortDetected> = {}): PortDetected => ({
  kind: "port-detected",
  address: "127.0.0.1",
  addressType: "ipv4",
  port,
  protocol: "tcp",
  service: "http",
  hostnames: ["localhost"],
  detectedAt: new Date().toISOString(),
  lineage: {
    rootScanId: "root",
    parentScanId: "nmap-1",
    rule: "nmap:open-port",
    rawKey: "nmap/x.xml",
    depth: 1,
  },
  ...extra,
});
const checks = async (e: PortDetected) => findings(await fetchHeaders(target(e))).map((f) => f.check);

describe("http-headers scan against loopback servers", () => {
  it("plain HTTP without security headers: CSP, framing, nosniff, referrer, and both version banners", async () => {
    const port = await serve({
      Server: "nginx/1.18.0",
      "X-Powered-By": "PHP/8.1.2",
      "Content-Type": "text/plain",
    });
    expect(await checks(event(port))).toEqual([
      "csp-missing",
      "framing",
      "nosniff-missing",
      "referrer-policy",
      "server-version",
      "powered-by-version",
    ]);
    expect(requests).toContain(`localhost:${port}/`);
  });

  it("HTTPS (http tunnelled over ssl): short HSTS without subdomains, CSP with 'unsafe-inline' and no frame-ancestors", async () => {
    const port = await serve(
      {
        "Strict-Transport-Security": "max-age=3600",
        "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        Server: "nginx",
      },
      true,
    );
    expect(await checks(event(port, { tunnel: "ssl" }))).toEqual([
      "hsts-short",
      "hsts-no-subdomains",
      "csp-unsafe-inline",
      "csp-no-frame-ancestors",
      "framing",
    ]);
  });

  it("a well-configured HTTPS service has no findings; HSTS is not asked of plain HTTP", async () => {
    const good = {
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
      "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      Server: "nginx",
    };
    expect(await checks(event(await serve(good, true), { service: "https" }))).toEqual([]);
    const plain = Object.fromEntries(Object.entries(good).filter(([k]) => k !== "Strict-Transport-Security"));
    expect(await checks(event(await serve(plain)))).toEqual([]);
  });

  it("records a redirect and does not follow it", async () => {
    const port = await serve({ Location: "https://elsewhere.invalid/login" }, false, 302);
    const before = requests.length;
    const r = await fetchHeaders(target(event(port)));
    expect(r).toMatchObject({ status: 302, headers: { location: "https://elsewhere.invalid/login" } });
    expect(requests.length - before).toBe(1);
  });

  it("gives up on a service that never answers, and on oversized headers, recording why", async () => {
    const silent = await listen(createTcp((socket) => void held.push(socket)));
    const started = Date.now();
    expect(await fetchHeaders(target(event(silent)), 300)).toMatchObject({
      headers: {},
      error: "no response headers within 300 ms",
    });
    expect(Date.now() - started).toBeLessThan(5000);
    const huge = await serve({ "X-Padding": "x".repeat(20 * 1024) });
    expect((await fetchHeaders(target(event(huge)))).error).toBe("HPE_HEADER_OVERFLOW");
  });

  it("refuses what is not a scannable address before opening any socket", () => {
    for (const address of ["localhost;reboot", "0.0.0.0"])
      expect(() => target(event(80, { address }))).toThrow(PermanentFailure);
  });
});

describe("http-headers module", () => {
  it("scan → raw result → parse: a response document and a finding document per check", async () => {
    const e = event(await serve({ Server: "Apache/2.4.1" }));
    const out = await scan(e, { scanId: "s1", task: scanner.name });
    const raw: RawResult = {
      key: "http-headers/2026/11/27/s1.json",
      body: Buffer.from(out.body),
      metadata: {
        scanId: "s1",
        task: scanner.name,
        scanStartTime: out.startTime.toISOString(),
        scanEndTime: out.endTime.toISOString(),
        request: e,
      },
    };
    const [msg] = (await runScannerParser(raw, scanner)).messages.map((m) => m.message);
    expect(msg.docs.response.map((d) => d.data)).toEqual([
      expect.objectContaining({ address: "127.0.0.1", port: e.port, status: 200, tls: false, findings: 5 }),
    ]);
    expect(msg.docs.finding.map((d) => d.data.check)).toEqual([
      "csp-missing",
      "framing",
      "nosniff-missing",
      "referrer-policy",
      "server-version",
    ]);
    expect(msg.docTypes).toEqual(["finding", "response"]);
  });

  it("is complete: its views cover exactly its document types", () => {
    expect(() => checkScannerModule(scanner)).not.toThrow();
  });
});
