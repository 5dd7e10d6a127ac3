// Contracts specific to the scheduler area (owned by that area; imported by its handlers and programs).
import { keyHash } from "./canonical";

/** Attribute names of the task-execution DynamoDB tables (the original platform's, reference §5.1). */
export const ScanPlan = {
  /** Logical table name (physical: `${stage}-${app}-scan-plan`). */
  table: "scan-plan",
  address: "Address",
  plannedScanTime: "PlannedScanTime",
  dnsIngestTime: "DnsIngestTime",
  /** GSI (hash Address, range PlannedScanTime, INCLUDE DnsIngestTime) the initiator reads. */
  index: "ToScan",
} as const;

export const ResolvedHosts = {
  table: "resolved-hosts",
  host: "Host",
  dnsIngestTime: "DnsIngestTime",
  /** String set of the addresses the host resolved to at that ingest. */
  addresses: "Addresses",
} as const;

export const ResolvedAddresses = {
  table: "resolved-addresses",
  address: "Address",
  dnsIngestTime: "DnsIngestTime",
  /** String set of the host names resolving to the address at that ingest. */
  hosts: "Hosts",
} as const;

/** Logical name of the address-info table (its fields are `AddressInfo`, in names.ts). */
export const AddressInfoTable = "address-info" as const;

/** Defaults of the scheduler configuration (`Params.scheduler*`). */
export const SchedulerDefaults = {
  /** Every address is scanned once per period (seconds). */
  period: 86_400,
  /** Buckets per period; bucket length = period / buckets = 900 s, the SQS DelaySeconds maximum. */
  buckets: 96,
  /** Route53 allows 5 requests/second per account. */
  route53RequestsPerSecond: 5,
} as const;

/** Environment of the scheduler Lambdas beyond `Env` (never secrets). */
export const SchedulerEnv = {
  /** Comma-separated DNS servers (`ip` or `ip:port`) for CNAME/alias resolution; system resolvers when unset. */
  dnsServers: "SEC_AN_DNS_SERVERS",
} as const;

/**
 * Deterministic root scan id of a planned scan: the same plan row always yields the same id, so a
 * re-queued (at-least-once) request is recognisable downstream.
 */
export function plannedScanId(address: string, plannedScanTime: number): string {
  return keyHash({ address, plannedScanTime });
}
