import { generateKeyPairSync } from "node:crypto";
import { Duplex } from "node:stream";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from "node:net";
import forge from "node-forge";

/**
 * Services the local run scans by default: a plain HTTP server and a TLS server with a deliberately bad
 * certificate (self-signed, 1024-bit RSA, expired) that also accepts TLS 1.0, so a first run shows real
 * findings without touching any other host. They listen on a loopback address of their own
 * (`DEMO_HOST`), and the run scans only that address, so the emulators the run starts on 127.0.0.1 are
 * not reported as unknown open ports.
 */
export const DEMO_HOST = "127.0.0.2";
/** Where the demo services listen when `DEMO_HOST` cannot be bound (macOS configures only 127.0.0.1). */
export const FALLBACK_DEMO_HOST = "127.0.0.1";
export interface DemoServices {
  readonly host: string;
  readonly httpPort: number;
  readonly tlsPort: number;
  /** What the TLS server's certificate is, for the summary and tests. */
  readonly certificate: { subject: string; notAfter: Date; keyBits: number; selfSigned: true };
  close(): Promise<void>;
}

export function weakCertificate(
  now = new Date(),
  host = DEMO_HOST,
): { key: string; cert: string; notAfter: Date } {
  // The key comes from OpenSSL, not forge: forge's PEM encoding of some keys has integer padding that
  // OpenSSL 3 refuses ("illegal padding"), which made the demo TLS server fail now and then.
  const pair = generateKeyPairSync("rsa", { modulusLength: 1024, publicExponent: 0x10001 });
  const keyPem = pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(
    pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
  );
  cert.serialNumber = "0" + forge.util.bytesToHex(forge.random.getBytesSync(8));
  cert.validity.notBefore = new Date(now.getTime() - 400 * 86400_000);
  cert.validity.notAfter = new Date(now.getTime() - 30 * 86400_000);
  const attrs = [
    { name: "commonName", value: "localhost" },
    { name: "organizationName", value: "sec-an demo" },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    {
      name: "subjectAltName",
      altNames: [
        { type: 2, value: "localhost" },
        { type: 7, ip: host },
      ],
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return {
    key: keyPem,
    cert: forge.pki.certificateToPem(cert),
    notAfter: cert.validity.notAfter,
  };
}

/**
 * How long a connection may stay silent before a demo service hangs up. nmap's version detection first
 * listens for a banner and waits 6 s for one; hanging up sends it straight on to its next probe, which
 * the service answers at once. Every real client (HTTP, TLS, the scanners) speaks as soon as it connects.
 */
export const SILENCE_HANGUP_MS = 250;

/** The HTTP response head nginx sends, and the service's reply to bytes that are not a request. */
const nginxReply = (status: string, body: string) =>
  `HTTP/1.1 ${status}\r\nServer: nginx/1.18.0\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;

/**
 * A front for `inner` that reads a connection's first bytes: what `accepts` is handed to `inner` (bytes
 * and all), anything else gets `refusal` and is closed, and a connection silent for
 * SILENCE_HANGUP_MS is closed, so no probe of nmap's waits out its timeout.
 */
export function frontDoor(
  inner: Server | TlsServer,
  accepts: (first: Buffer) => boolean,
  refusal: string,
): NetServer {
  return createNetServer((socket) => {
    socket.on("error", () => socket.destroy());
    let spoke = false;
    const hangUp = setTimeout(
      // One more turn of the event loop first, so bytes that came while it was busy count as spoken.
      () => setImmediate(() => spoke || socket.end(refusal)),
      SILENCE_HANGUP_MS,
    );
    socket.once("data", (first: Buffer) => {
      spoke = true;
      clearTimeout(hangUp);
      if (!accepts(first)) {
        socket.end(refusal);
        return;
      }
      // The TLS server reads a net.Socket's handle directly, past anything unshifted: it is handed a
      // stream that replays the first bytes and then relays the socket.
      const relay = new Duplex({
        read: () => socket.resume(),
        write: (chunk, _enc, done) => (socket.write(chunk) ? done() : socket.once("drain", done)),
        final: (done) => (socket.end(), done()),
        destroy: (e, done) => (socket.destroy(), done(e)),
      });
      relay.push(first);
      socket.on("data", (b) => relay.push(b) || socket.pause());
      socket.on("end", () => relay.push(null));
      socket.on("close", () => relay.destroy());
      inner.emit("connection", relay);
    });
  });
}

const listen = (s: NetServer, host: string) =>
  new Promise<number>((resolve, reject) => {
    s.once("error", reject);
    s.listen(0, host, () => resolve((s.address() as AddressInfo).port));
  });

/** True when this machine lets a process listen on `host`. */
export async function canBind(host: string): Promise<boolean> {
  const probe = createHttpServer();
  try {
    await listen(probe, host);
    return true;
  } catch {
    return false;
  } finally {
    if (probe.listening) await new Promise((r) => probe.close(r));
  }
}

/** The demo services' address: `preferred` where it can be bound, else the fallback (and a log line saying so). */
export async function demoHost(
  preferred: string,
  log: (line: string) => void,
  bindable: (host: string) => Promise<boolean> = canBind,
): Promise<string> {
  if (await bindable(preferred)) return preferred;
  log(`${preferred} cannot be bound here; the demo services share ${FALLBACK_DEMO_HOST} with the emulators`);
  return FALLBACK_DEMO_HOST;
}

export async function startDemoServices(
  preferred = DEMO_HOST,
  log: (line: string) => void = () => undefined,
): Promise<DemoServices> {
  const host = await demoHost(preferred, log);
  // A common server banner, so nmap's service detection names the service (it does not know ours).
  const body = "sec-an local demo\n";
  const http = createHttpServer((_req, res) => {
    res.writeHead(200, {
      Server: "nginx/1.18.0",
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": String(body.length),
    });
    res.end(body);
  });
  const { key, cert, notAfter } = weakCertificate(new Date(), host);
  const tls = createTlsServer(
    // SECLEVEL=0 lets OpenSSL 3 serve a 1024-bit key and TLS 1.0: the weaknesses we want found.
    { key, cert, minVersion: "TLSv1", ciphers: "DEFAULT:@SECLEVEL=0" },
    (socket) => {
      socket.on("error", () => socket.destroy());
      socket.once("data", () =>
        socket.end(
          `HTTP/1.1 200 OK\r\nServer: nginx/1.18.0\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        ),
      );
    },
  );
  tls.on("tlsClientError", () => undefined); // scanners probe with handshakes we refuse
  // An HTTP request starts with its method; a TLS connection with a handshake record (or SSLv2's).
  const front = [
    frontDoor(
      http,
      (b) => /^[A-Z]{3,10} /.test(b.toString("latin1", 0, 11)),
      nginxReply("400 Bad Request", "<html><head><title>400 Bad Request</title></head></html>\r\n"),
    ),
    frontDoor(
      tls,
      (b) => b[0] === 0x16 || b[0] >= 0x80,
      // nginx's own answer to plain HTTP on a TLS port, which nmap names "ssl/http nginx".
      nginxReply(
        "400 Bad Request",
        "<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head></html>\r\n",
      ),
    ),
  ];
  const sockets = new Set<Socket>();
  for (const f of front)
    f.on("connection", (s: Socket) => (sockets.add(s), s.once("close", () => sockets.delete(s))));
  const httpPort = await listen(front[0], host);
  const tlsPort = await listen(front[1], host);
  return {
    host,
    httpPort,
    tlsPort,
    certificate: { subject: "CN=localhost", notAfter, keyBits: 1024, selfSigned: true },
    async close() {
      const closed = front.map((f) => new Promise((r) => f.close(r)));
      for (const s of sockets) s.destroy();
      await Promise.all(closed);
    },
  };
}
