import { keyHash } from "./canonical";
import { resourcePrefix, type Deployment } from "./projects";

/**
 * Index and alias naming. OpenSearch (and Elasticsearch since 7) rejects ':' in index and alias names,
 * so the original `{task}:{type}_{flavour}:write` becomes `{task}_{type}_{flavour}.write`. Physical
 * indices are versioned by a hash of their mapping (`….v<hash>`) and only ever addressed through the
 * aliases, so a mapping change can reindex into a new index and flip the aliases.
 */
export type IndexFlavour = "snapshot" | "history" | "";

const NAME = /^[a-z][a-z0-9_-]{0,40}$/;
function checkPart(what: string, v: string): void {
  if (!NAME.test(v))
    throw new Error(`invalid ${what} ${JSON.stringify(v)}: lower-case letters, digits, _ and - only`);
}

/** Base name of one logical index, e.g. `nmap_ports_snapshot`, `dead_letter_data`. */
export function indexBase(task: string, docType: string, flavour: IndexFlavour): string {
  checkPart("task", task);
  checkPart("doc type", docType);
  return flavour ? `${task}_${docType}_${flavour}` : `${task}_${docType}`;
}
export const writeAlias = (base: string) => `${base}.write`;
export const readAlias = (base: string) => `${base}.read`;
/** Physical index for a mapping: changes exactly when the mapping (or settings) changes. */
export function versionedIndexName(base: string, mappingAndSettings: unknown): string {
  return `${base}.v${keyHash(mappingAndSettings).slice(0, 12)}`;
}
/** Dashboards index pattern covering both physical versions and the read alias. */
export const indexPattern = (base: string) => `${base}.read`;

/**
 * Physical names task-execution gives its scan-initiator topic and DNS tables (`prefix` is
 * `resourcePrefix(d)`), for projects that deploy before it and so cannot read its SSM exports.
 */
export const scanInitiatorTopicName = (prefix: string) => `${prefix}-scan-initiator`;
export const dnsTableName = (prefix: string, logical: string) => `${prefix}-${logical}`;

/**
 * IAM role of the functions that only read the search domain (the threat-service search worker). Fixed,
 * so analytics-platform maps and admits its ARN by name without waiting for the role to exist.
 */
export const searchReaderRoleName = (d: Deployment) => `${resourcePrefix(d)}-search-reader`;

/** Fields the ingestor adds to every document of a collection. */
export const DocFields = {
  parentKey: "__ParentKey",
  nonTemporalKey: "__NonTemporalKey",
  temporalKey: "__TemporalKey",
  scanId: "scan_id",
  scanStartTime: "scan_start_time",
  scanEndTime: "scan_end_time",
  task: "__task",
  rawKey: "__raw_key",
  parserVersion: "__parser_version",
} as const;

/** SNS/SQS message-attribute names. Filter policies of subscribers refer to these. */
export const Attr = {
  parentKey: "ParentKey",
  temporalKey: "TemporalKey",
  task: "Task",
  scanId: "ScanId",
  /** Which EcsTask provider (container) should run a request. */
  provider: "Provider",
  /** Cascade depth of a port-detected event (root scan = 0). */
  depth: "Depth",
  address: "address",
  addressType: "address_type",
  port: "port",
  protocol: "protocol",
  service: "service",
  tunnel: "tunnel",
  product: "product",
  errorMessage: "ErrorMessage",
  errorCode: "ErrorCode",
  requestId: "RequestID",
  sourceQueue: "SourceQueue",
} as const;

/** Limits we cut to (bytes). */
export const Limits = {
  /** SNS and SQS messages, body plus attributes. */
  snsMessageBytes: 256 * 1024,
  /** Our budget for one published message: leaves room for attributes and the SNS envelope. */
  publishBudgetBytes: 240 * 1024,
  /**
   * One stored document as the ingestor writes it (a parser's data plus the ingest fields below). Parsers
   * cut to `documentBytes - ingestFieldsBytes`, so whatever a parser emits the ingestor accepts; it is well
   * under `publishBudgetBytes`, so such a document always fits in one message with its envelope.
   */
  documentBytes: 200 * 1024,
  /** Room the ingestor's fields take in a stored document: keys, scan id and times, task, raw key, parser version. */
  ingestFieldsBytes: 2 * 1024,
  /** S3 user metadata, all keys and values together. */
  s3MetadataBytes: 2 * 1024,
  /** One error reason carried in metadata or an attribute. */
  reasonBytes: 1024,
  /** SQS batch / SNS PublishBatch entries. */
  batchEntries: 10,
  /** SQS DelaySeconds maximum. */
  maxDelaySeconds: 900,
} as const;

/** S3 user-metadata keys (S3 lower-cases them) written with every raw result. */
export const RawMeta = {
  scanId: "scan-id",
  task: "task",
  scanStartTime: "scan-start-time",
  scanEndTime: "scan-end-time",
  /** base64url(JSON of the request), or absent when it is too large (then see requestKey). */
  request: "request",
  /** S3 key of a sidecar object holding the request when it did not fit in metadata. */
  requestKey: "request-key",
  contentType: "content-type",
} as const;

/** Raw-result object key: dated so re-ingestion can list by time, scan id last so keys are unique. */
export function rawResultKey(task: string, scanId: string, end: Date, extension: string): string {
  checkPart("task", task);
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(scanId)) throw new Error(`invalid scan id ${JSON.stringify(scanId)}`);
  if (!/^[a-z0-9.]{1,16}$/.test(extension)) throw new Error(`invalid extension ${JSON.stringify(extension)}`);
  const d = end.toISOString();
  return `${task}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${scanId}.${extension}`;
}

/** Environment variables our Lambdas and containers read (never secrets). */
export const Env = {
  app: "SEC_AN_APP",
  stage: "SEC_AN_STAGE",
  task: "SEC_AN_TASK",
  /** Override of the SSM prefix stage (the original ssm_source_stage, for ephemeral stacks). */
  ssmSourceStage: "SEC_AN_SSM_SOURCE_STAGE",
  /** Path of a JSON file of parameter overrides, for tests and the local run. */
  paramOverrides: "SEC_AN_PARAMS_FILE",
  deadLetterQueueUrl: "SEC_AN_DLQ_URL",
  /** The consumed queue's maxReceiveCount: a handler dead-letters a record itself on its last attempt. */
  maxReceiveCount: "SEC_AN_MAX_RECEIVE_COUNT",
  scanRequestId: "SCAN_REQUEST_ID",
  resultsBucket: "RESULTS_BUCKET",
  scanRequest: "SCAN_REQUEST",
  /** A task that scans several targets: JSON `[{ scanId, request }, …]` instead of SCAN_REQUEST(_ID). */
  scanRequests: "SCAN_REQUESTS",
} as const;

/** Fargate tasks that scan several targets (EcsTask `targetsPerTask`, nmap's stack config key). */
export const TaskBatch = {
  /** Targets one task may carry: keeps a task's requests well inside ECS's 8 KB of overrides. */
  maxTargets: 16,
  /** Scans a task runs at the same time: bounded so one task's processes share its vCPUs. */
  scansAtOnce: 4,
} as const;

/** Fields of the task-execution `address-info` table, agreed between the planner and the parsers. */
export const AddressInfo = {
  address: "Address",
  lastDnsIngestTime: "LastDnsIngestTime",
  nextPlannedScanTime: "NextPlannedScanTime",
  lastPlannedScanQueued: "LastPlannedScanQueued",
  /** Written by the nmap results parser; the "Recently Scanned" view reads it. */
  lastScanResultsParsed: "LastScanResultsParsed",
} as const;

/** Index names owned by the platform itself (tasks own theirs, named after the task). */
export const PlatformIndex = {
  deadLetter: { task: "dead_letter", docType: "data" },
  addressInfo: { task: "address_info", docType: "data" },
  resolvedAddresses: { task: "resolved_addresses", docType: "data" },
  resolvedHosts: { task: "resolved_hosts", docType: "data" },
} as const;
