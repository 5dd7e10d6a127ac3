import { Type, type Static } from "@sinclair/typebox";

/**
 * Schemas of every message that crosses a queue, topic or bucket. Objects accept extra properties so a
 * producer can add a field (behind a feature flag) without breaking older consumers (seed 001).
 */

const IsoTime = Type.String({ format: "date-time", pattern: "^\\d{4}-\\d{2}-\\d{2}T", maxLength: 40 });
const Sha256 = Type.String({ pattern: "^[0-9a-f]{64}$" });
const Id = Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9._:@-]+$" });
const TaskName = Type.String({ pattern: "^[a-z][a-z0-9_-]{0,40}$" });
const KeyValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

/** Where a scan came from: the root scan, the scan that caused this one, and the rule that fired. */
export const Lineage = Type.Object(
  {
    rootScanId: Id,
    parentScanId: Type.Optional(Id),
    /** 0 for a primary scan; each cascade step adds one. */
    depth: Type.Integer({ minimum: 0, maximum: 16 }),
    /** The cascade rule (subscription) that produced this request. */
    rule: Type.Optional(Type.String({ maxLength: 128 })),
    /** Raw S3 key of the result that caused this request. */
    rawKey: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { title: "Lineage" },
);
export type Lineage = Static<typeof Lineage>;

/** A request to scan one target (planner → delay queue → glue → scan-initiator topic → task queues). */
export const ScanRequest = Type.Object(
  {
    /** IPv4/IPv6 address, CIDR, or RFC 1123 host name. Validated again by every scanner before use. */
    target: Type.String({ minLength: 1, maxLength: 253 }),
    targetType: Type.Optional(
      Type.Union([
        Type.Literal("ipv4"),
        Type.Literal("ipv6"),
        Type.Literal("cidr"),
        Type.Literal("hostname"),
      ]),
    ),
    requestedAt: IsoTime,
    /** Epoch seconds the planner chose for this scan. */
    plannedScanTime: Type.Optional(Type.Number()),
    /** nmap-style port list, e.g. "22,80,443,8000-8100". */
    ports: Type.Optional(Type.String({ pattern: "^[0-9][0-9,-]{0,200}$" })),
    /** Selects the EcsTask provider; also sent as the Provider message attribute. */
    provider: Type.Optional(Type.String({ pattern: "^[a-z][a-z0-9_-]{0,40}$" })),
    lineage: Type.Optional(Lineage),
  },
  { title: "ScanRequest" },
);
export type ScanRequest = Static<typeof ScanRequest>;

/** Provenance carried by every results message and document. */
export const ResultLineage = Type.Object(
  {
    scanId: Id,
    task: TaskName,
    rawKey: Type.String({ minLength: 1, maxLength: 1024 }),
    parserVersion: Type.String({ minLength: 1, maxLength: 64 }),
    rootScanId: Type.Optional(Id),
    parentScanId: Type.Optional(Id),
    depth: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })),
  },
  { title: "ResultLineage" },
);
export type ResultLineage = Static<typeof ResultLineage>;

/** Metadata stored with each raw result object (decoded from S3 user metadata). */
export const RawResultMetadata = Type.Object(
  {
    scanId: Id,
    task: TaskName,
    scanStartTime: IsoTime,
    scanEndTime: IsoTime,
    request: Type.Unknown(),
  },
  { title: "RawResultMetadata" },
);
export type RawResultMetadata = Static<typeof RawResultMetadata>;

/** A doc type: the `{docType}` part of `{task}_{docType}_snapshot`. */
const DocTypeName = Type.String({ pattern: "^[a-z][a-z0-9_]{0,40}$" });

export const CollectionDoc = Type.Object({
  nonTemporalKey: Sha256,
  data: Type.Record(Type.String(), Type.Unknown()),
});
export type CollectionDoc = Static<typeof CollectionDoc>;

/**
 * All documents a parser produced for one parent key (e.g. one host) in one scan. Ingested into
 * `{task}_{docType}_snapshot` (latest per non-temporal key; stale children of the parent removed) and
 * `{task}_{docType}_history` (one per scan). Split into parts when larger than an SNS message.
 */
export const DocumentCollection = Type.Object(
  {
    kind: Type.Literal("collection"),
    task: TaskName,
    parentKey: Sha256,
    temporalKey: Sha256,
    scanId: Id,
    scanStartTime: IsoTime,
    scanEndTime: IsoTime,
    lineage: ResultLineage,
    docs: Type.Record(DocTypeName, Type.Array(CollectionDoc)),
    /**
     * Every doc type the task owns, including those this scan found nothing for: the ingestor clears the
     * parent's older documents from each of them. Absent in messages published before the field existed;
     * then only the types present in `docs` are cleared.
     */
    docTypes: Type.Optional(Type.Array(DocTypeName, { maxItems: 64, uniqueItems: true })),
    /**
     * When the parser ran (one value per parse run, on every part). A later parse of the same scan
     * replaces an earlier one's documents whatever their keys; absent counts as the scan's end time.
     */
    parsedAt: Type.Optional(IsoTime),
    /** Present when the collection was split: every part carries the same keys. */
    part: Type.Optional(
      Type.Object({ index: Type.Integer({ minimum: 0 }), count: Type.Integer({ minimum: 1 }) }),
    ),
    /** Whether this ingest should also write the history flavour (false for DynamoDB syncs without a temporal key). */
    history: Type.Optional(Type.Boolean()),
  },
  { title: "DocumentCollection" },
);
export type DocumentCollection = Static<typeof DocumentCollection>;

/**
 * The ingestor's per-(task, parent) "latest scan" markers, one document each, written with the
 * collection's generation as an external version: the record of which scan owns a parent's snapshot,
 * even when that scan found no documents at all. Index base `ingest_marker_data`.
 */
export const IngestMarkerIndex = { task: "ingest_marker", docType: "data" } as const;

/** Fields the ingestor adds to every collection document besides contracts `DocFields`. */
export const IngestFields = {
  /** The collection's generation (scan end time, then parse run) as a number: its external version. */
  generation: "__generation",
} as const;

/** Ingest rules on scan times. */
export const ScanTimeRules = {
  /**
   * A scan may end at most this far in the future of the ingestor's clock (clock skew between the
   * scanner and the ingestor). Later end times are rejected: as a version they would freeze the
   * parent's snapshot until that time.
   */
  futureToleranceMs: 5 * 60_000,
} as const;

/** One document for one index (dead letters, ad-hoc records). */
export const SingleDocument = Type.Object(
  {
    kind: Type.Literal("document"),
    /** Logical index base, e.g. `dead_letter_data`; the ingestor writes to its `.write` alias. */
    index: Type.String({ pattern: "^[a-z][a-z0-9_-]{0,80}$" }),
    /** Deterministic id: the same input always overwrites the same document. */
    id: Type.String({ minLength: 1, maxLength: 512 }),
    doc: Type.Record(Type.String(), Type.Unknown()),
  },
  { title: "SingleDocument" },
);
export type SingleDocument = Static<typeof SingleDocument>;

export const IngestMessage = Type.Union([DocumentCollection, SingleDocument], { title: "IngestMessage" });
export type IngestMessage = Static<typeof IngestMessage>;

/** An open port found by a scan: the cascade event secondary scanners subscribe to by filter policy. */
export const PortDetected = Type.Object(
  {
    kind: Type.Literal("port-detected"),
    address: Type.String({ minLength: 2, maxLength: 45 }),
    addressType: Type.Union([Type.Literal("ipv4"), Type.Literal("ipv6")]),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Union([Type.Literal("tcp"), Type.Literal("udp"), Type.Literal("sctp")]),
    service: Type.Optional(Type.String({ maxLength: 64 })),
    tunnel: Type.Optional(Type.String({ maxLength: 16 })),
    product: Type.Optional(Type.String({ maxLength: 128 })),
    version: Type.Optional(Type.String({ maxLength: 128 })),
    /** DNS names known for the address at scan time (from the scan request or nmap's hostnames). */
    hostnames: Type.Array(Type.String({ maxLength: 253 }), { maxItems: 100 }),
    detectedAt: IsoTime,
    lineage: Type.Object({
      rootScanId: Id,
      parentScanId: Id,
      rule: Type.String({ maxLength: 128 }),
      rawKey: Type.String({ minLength: 1, maxLength: 1024 }),
      depth: Type.Integer({ minimum: 1, maximum: 16 }),
    }),
  },
  { title: "PortDetected" },
);
export type PortDetected = Static<typeof PortDetected>;

/** What the dead-letter recorder stores (as the object's JSON and, cut to size, as S3 metadata) and the reporter indexes. */
export const DeadLetterRecord = Type.Object(
  {
    queueName: Type.String({ minLength: 1, maxLength: 80 }),
    messageId: Type.String({ minLength: 1, maxLength: 128 }),
    deadLetterKey: Type.String({ minLength: 1, maxLength: 1024 }),
    sentTime: IsoTime,
    recordedTime: IsoTime,
    receiveCount: Type.Optional(Type.Integer({ minimum: 0 })),
    reason: Type.Optional(Type.String({ maxLength: 4096 })),
    errorCode: Type.Optional(Type.String({ maxLength: 64 })),
    requestId: Type.Optional(Type.String({ maxLength: 128 })),
    sourceQueue: Type.Optional(Type.String({ maxLength: 256 })),
    attributes: Type.Record(Type.String(), Type.String()),
    bodyBytes: Type.Integer({ minimum: 0 }),
  },
  { title: "DeadLetterRecord" },
);
export type DeadLetterRecord = Static<typeof DeadLetterRecord>;

export const KeyFields = Type.Record(Type.String(), KeyValue);
export type KeyFields = Static<typeof KeyFields>;
