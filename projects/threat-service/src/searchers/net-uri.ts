import { isIP } from "node:net";
import { INDEX, lookUpAddress, tlsHit } from "./facts";
import { lookUpName } from "./net-name";
import { nothing, type Searcher } from "./types";

/** net.uri: the URI's host as net.ip or net.name, plus the TLS certificate facts served for that host name. */
export const netUri: Searcher = {
  type: "net.uri",
  async search(value, ctx) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return nothing;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (!host) return nothing;
    if (isIP(host) !== 0) return lookUpAddress(host, ctx);
    const [named, certs] = await Promise.all([
      lookUpName(host, ctx),
      ctx.snapshots.search(INDEX.tls, { term: { hostname: host.toLowerCase() } }, 20),
    ]);
    return { hits: [...named.hits, ...certs.map((c) => tlsHit(c.source))], pending: named.pending };
  },
};
