import { isIP } from "node:net";
import {
  ConfigFindingsIndex,
  DocFields,
  NmapDocType,
  SslDocType,
  indexBase,
  readAlias,
  type ArtifactHit,
} from "@sec-an/contracts";
import { buildHit } from "../hits";
import type { SearchContext, SnapshotFilter } from "./types";

/** The read alias of a snapshot index, e.g. `nmap_ports_snapshot.read`. */
export const snapshotIndex = (task: string, docType: string) =>
  readAlias(indexBase(task, docType, "snapshot"));

export const INDEX = {
  hosts: snapshotIndex("nmap", NmapDocType.data),
  ports: snapshotIndex("nmap", NmapDocType.ports),
  cves: snapshotIndex("nmap", NmapDocType.cves),
  tls: snapshotIndex("ssl", SslDocType.endpoint),
  config: readAlias(ConfigFindingsIndex.snapshot),
} as const;

/** Most ports, CVEs and TLS endpoints reported per address (the worst CVEs first). */
const MAX = { ports: 50, cves: 20, tls: 20, config: 20 } as const;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Epoch seconds of an ISO time, or undefined. */
export function epochSecs(v: unknown): number | undefined {
  const t = typeof v === "string" ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

export interface AddressFacts {
  readonly hits: ArtifactHit[];
  /** Epoch seconds of the newest scan of the address we hold, if any. */
  readonly lastScan?: number;
}

/**
 * What the snapshot indices hold about one address: a summary hit (last scan, open ports, highest CVE
 * severity, weakest TLS protocol, soonest certificate expiry), then one hit per open port, per CVE
 * (worst first) and per TLS endpoint.
 */
export async function addressFacts(address: string, ctx: SearchContext): Promise<AddressFacts> {
  const byAddress: SnapshotFilter = { term: { address } };
  const [hosts, ports, cves, tls, publicFindings, privateFindings] = await Promise.all([
    ctx.snapshots.search(INDEX.hosts, byAddress, 1),
    ctx.snapshots.search(INDEX.ports, { term: { address, state: "open" } }, MAX.ports),
    ctx.snapshots.search(INDEX.cves, byAddress, 200),
    ctx.snapshots.search(INDEX.tls, byAddress, MAX.tls),
    // Security-group findings of the interfaces holding the address (config-scanner).
    ctx.snapshots.search(INDEX.config, { term: { public_ips: address } }, 100),
    ctx.snapshots.search(INDEX.config, { term: { private_ips: address } }, 100),
  ]);
  const findings = configFindings([...publicFindings, ...privateFindings]);
  const host = hosts[0]?.source;
  const scanTimes = [...hosts, ...tls].map((d) => epochSecs(d.source[DocFields.scanEndTime]));
  const known = scanTimes.filter((t): t is number => t !== undefined);
  const lastScan = known.length ? Math.max(...known) : undefined;
  if (!host && ports.length === 0 && tls.length === 0 && findings.length === 0) return { hits: [], lastScan };

  const weakest = tls
    .map((d) => str(d.source.weakest_protocol))
    .filter((p): p is string => !!p)
    .sort()[0];
  const expiries = tls.map((d) => num(d.source.days_to_expiry)).filter((d): d is number => d !== undefined);
  const hits: ArtifactHit[] = [
    buildHit([
      ["Address", "ip", address],
      ["Source", "string", "sec-an scan data"],
      ["Last scan", "string", lastScan === undefined ? undefined : new Date(lastScan * 1000).toISOString()],
      ["Host status", "string", str(host?.status)],
      ["Open ports", "number", num(host?.open_port_count) ?? ports.length],
      ["Highest CVE severity", "number", num(host?.summary_highest_cve_severity)],
      ["Highest CVE severity label", "string", str(host?.summary_highest_cve_severity_label)],
      ["CVE count", "number", num(host?.summary_cve_count) ?? (cves.length || undefined)],
      ["Weakest TLS protocol", "string", weakest ?? str(host?.summary_lowest_ssl_proto)],
      [
        "Soonest certificate expiry (days)",
        "number",
        expiries.length ? Math.min(...expiries) : num(host?.summary_soonest_cert_expiry_days),
      ],
      ["Most likely OS", "string", str(host?.summary_most_likely_os)],
      ["Configuration findings", "number", findings.length || undefined],
    ]),
  ];
  for (const { source: p } of ports)
    hits.push(
      buildHit([
        ["Address", "ip", address],
        ["Port", "number", num(p.port_id)],
        ["Protocol", "string", str(p.protocol)],
        ["Service", "string", str(p.service)],
        ["Product", "string", str(p.product)],
        ["Version", "string", str(p.version)],
        ["Tunnel", "string", str(p.tunnel)],
      ]),
    );
  const worst = [...cves].sort(
    (a, b) => (num(b.source.cve_severity) ?? -1) - (num(a.source.cve_severity) ?? -1),
  );
  for (const { source: c } of worst.slice(0, MAX.cves))
    hits.push(
      buildHit([
        ["Address", "ip", address],
        ["CVE", "string", str(c.cve_code)],
        ["CVE severity", "number", num(c.cve_severity)],
        ["CVE severity label", "string", str(c.cve_severity_label)],
        ["Port", "number", num(c.port_id)],
        ["Exploit", "string", typeof c.is_exploit === "boolean" ? String(c.is_exploit) : undefined],
      ]),
    );
  hits.push(...tls.map(({ source }) => tlsHit(source)));
  for (const f of findings.slice(0, MAX.config))
    hits.push(
      buildHit([
        ["Address", "ip", address],
        ["Configuration finding", "string", str(f.title)],
        ["Finding status", "string", str(f.status)],
        ["Finding severity", "string", str(f.severity)],
        [
          "Open to the internet",
          "string",
          typeof f.open_to_world === "boolean" ? String(f.open_to_world) : undefined,
        ],
        ["Ports", "string", Array.isArray(f.ports) && f.ports.length ? f.ports.join(", ") : undefined],
        ["Security group", "string", str(f.group_id)],
        ["AWS account", "string", str(f.account)],
        ["Region", "string", str(f.region)],
        ["Detail", "string", str(f.message)],
      ]),
    );
  return { hits, lastScan };
}

const SEVERITY_ORDER = ["critical", "high", "medium", "low"];

/** Failing and warning findings, once each (an address may be both public and private), worst first. */
function configFindings(docs: ReadonlyArray<{ source: Record<string, unknown> }>): Record<string, unknown>[] {
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (const { source } of docs) {
    if (source.status !== "FAIL" && source.status !== "WARN") continue;
    const key = `${String(source.plugin)}|${String(source.resource)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(source);
  }
  const rank = (f: Record<string, unknown>) =>
    (f.status === "FAIL" ? 0 : 10) + Math.max(0, SEVERITY_ORDER.indexOf(String(f.severity)));
  return out.sort((a, b) => rank(a) - rank(b));
}

/** One TLS endpoint (address, port, SNI name): protocols, chain and the leaf certificate's expiry. */
export function tlsHit(t: Record<string, unknown>): ArtifactHit {
  return buildHit([
    ["Address", "ip", str(t.address)],
    ["TLS port", "number", num(t.port)],
    ["TLS host name", "string", str(t.hostname)],
    ["Weakest TLS protocol", "string", str(t.weakest_protocol)],
    ["Strongest TLS protocol", "string", str(t.strongest_protocol)],
    ["Certificate chain", "string", str(t.chain_status)],
    ["Certificate subject", "string", str(t.leaf_subject_cn)],
    ["Certificate issuer", "string", str(t.leaf_issuer_cn)],
    ["Certificate expires", "string", str(t.not_after)],
    ["Certificate expiry (days)", "number", num(t.days_to_expiry)],
    [
      "Host name mismatch",
      "string",
      typeof t.hostname_mismatch === "boolean" ? String(t.hostname_mismatch) : undefined,
    ],
  ]);
}

/**
 * Scan on a miss: an address we own (it resolved from one of our names) whose newest scan is older
 * than the allowed age gets one scan request, unless a look of this search already asked. An address we do not own is
 * never scanned. True when the search should wait for that scan's documents.
 */
export async function scanIfStale(
  address: string,
  lastScan: number | undefined,
  ctx: SearchContext,
): Promise<boolean> {
  if (isIP(address) === 0) return false;
  const fresh = lastScan !== undefined && lastScan >= ctx.startedAt - ctx.scanMaxAgeSecs;
  if (fresh || !(await ctx.dns.isOwned(address))) return false;
  if (!ctx.scanRequested) await ctx.scans.requestScan(address);
  return true;
}

/** `addressFacts` and `scanIfStale` for one address: what net.ip answers. */
export async function lookUpAddress(address: string, ctx: SearchContext) {
  const facts = await addressFacts(address, ctx);
  return { hits: facts.hits, pending: await scanIfStale(address, facts.lastScan, ctx) };
}
