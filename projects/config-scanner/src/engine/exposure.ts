import type { IpPermission, SecurityGroup } from "./types";

export type Protocol = "all" | "tcp" | "udp" | "other";

/** One permission reduced to what the checks need; `permission` is kept for evidence. */
export interface Opening {
  protocol: Protocol;
  from: number;
  to: number;
  /** The world-wide CIDRs (0.0.0.0/0, ::/0) it grants. */
  world: string[];
  prefixLists: string[];
  permission: IpPermission;
}

/** What a group opens to the world (and through prefix lists), computed once per group. */
export interface Exposure {
  ingress: Opening[];
  egress: Opening[];
}

const PROTOCOLS: Record<string, Protocol> = {
  "-1": "all",
  all: "all",
  tcp: "tcp",
  "6": "tcp",
  udp: "udp",
  "17": "udp",
};

export const LOWEST_PORT = 0;
export const HIGHEST_PORT = 65535;

// Any prefix length of 0 covers every address, whatever the address is written as.
const isWorld = (cidr: string | undefined): cidr is string => !!cidr && /\/0+$/.test(cidr.trim());

export function protocolOf(ipProtocol: string | undefined): Protocol {
  return PROTOCOLS[(ipProtocol ?? "").toLowerCase()] ?? "other";
}

/** One permission as an Opening, or undefined when it grants nothing to the world or a prefix list. */
export function openingOf(p: IpPermission): Opening | undefined {
  let world: string[] | undefined;
  for (const r of p.IpRanges ?? []) if (isWorld(r.CidrIp)) (world ??= []).push(r.CidrIp);
  for (const r of p.Ipv6Ranges ?? []) if (isWorld(r.CidrIpv6)) (world ??= []).push(r.CidrIpv6);
  let prefixLists: string[] | undefined;
  for (const r of p.PrefixListIds ?? []) if (r.PrefixListId) (prefixLists ??= []).push(r.PrefixListId);
  if (!world && !prefixLists) return undefined;
  const protocol = protocolOf(p.IpProtocol);
  // -1 (or absent) port bounds mean every port of the protocol.
  const from = protocol === "all" || p.FromPort == null || p.FromPort < 0 ? LOWEST_PORT : p.FromPort;
  const to = protocol === "all" || p.ToPort == null || p.ToPort < 0 ? HIGHEST_PORT : p.ToPort;
  return { protocol, from, to, world: world ?? [], prefixLists: prefixLists ?? [], permission: p };
}

function openings(perms: IpPermission[] | undefined): Opening[] {
  const out: Opening[] = [];
  for (const p of perms ?? []) {
    const o = openingOf(p);
    if (o) out.push(o);
  }
  return out;
}

/** What the group opens. Plugins call it through `exposuresOf`, which shares the result between them. */
export function exposureOf(group: SecurityGroup): Exposure {
  return { ingress: openings(group.IpPermissions), egress: openings(group.IpPermissionsEgress) };
}

// One memo entry per collected group list, not per group: a WeakMap with a key per group makes the
// garbage collector's ephemeron pass dominate a large run.
const memo = new WeakMap<SecurityGroup[], { groups: SecurityGroup[]; exposures: Exposure[] }>();

/** The exposure of each group of a collected list, computed once for every plugin that reads the list. */
export function exposuresOf(groups: SecurityGroup[]): Exposure[] {
  const hit = memo.get(groups);
  // A list changed in place since (same array, other groups) is analysed afresh.
  if (hit && hit.groups.length === groups.length && hit.groups.every((g, i) => g === groups[i]))
    return hit.exposures;
  const exposures = groups.map(exposureOf);
  memo.set(groups, { groups: [...groups], exposures });
  return exposures;
}

/** Whether the opening reaches `port` over `protocol`. */
export function reaches(o: Opening, protocol: "tcp" | "udp", port: number): boolean {
  return o.protocol === "all" || (o.protocol === protocol && o.from <= port && port <= o.to);
}

/** Whether the opening is every protocol, or every TCP/UDP port (1-65535: port 0 is not a real port). */
export function reachesEverything(o: Opening): boolean {
  return o.protocol === "all" || (o.protocol !== "other" && o.from <= 1 && o.to >= HIGHEST_PORT);
}

/** The permission as evidence: only the world-wide and prefix-list sources, which are what offend. */
export function evidenceOf(o: Opening): Record<string, unknown> {
  const p = o.permission;
  return {
    IpProtocol: p.IpProtocol,
    ...(p.FromPort != null ? { FromPort: p.FromPort } : {}),
    ...(p.ToPort != null ? { ToPort: p.ToPort } : {}),
    ...(o.world.length ? { sources: o.world } : {}),
    ...(o.prefixLists.length ? { PrefixListIds: o.prefixLists } : {}),
  };
}
