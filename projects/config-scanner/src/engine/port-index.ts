import { reachesEverything, type Opening } from "./exposure";
import { PORT_CHECKS } from "./ports";

/** Index of the all-ports check, after the table's checks (0 .. PORT_CHECKS.length - 1). */
export const ALL_PORTS = PORT_CHECKS.length;

/** Per check index, the group's ingress openings that reach it (world-wide or through prefix lists). */
export type Hits = (Opening[] | undefined)[];

interface PortEntry {
  port: number;
  check: number;
}

// The table's ports, sorted per protocol: one opening's range finds its checks by binary search, so a
// group is matched against every check at once instead of once per plugin.
function sortedPorts(protocol: "tcp" | "udp"): PortEntry[] {
  return PORT_CHECKS.flatMap((c, check) => (c[protocol] ?? []).map((port) => ({ port, check }))).sort(
    (a, b) => a.port - b.port || a.check - b.check,
  );
}
const TCP = sortedPorts("tcp");
const UDP = sortedPorts("udp");

function firstAtOrAbove(table: PortEntry[], port: number): number {
  let lo = 0;
  let hi = table.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (table[mid].port < port) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Which checks each ingress opening reaches; undefined when it reaches none (the common case). */
export function ingressHits(ingress: Opening[]): Hits | undefined {
  let hits: Hits | undefined;
  for (const o of ingress) {
    if (o.protocol === "other") continue;
    if (o.protocol === "all") {
      for (let check = 0; check <= ALL_PORTS; check++) hits = add(hits, check, o);
      continue;
    }
    if (reachesEverything(o)) hits = add(hits, ALL_PORTS, o);
    const table = o.protocol === "tcp" ? TCP : UDP;
    for (let k = firstAtOrAbove(table, o.from); k < table.length && table[k].port <= o.to; k++)
      hits = add(hits, table[k].check, o);
  }
  return hits;
}

// Module-level rather than a closure per call: no allocation per group.
function add(hits: Hits | undefined, check: number, o: Opening): Hits {
  hits ??= new Array<Opening[] | undefined>(ALL_PORTS + 1);
  const list = (hits[check] ??= []);
  // A check with several ports in one range (FTP 20-21) still names the opening once.
  if (list[list.length - 1] !== o) list.push(o);
  return hits;
}
