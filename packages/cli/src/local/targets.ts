import { isIP } from "node:net";

/**
 * Which targets the local run may scan. By default only loopback (127.0.0.0/8, ::1): scanning anything
 * else from a developer's machine needs an explicit --allow-remote.
 */
export class TargetError extends Error {
  override name = "TargetError";
}

function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.split(".")[0] === "127";
  if (isIP(address) === 6) return address === "::1" || address === "0:0:0:0:0:0:0:1";
  return false;
}

/** Validate one --target (address or CIDR); returns it normalised. */
export function checkTarget(target: string, allowRemote: boolean): string {
  const t = target.trim();
  const [addr, prefix, ...rest] = t.split("/");
  if (rest.length || !isIP(addr))
    throw new TargetError(`--target ${JSON.stringify(target)} is not an IP address or CIDR`);
  if (prefix !== undefined) {
    const max = isIP(addr) === 4 ? 32 : 128;
    const n = Number(prefix);
    if (!/^\d{1,3}$/.test(prefix) || n > max)
      throw new TargetError(`--target ${JSON.stringify(target)} has an invalid prefix length`);
    if (isIP(addr) === 4 && n < 24)
      throw new TargetError(`--target ${target}: CIDRs wider than /24 are not scanned locally`);
    if (isIP(addr) === 6 && n < 120)
      throw new TargetError(`--target ${target}: CIDRs wider than /120 are not scanned locally`);
  }
  if (!allowRemote && !isLoopback(addr)) {
    throw new TargetError(
      `--target ${target} is not a loopback address; scanning other hosts needs --allow-remote`,
    );
  }
  return t;
}
