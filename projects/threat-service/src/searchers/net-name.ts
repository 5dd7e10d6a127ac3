import { buildHit } from "../hits";
import { lookUpAddress } from "./facts";
import { nothing, type SearchContext, type SearchOutcome, type Searcher } from "./types";

/** Addresses of one name looked up in full; more are named in the name's hit but not searched. */
const MAX_ADDRESSES = 8;

/** A host name's addresses from the DNS ingest tables, then the net.ip facts of each. */
export async function lookUpName(name: string, ctx: SearchContext): Promise<SearchOutcome> {
  const host = name.toLowerCase().replace(/\.$/, "");
  const addresses = (await ctx.dns.addressesOf(host)).sort();
  if (addresses.length === 0) return nothing;
  const nameHit = buildHit([
    ["Host name", "string", host],
    ["Source", "string", "sec-an DNS inventory"],
    ["Addresses", "string", addresses.join(", ")],
    ["Address count", "number", addresses.length],
  ]);
  const each = await Promise.all(addresses.slice(0, MAX_ADDRESSES).map((a) => lookUpAddress(a, ctx)));
  return { hits: [nameHit, ...each.flatMap((o) => o.hits)], pending: each.some((o) => o.pending) };
}

/** A DNS name of two labels or more (a single label such as `localhost` is never one of ours). */
export function isHostName(value: string): boolean {
  return value.length <= 254 && /^[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+\.?$/.test(value);
}

/** net.name: what our DNS inventory and scans know about a host name. */
export const netName: Searcher = {
  type: "net.name",
  accepts: isHostName,
  async search(value, ctx) {
    return isHostName(value) ? lookUpName(value, ctx) : nothing;
  },
};
