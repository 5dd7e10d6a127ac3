import type { Route53Client } from "@aws-sdk/client-route-53";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Planner } from "../plan/planner";
import { mapLimit, silentLog, type Log, type SchedulerTables } from "../util";
import { ScanPlanWriter } from "./plan-writer";
import { classifyRecord } from "./records";
import { UnresolvableError, type DnsResolver } from "./resolver";
import { listRecordSets, listZones } from "./route53";

export interface IngestDeps {
  readonly route53: Route53Client;
  readonly resolver: Pick<DnsResolver, "addresses">;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: SchedulerTables;
  /** Epoch seconds the run started: every row's DnsIngestTime and the plan's period start. */
  readonly startTime: number;
  readonly period: number;
  readonly buckets: number;
  /** Addresses planned as one task batch: nmap's targetsPerTask (default 1). */
  readonly targetsPerTask?: number;
  /** Log each ignored record (the original `log_unhandled`). */
  readonly logUnhandled?: boolean;
  readonly random?: () => number;
  readonly log?: Log;
  readonly resolveConcurrency?: number;
  /** Plan loopback addresses too; only a local run sets it (default false: cloud scans never plan them). */
  readonly allowLoopback?: boolean;
}

export interface IngestStats {
  zones: number;
  recordSets: number;
  skippedOwnZoneAliases: number;
  unhandledRecords: number;
  resolvedNames: number;
  unresolvableNames: number;
  addresses: number;
  hosts: number;
  /** Distinct special-purpose addresses (loopback, private, link-local, …) found and not planned. */
  specialPurposeAddresses: number;
}

/** One DNS ingest: read every zone, resolve what needs resolving, then plan and record every address. */
export async function ingestDns(d: IngestDeps): Promise<IngestStats> {
  const log = d.log ?? silentLog;
  // Validate the plan config before spending minutes on Route53.
  const planner = new Planner({
    start: d.startTime,
    period: d.period,
    buckets: d.buckets,
    targetsPerTask: d.targetsPerTask,
    random: d.random,
  });
  const writer = new ScanPlanWriter({ allowLoopback: d.allowLoopback === true });
  const stats: IngestStats = {
    zones: 0,
    recordSets: 0,
    skippedOwnZoneAliases: 0,
    unhandledRecords: 0,
    resolvedNames: 0,
    unresolvableNames: 0,
    addresses: 0,
    hosts: 0,
    specialPurposeAddresses: 0,
  };

  const zones = await listZones(d.route53);
  stats.zones = zones.length;
  const own = new Set(zones.map((z) => z.id));
  const toResolve = new Map<string, Set<string>>(); // name -> hosts that point at it

  for (const zone of zones) {
    for await (const record of listRecordSets(d.route53, zone.id)) {
      stats.recordSets += 1;
      const action = classifyRecord(record, own);
      if (action.kind === "addresses") {
        for (const address of action.addresses) writer.add({ host: action.host, address });
      } else if (action.kind === "resolve") {
        for (const name of action.names) {
          if (!toResolve.has(name)) toResolve.set(name, new Set());
          toResolve.get(name)!.add(action.host);
        }
      } else if (action.reason === "alias-to-own-zone") {
        stats.skippedOwnZoneAliases += 1;
      } else {
        stats.unhandledRecords += 1;
        if (d.logUnhandled)
          log.info("ignoring record", { zone: zone.name, name: action.host, type: record.Type });
      }
    }
  }

  await mapLimit([...toResolve], d.resolveConcurrency ?? 32, async ([name, hosts]) => {
    try {
      const addresses = await d.resolver.addresses(name);
      stats.resolvedNames += 1;
      for (const host of hosts) for (const address of addresses) writer.add({ host, address });
    } catch (e) {
      if (!(e instanceof UnresolvableError)) throw e;
      stats.unresolvableNames += 1;
      log.warn("unresolvable name", { name, hosts: [...hosts], reason: e.reason });
    }
  });

  const written = await writer.commit(d.doc, d.tables, planner, d.startTime);
  stats.addresses = written.addresses;
  stats.hosts = written.hosts;
  stats.specialPurposeAddresses = writer.skipped.length;
  if (writer.skipped.length)
    log.warn("special-purpose addresses in DNS are not planned for scans", {
      count: writer.skipped.length,
      sample: writer.skipped.slice(0, 20),
    });
  log.info("dns ingest complete", { ...stats });
  return stats;
}
