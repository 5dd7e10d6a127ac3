import { createHash } from "node:crypto";
import * as tls from "node:tls";
import type { SslEndpoint, SslProtocolProbe, TlsVersion } from "@sec-an/contracts";
import { chainOf } from "./certificate";

/**
 * TLS checks with Node's own TLS stack (OpenSSL 3), never a shell. OpenSSL 3 refuses TLS 1.0/1.1 and
 * small keys at its default security level, so every probe that must see legacy servers offers
 * `ALL:@SECLEVEL=0`: we want to learn what the server accepts, not to protect a session. TLS 1.3 suites
 * are configured separately by OpenSSL and listed explicitly so they stay enabled.
 */
const TLS13_SUITES =
  "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256";
export const PERMISSIVE_CIPHERS = `${TLS13_SUITES}:ALL:@SECLEVEL=0`;

export interface TlsTarget {
  readonly address: string;
  readonly port: number;
}

export interface TlsOptions {
  /** Bound on each handshake, connect included. */
  readonly timeoutMs: number;
  /** Extra trust anchors (PEM) added to Node's bundled Mozilla roots, e.g. a private CA. */
  readonly extraCAs?: readonly string[];
}

/**
 * Secure contexts are cached: building one with the ~150 bundled roots plus extra CAs parses every PEM
 * (around 50 ms), far more than a loopback handshake. Keyed by purpose and trust anchors.
 */
const contexts = new Map<string, tls.SecureContext>();
function secureContext(key: string, options: tls.SecureContextOptions): tls.SecureContext {
  let ctx = contexts.get(key);
  if (!ctx) {
    if (contexts.size >= 32) contexts.clear();
    contexts.set(key, (ctx = tls.createSecureContext(options)));
  }
  return ctx;
}

interface Handshake {
  socket: tls.TLSSocket;
}

const MAX_ERROR = 512;

/** Short, bounded description of a failed handshake: error code first, then OpenSSL's reason. */
export function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const reason = err?.reason ?? (err?.message ?? String(e)).replace(/^.*routines::/s, "");
  return (err?.code ? `${err.code}: ${reason}` : reason).slice(0, MAX_ERROR);
}

/** Open a TLS connection to the address (never resolving names), run `use` on success, always close. */
function handshake<T>(
  target: TlsTarget,
  opts: tls.ConnectionOptions,
  timeoutMs: number,
  use: (h: Handshake) => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const socket = tls.connect({
      ...opts,
      host: target.address,
      port: target.port,
      rejectUnauthorized: false,
    });
    const finish = (err: unknown, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value as T);
    };
    const timer = setTimeout(
      () => finish(Object.assign(new Error(`no handshake within ${timeoutMs} ms`), { code: "ETIMEDOUT" })),
      timeoutMs,
    );
    socket.once("secureConnect", () => {
      try {
        finish(undefined, use({ socket }));
      } catch (e) {
        finish(e);
      }
    });
    socket.once("error", (e) => finish(e));
    socket.once("close", () =>
      finish(
        Object.assign(new Error("connection closed before the handshake completed"), { code: "ECONNRESET" }),
      ),
    );
  });
}

/** SNI must be a name: an address (or no name) sends none. */
const sni = (hostname: string | null) => (hostname ? { servername: hostname } : {});

/** Does the server accept exactly this protocol version, and with which cipher? */
export async function probeProtocol(
  target: TlsTarget,
  version: TlsVersion,
  hostname: string | null,
  o: TlsOptions,
): Promise<SslProtocolProbe> {
  try {
    const cipher = await handshake(
      target,
      {
        ...sni(hostname),
        secureContext: secureContext(`probe:${version}`, {
          minVersion: version,
          maxVersion: version,
          ciphers: PERMISSIVE_CIPHERS,
        }),
      },
      o.timeoutMs,
      ({ socket }) => ({ protocol: socket.getProtocol(), cipher: socket.getCipher() }),
    );
    if (cipher.protocol !== version)
      return { protocol: version, accepted: false, error: `negotiated ${cipher.protocol}` };
    return {
      protocol: version,
      accepted: true,
      cipher: {
        name: cipher.cipher.name,
        standardName: cipher.cipher.standardName,
        version: cipher.cipher.version,
      },
    };
  } catch (e) {
    return { protocol: version, accepted: false, error: describeError(e) };
  }
}

/**
 * Fingerprints of exactly the certificates the server sent. With an empty trust store (`ca: []` adds no
 * roots) Node has nothing to complete the chain with, unlike the verifying handshake below.
 */
export async function servedFingerprints(
  target: TlsTarget,
  hostname: string | null,
  o: TlsOptions,
): Promise<string[] | undefined> {
  const context = secureContext("served", { minVersion: "TLSv1", ciphers: PERMISSIVE_CIPHERS, ca: [] });
  try {
    return await handshake(
      target,
      { ...sni(hostname), secureContext: context, checkServerIdentity: () => undefined },
      o.timeoutMs,
      ({ socket }) => {
        const out: string[] = [];
        let cur: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
        while (cur && cur.raw && !out.includes(cur.fingerprint256) && out.length < 20) {
          out.push(cur.fingerprint256);
          cur = cur.issuerCertificate;
        }
        return out;
      },
    );
  } catch {
    return undefined;
  }
}

/** The chain for one SNI name (which of it was served), its verification, and whether the leaf is valid for the name. */
export async function inspectEndpoint(
  target: TlsTarget,
  hostname: string | null,
  scanTime: Date,
  o: TlsOptions,
): Promise<SslEndpoint> {
  const [endpoint, served] = await Promise.all([
    verifyEndpoint(target, hostname, scanTime, o),
    servedFingerprints(target, hostname, o),
  ]);
  if (served && endpoint.connected) {
    for (const c of endpoint.chain) c.served = served.includes(c.fingerprintSha256);
    endpoint.servedChainLength = served.length;
  }
  return endpoint;
}

async function verifyEndpoint(
  target: TlsTarget,
  hostname: string | null,
  scanTime: Date,
  o: TlsOptions,
): Promise<SslEndpoint> {
  const ca = o.extraCAs?.length ? [...tls.rootCertificates, ...o.extraCAs] : undefined;
  const context = secureContext(
    `endpoint:${ca ? createHash("sha256").update(o.extraCAs!.join("\n")).digest("hex") : "default"}`,
    {
      minVersion: "TLSv1",
      ciphers: PERMISSIVE_CIPHERS,
      ...(ca ? { ca } : {}),
    },
  );
  try {
    return await handshake(
      target,
      // Node folds the hostname check into authorizationError; turn that off to report the two apart.
      { ...sni(hostname), secureContext: context, checkServerIdentity: () => undefined },
      o.timeoutMs,
      ({ socket }): SslEndpoint => {
        const peer = socket.getPeerCertificate(true);
        const c = socket.getCipher();
        const verifyError = socket.authorizationError as unknown as Error | string | null;
        const endpoint: SslEndpoint = {
          hostname,
          connected: true,
          protocol: socket.getProtocol() ?? undefined,
          cipher: { name: c.name, standardName: c.standardName, version: c.version },
          chain: peer && peer.raw ? chainOf(peer, scanTime) : [],
          verification: socket.authorized
            ? { trusted: true }
            : {
                trusted: false,
                error:
                  typeof verifyError === "string"
                    ? verifyError
                    : ((verifyError as NodeJS.ErrnoException)?.code ?? String(verifyError)),
              },
        };
        if (hostname) {
          const mismatch =
            peer && peer.raw ? tls.checkServerIdentity(hostname, peer) : new Error("no certificate served");
          endpoint.hostnameMatch = mismatch
            ? { matches: false, reason: (mismatch as Error & { reason?: string }).reason ?? mismatch.message }
            : { matches: true };
        }
        return endpoint;
      },
    );
  } catch (e) {
    return {
      hostname,
      connected: false,
      error: describeError(e),
      chain: [],
      verification: { trusted: false, error: "NO_HANDSHAKE" },
    };
  }
}
