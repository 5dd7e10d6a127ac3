import {
  NmapDocType,
  validateTarget,
  type ParseTools,
  type RawResult,
  type ResultsContextApi,
} from "@sec-an/contracts";
import {
  httpServerHeader,
  oldestProtocol,
  severityLabel,
  sslCert,
  sslEnumCiphers,
  vulners,
  weakestGrade,
} from "./scripts";
import { HostStage, MAX_SCRIPT_OUTPUT_CHARS } from "./limits";
import {
  NmapXmlError,
  NmapXmlStream,
  readNmapXml,
  type NmapHost,
  type NmapPort,
  type NmapRun,
  type NmapRunHead,
  type NmapScript,
} from "./xml";

export * from "./xml";
export * from "./scripts";
export * from "./limits";

/**
 * nmap XML → document collections, one per host (parent key `{address, address_type}`). Document
 * types and their fields are listed in ../../README.md ("Documents"); views/ index mappings match them.
 * Bump PARSER_VERSION whenever a document's shape or meaning changes: it is stamped on every document, so
 * re-ingested data can be told apart from data parsed by an older version.
 */
export const PARSER_VERSION = "1.1.0";

/** Times already converted: the hosts of one report share a handful of start and end times. */
const isoOf = new Map<number, string>();
function iso(d: Date | undefined): string | undefined {
  if (d === undefined) return undefined;
  const t = d.getTime();
  let v = isoOf.get(t);
  if (v === undefined) {
    v = d.toISOString();
    if (isoOf.size >= 256) isoOf.clear();
    isoOf.set(t, v);
  }
  return v;
}
const DAY_MS = 86_400_000;

/** Drop undefined fields so documents carry only what nmap reported. */
function clean<T extends Record<string, unknown>>(o: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in o) if (Object.hasOwn(o, k) && o[k] !== undefined) out[k] = o[k];
  return out;
}

function rawScript(s: NmapScript): Record<string, unknown> {
  const truncated = s.output.length > MAX_SCRIPT_OUTPUT_CHARS;
  return clean({
    id: s.id,
    output: truncated ? s.output.slice(0, MAX_SCRIPT_OUTPUT_CHARS) : s.output,
    output_truncated: truncated || undefined,
  });
}

/** Per-host accumulator of the figures summarised onto the `data` document. */
interface HostFigures {
  highestCvss?: number;
  cveCount: number;
  sslProtocols: Set<string>;
  sslGrades: string[];
  soonestCertExpiryDays?: number;
}

function postPort(ctx: ResultsContextApi, port: NmapPort, scanEnd: Date, figures: HostFigures): void {
  ctx.pushContext({ port_id: port.portId, protocol: port.protocol });
  const sv = port.service;
  const portDoc: Record<string, unknown> = clean({
    // A keyword copy of the port: Dashboards shows numbers with thousands separators ("8,443").
    port_str: String(port.portId),
    state: port.state,
    status_reason: port.reason,
    service: sv?.name,
    product: sv?.product,
    version: sv?.version,
    extra_info: sv?.extraInfo,
    os_type: sv?.osType,
    tunnel: sv?.tunnel,
    service_method: sv?.method,
    service_confidence: sv?.confidence,
    cpes: sv?.cpes.length ? sv.cpes : undefined,
    scripts: port.scripts.length ? port.scripts.map(rawScript) : undefined,
  });

  for (const script of port.scripts) {
    switch (script.id) {
      case "http-server-header": {
        const headers = httpServerHeader(script);
        if (headers.length) portDoc.http_server_header = headers;
        break;
      }
      case "vulners": {
        let portMax: number | undefined;
        for (const v of vulners(script)) {
          ctx.pushContext({ cve_code: v.id });
          ctx.postResults(
            NmapDocType.cves,
            clean({
              cve_severity: v.cvss,
              cve_severity_label: v.cvss === undefined ? undefined : severityLabel(v.cvss),
              vuln_type: v.type,
              is_exploit: v.isExploit,
              cpe: v.cpe,
              ...v.extra,
            }),
          );
          ctx.popContext();
          figures.cveCount += 1;
          if (v.cvss !== undefined) portMax = Math.max(portMax ?? 0, v.cvss);
        }
        if (portMax !== undefined) {
          portDoc.highest_cve_severity = portMax;
          figures.highestCvss = Math.max(figures.highestCvss ?? 0, portMax);
        }
        break;
      }
      case "ssl-enum-ciphers": {
        const e = sslEnumCiphers(script);
        if (!e) break;
        for (const p of e.protocols) {
          ctx.pushContext({ ssl_protocol: p.protocol });
          ctx.postResults(
            NmapDocType.sslProtos,
            clean({
              ciphers: p.ciphers.map((c) => c.name),
              cipher_count: p.ciphers.length,
              cipher_preference: p.cipherPreference,
              compressors: p.compressors.length ? p.compressors : undefined,
              warnings: p.warnings.length ? p.warnings : undefined,
              least_strength: p.leastStrength,
            }),
          );
          for (const c of p.ciphers) {
            ctx.pushContext({ cipher_name: c.name });
            ctx.postResults(NmapDocType.sslCiphers, clean({ kex_info: c.kexInfo, strength: c.strength }));
            ctx.popContext();
          }
          ctx.popContext();
          figures.sslProtocols.add(p.protocol);
        }
        portDoc.ssl_protocols = e.protocols.map((p) => p.protocol);
        if (e.leastStrength) {
          portDoc.ssl_least_strength = e.leastStrength;
          figures.sslGrades.push(e.leastStrength);
        }
        break;
      }
      case "ssl-cert": {
        const c = sslCert(script);
        if (!c) break;
        // Measured from the scan's end, not from when the parser happens to run (re-ingestion, backlog).
        const days = c.notAfter ? Math.floor((c.notAfter.getTime() - scanEnd.getTime()) / DAY_MS) : undefined;
        ctx.postResults(
          NmapDocType.sslCert,
          clean({
            subject: c.subject,
            issuer: c.issuer,
            subject_common_name: c.subject.commonName,
            issuer_common_name: c.issuer.commonName,
            self_signed: JSON.stringify(c.subject) === JSON.stringify(c.issuer),
            pubkey_type: c.pubkeyType,
            pubkey_bits: c.pubkeyBits,
            sig_algo: c.sigAlgo,
            validity: clean({ notBefore: iso(c.notBefore), notAfter: iso(c.notAfter) }),
            expiry_days_at_scan: days,
            expired_at_scan: days === undefined ? undefined : days < 0,
            subject_alt_names: c.subjectAltNames.length ? c.subjectAltNames : undefined,
            md5: c.md5,
            sha1: c.sha1,
          }),
        );
        if (days !== undefined) {
          portDoc.ssl_cert_expiry_days_at_scan = days;
          figures.soonestCertExpiryDays = Math.min(figures.soonestCertExpiryDays ?? days, days);
        }
        break;
      }
      default:
        // Any other script: kept raw on the port document (above), never fatal.
        break;
    }
  }
  ctx.postResults(NmapDocType.ports, portDoc);
  ctx.popContext();
}

/** Post every document of one host; summaries go onto its `data` document. */
export function postHost(ctx: ResultsContextApi, host: NmapHost, scanEnd: Date): void {
  const figures: HostFigures = { cveCount: 0, sslProtocols: new Set(), sslGrades: [] };
  for (const port of host.ports) postPort(ctx, port, scanEnd, figures);

  for (const m of host.osMatches) {
    ctx.pushContext({ os_name: m.name });
    ctx.postResults(NmapDocType.os, {
      os_accuracy: m.accuracy,
      os_classes: m.classes.map((c) =>
        clean({
          os_class_type: c.type,
          os_vendor: c.vendor,
          os_family: c.family,
          os_gen: c.generation,
          os_accuracy: c.accuracy,
          os_cpes: c.cpes.length ? c.cpes : undefined,
        }),
      ),
    });
    ctx.popContext();
  }
  // nmap lists matches best first; take the most accurate, the earlier one on ties.
  const likely = host.osMatches.reduce<(typeof host.osMatches)[number] | undefined>(
    (best, m) => (!best || m.accuracy > best.accuracy ? m : best),
    undefined,
  );

  const lowestProto = oldestProtocol(figures.sslProtocols);
  ctx.addSummaries(
    clean({
      highest_cve_severity: figures.highestCvss,
      highest_cve_severity_label:
        figures.highestCvss === undefined ? undefined : severityLabel(figures.highestCvss),
      cve_count: figures.cveCount || undefined,
      lowest_ssl_proto: lowestProto,
      lowest_ssl_strength: weakestGrade(figures.sslGrades),
      soonest_cert_expiry_days: figures.soonestCertExpiryDays,
      most_likely_os: likely?.name,
      most_likely_os_accuracy: likely?.accuracy,
    }),
  );

  const open = host.ports.filter((p) => p.state === "open");
  ctx.postResults(
    NmapDocType.data,
    clean({
      status: host.status,
      status_reason: host.statusReason,
      host_names: host.hostnames.map((h) => clean({ host_name: h.name, host_name_type: h.type })),
      host_scan_start_time: iso(host.startTime),
      host_scan_end_time: iso(host.endTime),
      uptime_seconds: host.uptimeSeconds,
      last_boot: host.lastBoot,
      mac_address: host.mac,
      open_port_count: open.length,
      open_ports: open.slice(0, 1000).map((p) => `${p.portId}/${p.protocol}`),
      extra_ports: host.extraPorts.length ? host.extraPorts : undefined,
      host_scripts: host.hostScripts.length ? host.hostScripts.map(rawScript) : undefined,
    }),
    { includeSummaries: true },
  );
}

/** A raw result without its body (a streamed parse never holds the whole body). */
export type RawResultHead = Omit<RawResult, "body">;

/** When the scan ended: nmap's own record (runstats), else the raw result's metadata. */
export function scanEndOf(run: Pick<NmapRun, "endTime">, raw: RawResultHead): Date {
  return run.endTime ?? new Date(raw.metadata.scanEndTime);
}

export const parentKeyOf = (host: NmapHost) => ({ address: host.address, address_type: host.addressType });

/** A host whose documents could not be built: reported, while the result's other hosts are kept. */
export interface HostFailure {
  readonly address: string;
  readonly reason: string;
}

export interface ParsedNmapRun extends NmapRun {
  /** Hosts of `hosts` that posted no documents, with why. */
  readonly failedHosts: readonly HostFailure[];
}

/**
 * The host name the scan was asked for, if any. The entrypoint resolves names itself and runs nmap with
 * `-n` on the addresses, so nmap's report no longer carries the name as a `user` host name.
 */
function requestedHostName(raw: RawResultHead): string | undefined {
  const target = (raw.metadata.request as { target?: unknown } | undefined)?.target;
  try {
    return validateTarget(target).type === "hostname" ? (target as string) : undefined;
  } catch {
    return undefined;
  }
}

function withRequestedName(host: NmapHost, name: string | undefined): NmapHost {
  if (!name || host.hostnames.some((h) => h.type === "user")) return host;
  return { ...host, hostnames: [{ name, type: "user" }, ...host.hostnames] };
}

/** Stage one host's documents and commit them whole, or record why it could not be built. */
function postStaged(
  tools: ParseTools,
  host: NmapHost,
  requested: string | undefined,
  scanEnd: Date,
  failedHosts: HostFailure[],
): void {
  const stage = new HostStage(parentKeyOf(host));
  try {
    postHost(stage, withRequestedName(host, requested), scanEnd);
  } catch (e) {
    failedHosts.push({ address: host.address, reason: (e as Error).message });
    return;
  }
  stage.commit(tools.results(parentKeyOf(host)));
}

/**
 * Parse one raw nmap result into document collections (the task's ParseFn). Each host is staged and cut
 * to the document limit on its own, so one hostile host (a multi-MB banner) is truncated, or at worst
 * reported in `failedHosts`, and never costs the other hosts their documents.
 */
export function parseNmapResult(raw: RawResult, tools: ParseTools): ParsedNmapRun {
  const run = readNmapXml(raw.body);
  const scanEnd = scanEndOf(run, raw);
  const requested = requestedHostName(raw);
  const failedHosts: HostFailure[] = [];
  for (const host of run.hosts) postStaged(tools, host, requested, scanEnd, failedHosts);
  return { ...run, failedHosts };
}

/** How far from the end of a report its `<runstats>` is looked for: nothing but `</nmaprun>` follows it. */
export const RUNSTATS_TAIL_BYTES = 64 * 1024;

/**
 * The run's end time (`runstats/finished@time`) from the last bytes of a report. A streamed parse needs
 * it before the first host (certificate expiry is measured from it), and nmap writes it last.
 */
export function endTimeFromTail(tail: Buffer | string): Date | undefined {
  const text = typeof tail === "string" ? tail : tail.toString("utf8");
  const at = text.lastIndexOf("<runstats");
  if (at < 0) return undefined;
  let head: NmapRunHead | undefined;
  // Parsed by the same reader as the report itself, inside a stand-in root, so the value is read alike.
  const s = new NmapXmlStream(() => undefined);
  try {
    s.write(`<nmaprun>${text.slice(at).replace(/<\/nmaprun>[\s\S]*$/, "")}</nmaprun>`);
    head = s.end();
  } catch {
    return undefined;
  }
  return head.endTime;
}

/** A streamed parse: the run's attributes, the hosts' addresses and failures; the documents went out as it read. */
export interface StreamedNmapRun extends NmapRunHead {
  readonly failedHosts: readonly HostFailure[];
  /** Each host's address once, in report order. */
  readonly addresses: readonly string[];
  readonly hostCount: number;
}

export interface NmapStreamOptions {
  /** The report's last bytes (at least RUNSTATS_TAIL_BYTES of them, or all of a shorter report). */
  readonly tail: Buffer | string;
  /** Runs for each host after its documents are posted (none if it failed), before the next chunk is read. */
  readonly onHost?: (host: NmapHost) => void | Promise<void>;
}

/**
 * Parse a report from a stream of chunks (an S3 object body), host by host: each host's documents are
 * posted when its `</host>` is read and `onHost` runs, so memory stays flat in the report's size. The
 * documents equal `parseNmapResult`'s; the end time comes from the tail and is checked against the
 * report's own when it is reached. Malformed XML throws NmapXmlError with the byte offset, after the
 * hosts before it were posted whole (never a host cut short).
 */
export async function parseNmapStream(
  raw: RawResultHead,
  chunks: AsyncIterable<Uint8Array | string>,
  tools: ParseTools,
  opts: NmapStreamOptions,
): Promise<StreamedNmapRun> {
  const endTime = endTimeFromTail(opts.tail);
  const scanEnd = endTime ?? new Date(raw.metadata.scanEndTime);
  const requested = requestedHostName(raw);
  const failedHosts: HostFailure[] = [];
  const addresses = new Set<string>();
  const ready: NmapHost[] = [];
  let hostCount = 0;
  const stream = new NmapXmlStream((host) => {
    hostCount += 1;
    addresses.add(host.address);
    postStaged(tools, host, requested, scanEnd, failedHosts);
    ready.push(host);
  });
  for await (const chunk of chunks) {
    stream.write(
      typeof chunk === "string" ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
    for (const host of ready.splice(0)) await opts.onHost?.(host);
  }
  const head = stream.end();
  for (const host of ready.splice(0)) await opts.onHost?.(host);
  if (head.endTime?.getTime() !== endTime?.getTime())
    throw new NmapXmlError(
      `<runstats> is not within the report's last ${RUNSTATS_TAIL_BYTES} bytes: its end time was not known before the hosts`,
    );
  return { ...head, failedHosts, addresses: [...addresses], hostCount };
}
