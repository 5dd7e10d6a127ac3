import { isIPv4, isIPv6 } from "node:net";

/**
 * Scan-target validation. The target reaches nmap as one element of an argument vector (never a shell),
 * but nmap has no `--` end-of-options marker, so a target starting with `-` would be read as an option:
 * strict validation (and the leading-`-` rejection it implies) is the defence against argument injection.
 */
export type TargetType = "ipv4" | "ipv6" | "cidr" | "hostname";

export interface ValidTarget {
  readonly target: string;
  readonly type: TargetType;
  /** True for IPv6 literals and IPv6 CIDRs: nmap needs `-6` for them. */
  readonly ipv6: boolean;
}

/** Smallest CIDR prefixes accepted: a full-port scan of a larger block belongs in the planner, as many requests. */
export const MIN_PREFIX = { ipv4: 20, ipv6: 116 } as const;

export class InvalidTargetError extends Error {
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(`invalid scan target ${JSON.stringify(target.slice(0, 300))}: ${reason}`);
    this.name = "InvalidTargetError";
  }
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Validate one target: IPv4/IPv6 address, CIDR (bounded prefix), or RFC 1123 host name. Throws InvalidTargetError. */
export function validateTarget(input: unknown): ValidTarget {
  if (typeof input !== "string") throw new InvalidTargetError(String(input), "not a string");
  const t = input;
  const bad = (reason: string): never => {
    throw new InvalidTargetError(t, reason);
  };
  if (t.length === 0) bad("empty");
  if (t.startsWith("-")) bad("starts with '-' (would be read as an nmap option)");
  if (/[\s\u0000-\u001f\u007f]/.test(t)) bad("contains whitespace or control characters");
  if (/[;&|`$(){}<>\\'"*?!]/.test(t)) bad("contains shell or glob metacharacters");
  if (isIPv4(t)) return { target: t, type: "ipv4", ipv6: false };
  if (isIPv6(t)) {
    if (t.includes("%")) bad("IPv6 zone identifiers are not accepted");
    return { target: t, type: "ipv6", ipv6: true };
  }
  const slash = t.indexOf("/");
  if (slash >= 0) {
    const addr = t.slice(0, slash);
    const prefixText = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) bad("CIDR prefix must be a number");
    const prefix = Number(prefixText);
    if (isIPv4(addr)) {
      if (prefix > 32) bad("IPv4 prefix above 32");
      if (prefix < MIN_PREFIX.ipv4) bad(`IPv4 prefix shorter than /${MIN_PREFIX.ipv4}`);
      return { target: t, type: "cidr", ipv6: false };
    }
    if (isIPv6(addr) && !addr.includes("%")) {
      if (prefix > 128) bad("IPv6 prefix above 128");
      if (prefix < MIN_PREFIX.ipv6) bad(`IPv6 prefix shorter than /${MIN_PREFIX.ipv6}`);
      return { target: t, type: "cidr", ipv6: true };
    }
    bad("not an address/prefix");
  }
  return { type: "hostname", ipv6: false, ...validateHostname(t) };
}

/** RFC 1123 host name: labels of 1–63 letters, digits and inner hyphens, ≤253 characters, non-numeric TLD. */
function validateHostname(t: string): { target: string } {
  const bad = (reason: string): never => {
    throw new InvalidTargetError(t, reason);
  };
  const name = t.endsWith(".") ? t.slice(0, -1) : t;
  if (name.length > 253) bad("host name longer than 253 characters");
  const labels = name.split(".");
  for (const label of labels) {
    if (label.length === 0) bad("empty DNS label");
    if (label.length > 63) bad("DNS label longer than 63 characters");
    if (!LABEL.test(label))
      bad(`DNS label ${JSON.stringify(label.slice(0, 63))} is not letters, digits and inner hyphens`);
  }
  // An all-numeric last label is a malformed IP address (e.g. 10.0.0.300), never a host name.
  if (/^\d+$/.test(labels[labels.length - 1]))
    bad("not a valid IP address, and a host name cannot end in a numeric label");
  return { target: name };
}
