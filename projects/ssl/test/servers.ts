import * as net from "node:net";
import * as tls from "node:tls";
import type { Issued } from "./pki";

/** A TLS server on 127.0.0.1 with an ephemeral port; `close` ends it and every open connection. */
export interface TestServer {
  port: number;
  close(): Promise<void>;
}

function track(server: net.Server): TestServer {
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const listen = (server: net.Server, host = "127.0.0.1") =>
  new Promise<void>((r) => server.listen(0, host, () => r()));

export async function startTlsServer(opts: {
  cert: Issued;
  /** Extra certificates served after the leaf (intermediates / root). */
  chain?: Issued[];
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /** `DEFAULT@SECLEVEL=0` lets OpenSSL 3 serve TLS 1.0/1.1 and 1024-bit keys. */
  legacy?: boolean;
  /** Per-SNI-name certificates; other names (and no SNI) get `cert`. */
  sni?: Record<string, Issued>;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: "127.0.0.1" | "::1";
}): Promise<TestServer> {
  const ctx = (c: Issued, chain: Issued[] = []) => ({
    key: c.keyPem,
    cert: [c.certPem, ...chain.map((x) => x.certPem)].join(""),
  });
  const contexts = new Map(
    Object.entries(opts.sni ?? {}).map(([name, c]) => [name, tls.createSecureContext(ctx(c))]),
  );
  const server = tls.createServer(
    {
      ...ctx(opts.cert, opts.chain),
      minVersion: opts.minVersion ?? (opts.legacy ? "TLSv1" : "TLSv1.2"),
      maxVersion: opts.maxVersion ?? "TLSv1.3",
      ...(opts.legacy ? { ciphers: "DEFAULT@SECLEVEL=0" } : {}),
      SNICallback: (name, cb) => cb(null, contexts.get(name)),
    },
    (socket) => socket.end(),
  );
  server.on("tlsClientError", () => undefined);
  await listen(server, opts.host);
  return track(server);
}

/** Accepts TCP and never answers: a handshake against it must time out. */
export async function startSilentServer(): Promise<TestServer> {
  const server = net.createServer(() => undefined);
  await listen(server);
  return track(server);
}

/** A port nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await listen(s);
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Speaks plain HTTP whatever it is sent: a non-TLS service on a port the cascade thought was TLS. */
export async function startPlainHttpServer(): Promise<TestServer> {
  const server = net.createServer((s) => {
    s.on("error", () => undefined);
    s.once("data", () => s.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
  });
  await listen(server);
  return track(server);
}
