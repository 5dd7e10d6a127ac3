import { isIP } from "node:net";
import { uniqueHits } from "../hits";
import { INDEX, lookUpAddress, tlsHit } from "./facts";
import { lookUpName } from "./net-name";
import { nothing, type Searcher } from "./types";

/** The host of a URI (an IPv6 address without its brackets); undefined when it does not parse or has none. */
function uriHost(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.hostname.replace(/^\[(.*)\]$/, "$1") || undefined;
}

/** net.uri: the URI's host as net.ip or net.name, plus the TLS certificate facts served for that host name. */
export const netUri: Searcher = {
  type: "net.uri",
  accepts: (value) => uriHost(value) !== undefined,
  async search(value, ctx) {
    const host = uriHost(value);
    if (!host) return nothing;
    if (isIP(host) !== 0) return lookUpAddress(host, ctx);
    const [named, certs] = await Promise.all([
      lookUpName(host, ctx),
      ctx.snapshots.search(INDEX.tls, { term: { hostname: host.toLowerCase() } }, 20),
    ]);
    return {
      hits: uniqueHits([...named.hits, ...certs.map((c) => tlsHit(c.source))]),
      pending: named.pending,
    };
  },
};
