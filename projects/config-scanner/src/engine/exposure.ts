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
  /** Built on first use by sourcesText / permissionEvidence: most openings never reach a finding. */
  sources?: string;
  evidence?: Readonly<Record<string, unknown>>;
}

/** What a group opens to the world (and through prefix lists), computed once per group. */
export interface Exposure {
  ingress: Opening[];
  egress: Opening[];
}

export const LOWEST_PORT = 0;
export const HIGHEST_PORT = 65535;

// Any prefix length of 0 covers every address, whatever the address is written as ("::0/0", "0.0.0.0/00").
function isWorld(cidr: string | undefined): cidr is string {
  if (!cidr) return false;
  if (cidr.endsWith("/0")) return true;
  return /\/0+\s*$/.test(cidr);
}

/** The API writes "tcp", "udp", "-1"; protocol numbers ("6", "17") and other cases mean the same. */
export function protocolOf(ipProtocol: string | undefined): Protocol {
  switch (ipProtocol) {
    case "tcp":
      return "tcp";
    case "udp":
      return "udp";
    case "-1":
      return "all";
  }
  switch ((ipProtocol ?? "").trim().toLowerCase()) {
    case "tcp":
    case "6":
      return "tcp";
    case "udp":
    case "17":
      return "udp";
    case "-1":
    case "all":
      return "all";
    default:
      return "other";
  }
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

/** What the group opens to the world or to prefix lists, ingress and egress. */
export function exposureOf(group: SecurityGroup): Exposure {
  return { ingress: openings(group.IpPermissions), egress: openings(group.IpPermissionsEgress) };
}

/** Whether the opening is every protocol, or every TCP/UDP port (1-65535: port 0 is not a real port). */
export function reachesEverything(o: Opening): boolean {
  return o.protocol === "all" || (o.protocol !== "other" && o.from <= 1 && o.to >= HIGHEST_PORT);
}

/** The offending sources, for messages: "0.0.0.0/0, ::/0", or the prefix list ids. */
export function sourcesText(o: Opening): string {
  return (o.sources ??= (o.world.length ? o.world : o.prefixLists).join(", "));
}

/** The permission as evidence, built once and shared by every finding that names it, so frozen. */
export function permissionEvidence(o: Opening): Readonly<Record<string, unknown>> {
  if (!o.evidence) {
    const p = o.permission;
    const e: Record<string, unknown> = { IpProtocol: p.IpProtocol };
    if (p.FromPort != null) e.FromPort = p.FromPort;
    if (p.ToPort != null) e.ToPort = p.ToPort;
    if (o.world.length) e.sources = o.world;
    if (o.prefixLists.length) e.PrefixListIds = o.prefixLists;
    o.evidence = Object.freeze(e);
  }
  return o.evidence;
}
