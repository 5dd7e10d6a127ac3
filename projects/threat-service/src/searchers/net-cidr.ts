import { cidrMembers, parseCidr, type Cidr } from "../addresses";
import { buildHit } from "../hits";
import { INDEX, epochSecs } from "./facts";
import { nothing, type Searcher } from "./types";

/** The largest networks looked up address by address: a /24 (IPv4) or /120 (IPv6), 256 addresses. */
const MIN_PREFIX = { 4: 24, 6: 120 } as const;

/** A network small enough to look up, or undefined. */
function smallNetwork(value: string): Cidr | undefined {
  const c = parseCidr(value);
  return c && c.prefix >= MIN_PREFIX[c.family] ? c : undefined;
}

/** Every address of a small network, or undefined when it is not a CIDR or is larger than a /24 (/120). */
export function cidrAddresses(cidr: string): string[] | undefined {
  const c = smallNetwork(cidr);
  return c && cidrMembers(c);
}

/** net.cidr: the scanned addresses of a small network (up to a /24), one summary hit each. */
export const netCidr: Searcher = {
  type: "net.cidr",
  accepts: (value) => smallNetwork(value) !== undefined,
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
          typeof h.summary_highest_cve_severity === "number" ? h.summary_highest_cve_severity : undefined,
        ],
      ]);
    });
    return { hits, pending: false };
  },
};
