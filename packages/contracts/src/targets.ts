import { isIPv4, isIPv6 } from "node:net";

/**
 * The one scan-target validator, shared by the launcher (before a Fargate task is paid for), the nmap
 * entrypoint, the TLS scanner and DNS ingest's planning filter, so they can never disagree.
 *
 * A target reaches nmap as one element of an argument vector (never a shell), but nmap has no `--`
 * end-of-options marker and reads its own range syntax in a target (`10.0.0.1-3`, `10.0-255.*.1`,
 * `a,b`): only a plain address, a bounded CIDR or a DNS host name passes, and no form may name more
 * addresses than the CIDR limit allows.
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

/** Most addresses one target may stand for (a /20), whatever its form: a host name's resolved addresses too. */
export const MAX_TARGET_ADDRESSES = 2 ** (32 - MIN_PREFIX.ipv4);

export interface TargetPolicy {
  /** Smallest CIDR prefixes accepted (default MIN_PREFIX). */
  readonly minPrefix?: { readonly ipv4: number; readonly ipv6: number };
}

export class InvalidTargetError extends Error {
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(`invalid scan target ${JSON.stringify(target.slice(0, 300))}: ${reason}`);
    this.name = "InvalidTargetError";
  }
}

// ---------------------------------------------------------------------------------------------------
// Special-purpose address blocks (IANA IPv4/IPv6 Special-Purpose Address Registries, plus the multicast
// blocks). Blocks marked globally reachable there (e.g. AS112, 64:ff9b::/96) are not listed.

export type AddressPurpose =
  | "unspecified"
  | "loopback"
  | "link-local"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "private-use"
  | "shared-address-space"
  | "documentation"
  | "benchmarking"
  | "protocol-assignments"
  | "translation"
  | "discard-only"
  | "unique-local"
  | "deprecated";

/**
 * Never a scan destination anywhere: nothing answers there (unspecified, multicast, broadcast,
 * reserved) or it is the scanning host's own link (link-local, which holds the cloud metadata and
 * task-credential endpoints).
 */
export const NEVER_SCANNED: ReadonlySet<AddressPurpose> = new Set<AddressPurpose>([
  "unspecified",
  "link-local",
  "multicast",
  "broadcast",
  "reserved",
]);

interface Block {
  readonly v6: boolean;
  readonly base: bigint;
  readonly prefix: number;
  readonly purpose: AddressPurpose;
}

function block(cidr: string, purpose: AddressPurpose): Block {
  const [addr, p] = cidr.split("/");
  const v6 = addr.includes(":");
  return { v6, base: v6 ? ipv6ToBigInt(addr) : ipv4ToBigInt(addr), prefix: Number(p), purpose };
}

/** Most specific first: the first block containing an address names its purpose. */
const BLOCKS: readonly Block[] = [
  block("255.255.255.255/32", "broadcast"),
  block("192.0.0.0/24", "protocol-assignments"),
  block("192.0.2.0/24", "documentation"),
  block("192.88.99.0/24", "deprecated"),
  block("198.51.100.0/24", "documentation"),
  block("203.0.113.0/24", "documentation"),
  block("198.18.0.0/15", "benchmarking"),
  block("169.254.0.0/16", "link-local"),
  block("192.168.0.0/16", "private-use"),
  block("172.16.0.0/12", "private-use"),
  block("100.64.0.0/10", "shared-address-space"),
  block("0.0.0.0/8", "unspecified"),
  block("10.0.0.0/8", "private-use"),
  block("127.0.0.0/8", "loopback"),
  block("224.0.0.0/4", "multicast"),
  block("240.0.0.0/4", "reserved"),
  block("::/128", "unspecified"),
  block("::1/128", "loopback"),
  block("64:ff9b:1::/48", "translation"),
  block("100::/64", "discard-only"),
  block("2001:db8::/32", "documentation"),
  block("2001::/23", "protocol-assignments"),
  block("3fff::/20", "documentation"),
  block("2002::/16", "deprecated"),
  block("5f00::/16", "reserved"),
  block("fe80::/10", "link-local"),
  block("fc00::/7", "unique-local"),
  block("ff00::/8", "multicast"),
  // The rest of the IPv4-compatible range (deprecated) never routes.
  block("::/96", "reserved"),
];

const MAPPED = block("::ffff:0:0/96", "reserved");

function ipv4ToBigInt(a: string): bigint {
  return a.split(".").reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
}

/** An IPv6 address (no zone; an embedded dotted quad allowed) as a 128-bit number. */
export function ipv6ToBigInt(a: string): bigint {
  let text = a;
  // An embedded dotted quad (`::ffff:1.2.3.4`) is the last two hextets.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToBigInt(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function contains(b: Block, v6: boolean, value: bigint): boolean {
  if (b.v6 !== v6) return false;
  const bits = BigInt((v6 ? 128 : 32) - b.prefix);
  return value >> bits === b.base >> bits;
}

/** An address (no zone) as family and number; IPv4-mapped IPv6 addresses count as the IPv4 address they carry. */
function numeric(address: string): { v6: boolean; value: bigint } {
  if (isIPv4(address)) return { v6: false, value: ipv4ToBigInt(address) };
  const value = ipv6ToBigInt(address);
  if (contains(MAPPED, true, value)) return { v6: false, value: value & 0xffffffffn };
  return { v6: true, value };
}

/**
 * The special purpose of an IP address (IANA special-purpose registries and multicast), or undefined
 * when it is an ordinary, globally reachable address. Throws for anything that is not an IP address.
 */
export function addressPurpose(address: string): AddressPurpose | undefined {
  if (!isIPv4(address) && !(isIPv6(address) && !address.includes("%")))
    throw new InvalidTargetError(address, "not an IP address without a zone");
  const { v6, value } = numeric(address);
  return BLOCKS.find((b) => contains(b, v6, value))?.purpose;
}

/** Purposes of the special blocks a CIDR overlaps (aligned blocks overlap only when one holds the other). */
function purposesOverlapping(address: string, prefix: number): AddressPurpose[] {
  const { v6, value } = numeric(address);
  const width = v6 ? 128 : 32;
  // An IPv4-mapped network keeps its IPv6 prefix length; measure it against the IPv4 width instead.
  const p = v6 || isIPv4(address) ? prefix : Math.max(0, prefix - 96);
  const hostBits = BigInt(width - p);
  const base = (value >> hostBits) << hostBits;
  return BLOCKS.filter((b) => {
    if (b.v6 !== v6) return false;
    if (b.prefix <= p) return contains(b, v6, base);
    return b.base >> hostBits === base >> hostBits;
  }).map((b) => b.purpose);
}

export interface PlanningPolicy {
  /** Plan loopback addresses too (the local run, whose scan targets are services on 127.0.0.1). Default false. */
  readonly allowLoopback?: boolean;
}

/**
 * Whether DNS ingest may plan a scan of `address`: only globally reachable addresses, because a cloud
 * scan of a special-purpose address reaches the scanner's own network (or nothing), never the host the
 * record names. Loopback only when the policy allows it explicitly.
 */
export function isPlannableAddress(address: string, policy: PlanningPolicy = {}): boolean {
  let purpose: AddressPurpose | undefined;
  try {
    purpose = addressPurpose(address);
  } catch {
    return false;
  }
  return purpose === undefined || (purpose === "loopback" && policy.allowLoopback === true);
}

/**
 * Check a resolved or literal address the way the scanners do: a plain IP address (no zone) that is
 * not a never-scanned destination. Returns the address; throws InvalidTargetError naming the reason.
 */
export function validateScanAddress(address: string): string {
  const purpose = addressPurpose(address);
  if (purpose && NEVER_SCANNED.has(purpose))
    throw new InvalidTargetError(address, `${purpose} addresses are never scanned`);
  return address;
}

// ---------------------------------------------------------------------------------------------------

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/**
 * Validate one target: IPv4/IPv6 address, CIDR (bounded prefix), or RFC 1123 host name, none of it
 * in a never-scanned block. Throws InvalidTargetError naming the reason.
 */
export function validateTarget(input: unknown, policy: TargetPolicy = {}): ValidTarget {
  if (typeof input !== "string") throw new InvalidTargetError(String(input), "not a string");
  const t = input;
  const bad = (reason: string): never => {
    throw new InvalidTargetError(t, reason);
  };
  if (t.length === 0) bad("empty");
  if (t.startsWith("-")) bad("starts with '-' (would be read as an nmap option)");
  if (/[\s\u0000-\u001f\u007f]/.test(t)) bad("contains whitespace or control characters");
  if (/[;&|`$(){}<>\\'"*?!\[\]]/.test(t)) bad("contains shell or glob metacharacters");
  if (t.includes(",")) bad("contains ',' (nmap would read a list)");
  if (t.includes("%")) bad("zone identifiers are not accepted");
  if (isIPv4(t)) return { target: validateScanAddress(t), type: "ipv4", ipv6: false };
  if (isIPv6(t)) return { target: validateScanAddress(t), type: "ipv6", ipv6: true };
  const slash = t.indexOf("/");
  if (slash >= 0) {
    const min = policy.minPrefix ?? MIN_PREFIX;
    const addr = t.slice(0, slash);
    const prefixText = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) bad("CIDR prefix must be a number");
    const prefix = Number(prefixText);
    const v4 = isIPv4(addr);
    if (!v4 && !isIPv6(addr)) bad("not an address/prefix");
    if (v4 && prefix > 32) bad("IPv4 prefix above 32");
    if (!v4 && prefix > 128) bad("IPv6 prefix above 128");
    const limit = v4 ? min.ipv4 : min.ipv6;
    if (prefix < limit) bad(`${v4 ? "IPv4" : "IPv6"} prefix shorter than /${limit}`);
    const never = purposesOverlapping(addr, prefix).find((p) => NEVER_SCANNED.has(p));
    if (never) bad(`the network overlaps ${never} addresses, which are never scanned`);
    return { target: t, type: "cidr", ipv6: !v4 };
  }
  return { type: "hostname", ipv6: false, ...validateHostname(t) };
}

/** RFC 1123 host name: labels of 1–63 letters, digits and inner hyphens, ≤253 characters, a TLD with a letter. */
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
  const last = labels[labels.length - 1];
  // A last label without letters is an address in nmap's range syntax (`10.0.0.1-3`) or a malformed one
  // (`10.0.0.300`); one in C's numeric forms (`0x7f000001`) resolves to an address without any DNS.
  if (/^\d+$/.test(last)) bad("not a valid IP address, and a host name cannot end in a numeric label");
  if (!/[A-Za-z]/.test(last)) bad("an address range (nmap would scan every address in it), not a host name");
  if (/^0x[0-9a-f]*$/i.test(last)) bad("a numeric address in hexadecimal, not a host name");
  return { target: name };
}
