import { buildHit } from "../hits";
import { INDEX } from "./facts";
import { nothing, type Searcher } from "./types";

/** Addresses listed for one port. */
const MAX_ADDRESSES = 50;

const isPort = (value: string) => /^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65535;

/** net.port: which of our addresses have the port open, with the service found there. */
export const netPort: Searcher = {
  type: "net.port",
  accepts: isPort,
  async search(value, ctx) {
    if (!isPort(value)) return nothing;
    const docs = await ctx.snapshots.search(
      INDEX.ports,
      { term: { port_id: Number(value), state: "open" } },
      MAX_ADDRESSES,
    );
    const hits = docs.map(({ source: p }) =>
      buildHit([
        ["Address", "ip", typeof p.address === "string" ? p.address : undefined],
        ["Port", "number", Number(value)],
        ["Protocol", "string", typeof p.protocol === "string" ? p.protocol : undefined],
        ["Service", "string", typeof p.service === "string" ? p.service : undefined],
        ["Product", "string", typeof p.product === "string" ? p.product : undefined],
      ]),
    );
    return { hits, pending: false };
  },
};
