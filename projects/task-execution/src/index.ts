// Public API of the task-execution project's logic (the package's `main`). The Pulumi program is in
// ./program (imported by index.ts and the local run), kept out of here so importing the logic loads no Pulumi.
export * from "./plan/planner";
export * from "./config";
export { ingestDns, type IngestDeps, type IngestStats } from "./dns/ingest";
export { ScanPlanWriter, type WriteStats } from "./dns/plan-writer";
export { classifyRecord, normaliseName, type HostToScan, type RecordAction } from "./dns/records";
export { DnsResolver, UnresolvableError, type DnsResolverOptions } from "./dns/resolver";
export { RateLimiter } from "./dns/rate-limiter";
export {
  RateLimitedRoute53Client,
  listRecordSets,
  listZones,
  normaliseZoneId,
  route53Client,
} from "./dns/route53";
export {
  delaySeconds,
  initiateScans,
  scanRequestFor,
  type InitiatorDeps,
  type InitiatorStats,
} from "./initiator/initiator";
export type { SchedulerTables, Log } from "./util";
