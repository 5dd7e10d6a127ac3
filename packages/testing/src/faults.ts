import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * Fault-injection proxy for tests: an HTTP proxy on 127.0.0.1 in front of any HTTP service the tests
 * use (the OpenSearch double, fauxqs, dynalite), scripted per request. Point a client at `proxy.url`
 * instead of the service and `script()` what should go wrong.
 *
 * Rules are tried in order; the first whose `match` fits and whose `skip`/`times` allow it applies.
 * A request no rule applies to is forwarded unchanged. The Host header is forwarded as the client sent
 * it, so services that build URLs from it (fauxqs queue URLs) keep pointing through the proxy.
 */
export type Fault =
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> } // answer instead of forwarding
  | { kind: "delay"; ms: number } // forward after a delay
  | { kind: "timeout" } // accept the request and never answer (until the client gives up or close())
  | { kind: "drop" } // destroy the connection without a response
  | { kind: "short"; bytes: number } // forward, but cut the response body after N bytes and close
  | { kind: "rewrite"; fn: (res: { status: number; body: string }) => { status: number; body: string } }; // edit the real response

export interface FaultRule {
  /** All given must match. `path` is tested against the request target including its query string. */
  match?: { method?: string; path?: RegExp; body?: RegExp; header?: Record<string, RegExp> };
  fault: Fault;
  /** How many matching requests it applies to (default: every one). */
  times?: number;
  /** Let this many matching requests through first. */
  skip?: number;
}

interface ActiveRule {
  rule: FaultRule;
  seen: number;
  applied: number;
}

// Hop-by-hop headers must not be copied between the two connections.
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te"]);
function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

function matches(rule: FaultRule, req: IncomingMessage, body: string): boolean {
  const m = rule.match;
  if (!m) return true;
  if (m.method && m.method.toUpperCase() !== req.method) return false;
  if (m.path && !m.path.test(req.url ?? "")) return false;
  if (m.body && !m.body.test(body)) return false;
  for (const [name, re] of Object.entries(m.header ?? {})) {
    const v = req.headers[name.toLowerCase()];
    if (!re.test(Array.isArray(v) ? v.join(",") : (v ?? ""))) return false;
  }
  return true;
}

export class FaultProxy {
  readonly log: { method: string; path: string; fault?: Fault["kind"] }[] = [];
  private rules: ActiveRule[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly target: URL;

  private constructor(
    private readonly server: Server,
    target: string,
    readonly url: string,
  ) {
    this.target = new URL(target);
  }

  /** Start a proxy to `target` (e.g. "http://127.0.0.1:4566") on an ephemeral loopback port. */
  static async start(target: string): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const proxy = new FaultProxy(server, target, `http://127.0.0.1:${port}`);
    server.on("connection", (s) => {
      proxy.sockets.add(s);
      s.on("close", () => proxy.sockets.delete(s));
    });
    server.on("request", (req, res) => proxy.handle(req, res));
    return proxy;
  }

  /** Replace the rules (their counters start from zero). */
  script(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, seen: 0, applied: 0 }));
  }

  clear(): void {
    this.rules = [];
  }

  /** Stop listening and cut every open connection, including those held by a `timeout` fault. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private pick(req: IncomingMessage, body: string): Fault | undefined {
    for (const r of this.rules) {
      if (!matches(r.rule, req, body)) continue;
      r.seen += 1;
      if (r.seen <= (r.rule.skip ?? 0)) continue;
      if (r.rule.times !== undefined && r.applied >= r.rule.times) continue;
      r.applied += 1;
      return r.rule.fault;
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => res.destroy());
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const fault = this.pick(req, body.toString("utf8"));
      this.log.push({
        method: req.method ?? "",
        path: req.url ?? "",
        ...(fault ? { fault: fault.kind } : {}),
      });
      this.apply(fault, req, body, res);
    });
  }

  private apply(fault: Fault | undefined, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    switch (fault?.kind) {
      case "status": {
        const text = fault.body ?? "";
        res.writeHead(fault.status, {
          "content-type": "application/json",
          ...fault.headers,
          "content-length": Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      case "timeout":
        return; // hold the socket; close() or the client ends it
      case "drop":
        req.socket.destroy();
        return;
      case "delay": {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.forward(req, body, res);
        }, fault.ms);
        this.timers.add(t);
        return;
      }
      default:
        this.forward(req, body, res, fault);
    }
  }

  private forward(
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    fault?: Extract<Fault, { kind: "short" | "rewrite" }>,
  ): void {
    const headers = forwardable(req.headers);
    headers["content-length"] = String(body.length);
    // A rewrite edits text, so ask for it uncompressed.
    if (fault?.kind === "rewrite") headers["accept-encoding"] = "identity";
    const upstream = httpRequest(
      {
        hostname: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (up) => this.relay(up, res, fault),
    );
    upstream.on("error", () => res.destroy());
    upstream.end(body);
  }

  private relay(
    up: IncomingMessage,
    res: ServerResponse,
    fault?: Extract<Fault, { kind: "short" | "rewrite" }>,
  ): void {
    const chunks: Buffer[] = [];
    up.on("data", (c: Buffer) => chunks.push(c));
    up.on("error", () => res.destroy());
    up.on("end", () => {
      const raw = Buffer.concat(chunks);
      const headers = forwardable(up.headers);
      if (fault?.kind === "rewrite") {
        const out = fault.fn({ status: up.statusCode ?? 502, body: raw.toString("utf8") });
        headers["content-length"] = String(Buffer.byteLength(out.body));
        res.writeHead(out.status, headers);
        res.end(out.body);
        return;
      }
      headers["content-length"] = String(raw.length);
      res.writeHead(up.statusCode ?? 502, headers);
      if (fault?.kind === "short") {
        // The declared length stays the real one, so the client sees a truncated body and a closed socket.
        res.write(raw.subarray(0, Math.max(0, Math.min(fault.bytes, raw.length - 1))), () =>
          res.socket?.destroy(),
        );
        return;
      }
      res.end(raw);
    });
  }
}
