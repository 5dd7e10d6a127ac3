import { isIP } from "node:net";
import { ipv6ToBigInt } from "@sec-an/contracts";
import { buildHit } from "../hits";
import { INDEX, epochSecs } from "./facts";
import { nothing, type Searcher } from "./types";

/** The largest networks looked up address by address: a /24 (IPv4) or /120 (IPv6), 256 addresses. */
const MIN_PREFIX = { 4: 24, 6: 120 } as const;

/** Every address of a small network, or undefined when it is not a CIDR or is larger than a /24 (/120). */
export function cidrAddresses(cidr: string): string[] | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return undefined;
  const family = isIP(m[1]);
  const prefix = Number(m[2]);
  if (family === 0 || prefix < MIN_PREFIX[family as 4 | 6] || prefix > (family === 4 ? 32 : 128))
    return undefined;
  const bits = family === 4 ? 32 : 128;
  const base =
    family === 4 ? m[1].split(".").reduce((n, o) => (n << 8n) + BigInt(o), 0n) : ipv6ToBigInt(m[1]);
  const size = 1n << BigInt(bits - prefix);
  const first = base & ~(size - 1n);
  const out: string[] = [];
  for (let i = 0n; i < size; i++) out.push(family === 4 ? v4(first + i) : v6(first + i));
  return out;
}

const v4 = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
/** RFC 5952 text (as nmap and the store write addresses): the longest run of two or more zero groups is `::`. */
function v6(n: bigint): string {
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

/** net.cidr: the scanned addresses of a small network (up to a /24), one summary hit each. */
export const netCidr: Searcher = {
  type: "net.cidr",
  async search(value, ctx) {
    const addresses = cidrAddresses(value);
    if (!addresses) return nothing;
    const hosts = await ctx.snapshots.search(
      INDEX.hosts,
      { terms: { address: addresses } },
      addresses.length,
    );
    const hits = hosts.map(({ source: h }) => {
      const scanned = epochSecs(h.scan_end_time);
      return buildHit([
        ["Network", "string", value],
        ["Address", "ip", typeof h.address === "string" ? h.address : undefined],
        ["Last scan", "string", scanned === undefined ? undefined : new Date(scanned * 1000).toISOString()],
        ["Open ports", "number", typeof h.open_port_count === "number" ? h.open_port_count : undefined],
        [
          "Highest CVE severity",
          "number",
          typeof h.highest_cve_severity === "number" ? h.highest_cve_severity : undefined,
        ],
      ]);
    });
    return { hits, pending: false };
  },
};
