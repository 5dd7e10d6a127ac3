import { isIP } from "node:net";
import { ipv6ToBigInt } from "@sec-an/contracts";

export type Family = 4 | 6;

const BITS = { 4: 32, 6: 128 } as const;

/** An IP address as a number; undefined when it is not one. */
export function ipToBigInt(address: string): { family: Family; value: bigint } | undefined {
  const family = isIP(address);
  if (family === 4) return { family, value: address.split(".").reduce((n, o) => (n << 8n) + BigInt(o), 0n) };
  if (family === 6) return { family, value: ipv6ToBigInt(address) };
  return undefined;
}

const v4 = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");

/**
 * RFC 5952 text (as nmap and the store write addresses): lower-case hex without leading zeros, the
 * longest run of two or more zero groups as `::` (the first of equal runs), IPv4-mapped as dotted quad.
 */
function v6(n: bigint): string {
  if (n >> 32n === 0xffffn) return `::ffff:${v4(n & 0xffffffffn)}`;
  const groups = [...Array(8).keys()].map((i) => (n >> BigInt(112 - 16 * i)) & 0xffffn);
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}

export const formatIp = (value: bigint, family: Family): string => (family === 4 ? v4(value) : v6(value));

/** One spelling per address (`2001:DB8:0:0::1` → `2001:db8::1`); undefined when it is not an address. */
export function canonicalIp(address: string): string | undefined {
  const n = ipToBigInt(address);
  return n && formatIp(n.value, n.family);
}

export interface Cidr {
  readonly family: Family;
  /** The network address (host bits cleared). */
  readonly network: bigint;
  readonly prefix: number;
}

/** An `address/prefix` network, its address reduced to the network's; undefined when it is not one. */
export function parseCidr(value: string): Cidr | undefined {
  const m = /^([^/]{1,64})\/(\d{1,3})$/.exec(value);
  const ip = m ? ipToBigInt(m[1]) : undefined;
  if (!m || !ip) return undefined;
  const prefix = Number(m[2]);
  if (prefix > BITS[ip.family]) return undefined;
  const hostBits = BigInt(BITS[ip.family] - prefix);
  return { family: ip.family, network: (ip.value >> hostBits) << hostBits, prefix };
}

/** Every address of a network, first to last. */
export function cidrMembers(c: Cidr): string[] {
  const size = 1n << BigInt(BITS[c.family] - c.prefix);
  const out: string[] = [];
  for (let i = 0n; i < size; i++) out.push(formatIp(c.network + i, c.family));
  return out;
}

/** One spelling per network: `10.0.0.7/24` → `10.0.0.0/24`; undefined when it is not one. */
export function canonicalCidr(value: string): string | undefined {
  const c = parseCidr(value);
  return c && `${formatIp(c.network, c.family)}/${c.prefix}`;
}
