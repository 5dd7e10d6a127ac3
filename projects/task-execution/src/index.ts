// Public index of the task-execution project: its program and the scheduler's logic.
import type * as Program from "./program";
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
/** The program as `pulumi up` runs it; loaded on first call, so the library above loads no Pulumi. */
export const runFromConfig: typeof Program.runFromConfig = (...args) =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("./program") as typeof Program).runFromConfig(...args);
/** The stack-config schema (namespace: the Pulumi.yaml name). */
export { configSchema } from "./stack-config";
