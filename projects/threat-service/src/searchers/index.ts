import type { Searcher } from "./types";
import { netCidr } from "./net-cidr";
import { netIp } from "./net-ip";
import { netName } from "./net-name";
import { netPort } from "./net-port";
import { netUri } from "./net-uri";
// `sec-an new searcher <type>` adds its import above this line and its name to the list below.

/** The searchers the service has, one per artifact type; any other type is answered with no hits. */
export const SEARCHERS: readonly Searcher[] = [
  netCidr,
  netIp,
  netName,
  netPort,
  netUri,
  // sec-an new searcher: searchers above this line
];

export type {
  DnsReader,
  ScanRequester,
  SearchContext,
  SearchOutcome,
  Searcher,
  SnapshotFilter,
  SnapshotReader,
} from "./types";

/** The searchers by artifact type; two for one type is a mistake caught at load. */
export function searcherRegistry(list: readonly Searcher[] = SEARCHERS): ReadonlyMap<string, Searcher> {
  const map = new Map<string, Searcher>();
  for (const s of list) {
    if (map.has(s.type)) throw new Error(`two searchers for artifact type ${s.type}`);
    map.set(s.type, s);
  }
  return map;
}
