import { request as http } from "node:http";
import { request as https } from "node:https";
import { isIP } from "node:net";
import { validateScanAddress, type PortDetected, type ScanFn } from "@sec-an/contracts";
import { PermanentFailure } from "@sec-an/runtime";

/** What one scan stores in the lake, and `parse` reads back (change it additively). Header names lower-case. */
export interface HeadersResult {
  readonly url: string;
  readonly tls: boolean;
  readonly status?: number;
  readonly headers: Record<string, string>;
  readonly error?: string;
}

/** Where to ask: the event's address, never a name we resolve (and never link-local: cloud metadata lives there). */
export function target(e: PortDetected) {
  try {
    if (!isIP(e.address)) throw new Error(`not an address: ${JSON.stringify(e.address)}`);
    validateScanAddress(e.address);
  } catch (err) {
    throw new PermanentFailure("invalid-target", (err as Error).message);
  }
  const tls = e.tunnel === "ssl" || /^https/.test(e.service ?? "");
  // A host name only for the Host header and SNI: letters, digits, dots and hyphens cannot inject a header.
  const host = e.hostnames.find((h) => !isIP(h) && /^[a-z0-9.-]{1,253}$/i.test(h)) ?? e.address;
  return { address: e.address, port: e.port, host, tls };
}

/** One GET of `/`, headers only: bounded in time and header size; a redirect is recorded, never followed. */
export function fetchHeaders(t: ReturnType<typeof target>, timeoutMs = 5000): Promise<HeadersResult> {
  const url = `${t.tls ? "https" : "http"}://${isIP(t.host) === 6 ? `[${t.host}]` : t.host}:${t.port}/`;
  return new Promise((resolve) => {
    const req = (t.tls ? https : http)({
      host: t.address,
      port: t.port,
      headers: { host: new URL(url).host, "user-agent": "sec-an-http-headers" },
      timeout: timeoutMs,
      maxHeaderSize: 16 * 1024,
      // Headers, not trust, are checked here: a bad certificate is the TLS scanner's finding.
      rejectUnauthorized: false,
      servername: isIP(t.host) ? undefined : t.host,
    });
    req.on("response", (res) => {
      const entries = Object.entries(res.headers).map(([k, v]) => [
        k,
        ([] as string[]).concat(v ?? []).join(", "),
      ]);
      resolve({ url, tls: t.tls, status: res.statusCode, headers: Object.fromEntries(entries) });
      req.destroy();
    });
    req.on("timeout", () => req.destroy(new Error(`no response headers within ${timeoutMs} ms`)));
    req.on("error", (e: NodeJS.ErrnoException) =>
      resolve({ url, tls: t.tls, headers: {}, error: e.code ?? e.message }),
    );
    req.end();
  });
}

export const scan: ScanFn<PortDetected> = async (event) => {
  const startTime = new Date();
  const result = await fetchHeaders(target(event));
  return {
    body: JSON.stringify(result),
    extension: "json",
    contentType: "application/json",
    startTime,
    endTime: new Date(),
  };
};
