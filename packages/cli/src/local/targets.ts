import { isIP } from "node:net";
import { addressPurpose, ipv6ToBigInt } from "@sec-an/contracts";

/**
 * Which targets the local run may scan. By default only loopback (127.0.0.0/8, ::1): scanning anything
 * else from a developer's machine needs an explicit --allow-remote. The rule is checked on the flag, and
 * again where a scan starts (the ECS stand-in, the TLS scanner's input), so nothing queued or injected
 * another way reaches a remote host.
 */
export class TargetError extends Error {
  override name = "TargetError";
}

/** Addresses one local run plans at most: every address is its own scan task (an nmap process). */
export const MAX_LOCAL_ADDRESSES = 16;

/** Loopback by the one address classifier in contracts (IPv4-mapped IPv6 counts as its IPv4 address). */
export function isLoopback(address: string): boolean {
  try {
    return addressPurpose(address) === "loopback";
  } catch {
    return false;
  }
}

function v4ToInt(a: string): number {
  return a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}
const intToV4 = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

function v6ToBigInt(a: string): bigint {
  if (a.includes(".")) throw new TargetError(`${a}: IPv4-mapped IPv6 addresses are not scanned locally`);
  return ipv6ToBigInt(a);
}
function bigIntToV6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // The URL parser writes the canonical compressed form (RFC 5952).
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

/**
 * Every address of one target (an address, or a CIDR of at most MAX_LOCAL_ADDRESSES addresses, network
 * and broadcast addresses included, as nmap scans them). Throws TargetError on anything else.
 */
export function expandTarget(target: string): string[] {
  const t = target.trim();
  const [addr, prefix, ...rest] = t.split("/");
  const family = isIP(addr);
  if (rest.length || !family)
    throw new TargetError(`--target ${JSON.stringify(target)} is not an IP address or CIDR`);
  if (prefix === undefined) return [family === 6 ? bigIntToV6(v6ToBigInt(addr)) : addr];
  const bits = family === 4 ? 32 : 128;
  const n = Number(prefix);
  if (!/^\d{1,3}$/.test(prefix) || n > bits)
    throw new TargetError(`--target ${JSON.stringify(target)} has an invalid prefix length`);
  const size = 2 ** (bits - n);
  if (size > MAX_LOCAL_ADDRESSES)
    throw new TargetError(
      `--target ${t} holds ${size} addresses; a local run scans at most ${MAX_LOCAL_ADDRESSES} (a /${bits - Math.log2(MAX_LOCAL_ADDRESSES)})`,
    );
  if (family === 4) {
    const base = v4ToInt(addr) - (v4ToInt(addr) % size);
    return Array.from({ length: size }, (_, i) => intToV4(base + i));
  }
  const base = v6ToBigInt(addr) & ~(BigInt(size) - 1n);
  return Array.from({ length: size }, (_, i) => bigIntToV6(base + BigInt(i)));
}

/** Validate the --target values: each expanded, every address loopback unless allowRemote, duplicates once. */
export function expandTargets(targets: readonly string[], allowRemote: boolean): string[] {
  const out = new Set<string>();
  for (const target of targets) {
    for (const a of expandTarget(target)) {
      if (!allowRemote && !isLoopback(a))
        throw new TargetError(
          `--target ${target.trim()} ${a === target.trim() ? "is not a loopback address" : `includes ${a}, which is not loopback`}; scanning other hosts needs --allow-remote`,
        );
      out.add(a);
    }
  }
  if (out.size > MAX_LOCAL_ADDRESSES)
    throw new TargetError(
      `the targets hold ${out.size} addresses; a local run scans at most ${MAX_LOCAL_ADDRESSES}`,
    );
  return [...out];
}

/** True when every address a scan target can name is loopback (an address or a CIDR; a name never is). */
export function isLoopbackTarget(target: string): boolean {
  try {
    return expandTarget(target).every(isLoopback);
  } catch {
    const [addr, prefix] = target.trim().split("/");
    // Wider than we expand: loopback only if the whole network is inside 127.0.0.0/8.
    const n = Number(prefix);
    return isIP(addr) === 4 && n >= 8 && n <= 32 && addr.split(".")[0] === "127";
  }
}

/** The guard where scans start: refuse a non-loopback target unless the run allows remote targets. */
export function assertScanTarget(target: string, allowRemote: boolean, where: string): void {
  if (!allowRemote && !isLoopbackTarget(target))
    throw new TargetError(
      `${where}: target ${JSON.stringify(target)} is not loopback; scanning other hosts needs --allow-remote`,
    );
}

/**
 * The scan target a queued message names: a PortDetected event's address or a ScanRequest's target,
 * also inside an SNS envelope (subscriptions without raw delivery). Undefined for anything else.
 */
export function scanTargetOf(body: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  if (o.Type === "Notification" && typeof o.Message === "string") return scanTargetOf(o.Message);
  if (o.kind === "port-detected" && typeof o.address === "string") return o.address;
  return typeof o.target === "string" ? o.target : undefined;
}

/** A queue guard for the local run: messages that would scan a non-loopback target are refused. */
export function loopbackGuard(allowRemote: boolean) {
  return (body: string): { code: string; message: string } | undefined => {
    const target = scanTargetOf(body);
    if (allowRemote || target === undefined || isLoopbackTarget(target)) return undefined;
    return {
      code: "remote-target",
      message: `target ${JSON.stringify(target.slice(0, 200))} is not loopback; the local run scans other hosts only with --allow-remote`,
    };
  };
}
