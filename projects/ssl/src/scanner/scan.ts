import {
  InvalidTargetError,
  SSL_RESULT_VERSION,
  TLS_VERSIONS,
  validateTarget,
  type PortDetected,
  type SslEndpoint,
  type SslScanResult,
} from "@sec-an/contracts";
import { PermanentFailure } from "@sec-an/runtime";
import { checkHostname, describeRejected } from "./hostnames";
import { inspectEndpoint, probeProtocol, type TlsOptions, type TlsTarget } from "./tls";

export interface SslScanOptions {
  /** Per-handshake bound (default 5 s). A scan makes 4 probes plus one handshake per name. */
  readonly timeoutMs?: number;
  /** Names checked per scan at most (default 16); the rest are reported as rejected. */
  readonly maxHostnames?: number;
  /** Handshakes in flight at once against the target (default 4). */
  readonly concurrency?: number;
  readonly extraCAs?: readonly string[];
  /** DNS names known for the address elsewhere (task-execution's resolved-addresses table). */
  readonly lookupHostnames?: (address: string) => Promise<readonly string[]>;
  readonly now?: () => Date;
}

/**
 * Refuse events the ssl task cannot scan: a bad address is a bad request (permanent, so it is
 * dead-lettered with the reason). The address must pass the same validator nmap's targets pass, as a
 * single address of the stated family: never a name, a CIDR, a zone (`fe80::1%eth0`) or a never-scanned
 * block (`0.0.0.0`, `::`, link-local, multicast, broadcast).
 */
export function checkTarget(event: PortDetected): TlsTarget {
  let type: string;
  try {
    type = validateTarget(event.address).type;
  } catch (e) {
    if (e instanceof InvalidTargetError)
      throw new PermanentFailure("invalid-target", e.message, { cause: e });
    throw e;
  }
  if (type !== event.addressType)
    throw new PermanentFailure(
      "invalid-target",
      `address ${JSON.stringify(event.address.slice(0, 100))} is not a single ${event.addressType} address`,
    );
  if (event.protocol !== "tcp")
    throw new PermanentFailure("invalid-target", `TLS runs over tcp, not ${event.protocol}`);
  return { address: event.address, port: event.port };
}

/** Validated, de-duplicated names with their sources, capped; everything dropped is reported with why. */
export function collectHostnames(
  sources: ReadonlyArray<readonly [source: string, names: readonly unknown[]]>,
  max: number,
): Pick<SslScanResult, "hostnames" | "rejectedHostnames"> {
  const byName = new Map<string, string[]>();
  const rejected: SslScanResult["rejectedHostnames"] = [];
  for (const [source, names] of sources) {
    for (const raw of names) {
      const c = checkHostname(raw);
      if (!c.ok) {
        rejected.push({ name: describeRejected(raw), reason: c.reason });
        continue;
      }
      const seen = byName.get(c.name);
      if (seen) {
        if (!seen.includes(source)) seen.push(source);
      } else if (byName.size >= max) {
        rejected.push({ name: c.name, reason: `over the limit of ${max} names per scan` });
      } else byName.set(c.name, [source]);
    }
  }
  return { hostnames: [...byName].map(([name, s]) => ({ name, sources: s })), rejectedHostnames: rejected };
}

/** Run `fn` over `items` with at most `limit` in flight, keeping order. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The whole TLS check of one detected port: which protocol versions it accepts (with the cipher each
 * negotiates), and for every known DNS name of the address (or the bare address when none) the chain
 * served for that SNI name, its verification and the hostname match.
 */
export async function scanTls(event: PortDetected, o: SslScanOptions = {}): Promise<SslScanResult> {
  const target = checkTarget(event);
  const scanTime = (o.now ?? (() => new Date()))();
  const tlsOpts: TlsOptions = { timeoutMs: o.timeoutMs ?? 5000, extraCAs: o.extraCAs };
  const dnsNames = o.lookupHostnames ? await o.lookupHostnames(event.address) : [];
  const names = collectHostnames(
    [
      ["event", event.hostnames],
      ["dns", dnsNames],
    ],
    o.maxHostnames ?? 16,
  );
  // Servers may refuse handshakes without SNI, so probe protocols with the first known name.
  const probeName = names.hostnames[0]?.name ?? null;
  const concurrency = o.concurrency ?? 4;
  const protocols = await pool(TLS_VERSIONS, concurrency, (v) =>
    probeProtocol(target, v, probeName, tlsOpts),
  );
  const endpointNames: (string | null)[] = names.hostnames.length
    ? names.hostnames.map((h) => h.name)
    : [null];
  const endpoints: SslEndpoint[] = await pool(endpointNames, concurrency, (h) =>
    inspectEndpoint(target, h, scanTime, tlsOpts),
  );
  return {
    version: SSL_RESULT_VERSION,
    address: event.address,
    addressType: event.addressType,
    port: event.port,
    ...(event.service ? { service: event.service } : {}),
    scanTime: scanTime.toISOString(),
    ...names,
    protocols,
    endpoints,
  };
}
