import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import forge from "node-forge";

/** A self-signed certificate for `cn`, valid from now for `days` days. */
export function selfSignedCert(cn: string, days: number): { key: string; cert: string; notAfter: Date } {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  const attrs = [{ name: "commonName", value: cn }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([{ name: "subjectAltName", altNames: [{ type: 2, value: cn }] }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return {
    key: forge.pki.privateKeyToPem(keys.privateKey),
    cert: forge.pki.certificateToPem(cert),
    notAfter: cert.validity.notAfter,
  };
}

const BODY = "<html><body>hi</body></html>";
// nmap's service probes recognise nginx's header, so -sV names the service "http" and NSE http scripts run.
export const SERVER_HEADER = "nginx/1.18.0";
const handler = (
  _req: unknown,
  res: { writeHead(code: number, h: Record<string, string>): void; end(s: string): void },
) => {
  res.writeHead(200, {
    Server: SERVER_HEADER,
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": String(BODY.length),
  });
  res.end(BODY);
};

async function listen(server: Server, host = "127.0.0.1"): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

/** An HTTP and an HTTPS server on 127.0.0.1 (ephemeral ports); `close` destroys every open connection. */
export async function startServers(cn = "tls.sec-an.test", days = 45) {
  const tls = selfSignedCert(cn, days);
  const http = createHttpServer(handler);
  const https = createHttpsServer({ key: tls.key, cert: tls.cert }, handler);
  const httpPort = await listen(http);
  const httpsPort = await listen(https as unknown as Server);
  return {
    httpPort,
    httpsPort,
    notAfter: tls.notAfter,
    async close() {
      for (const s of [http, https]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createHttpServer();
  const port = await listen(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** An HTTP server on ::1 (IPv6 loopback). */
export async function startHttpV6() {
  const http = createHttpServer(handler);
  const port = await listen(http, "::1");
  return {
    port,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
