import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { Limits, keyHash, validate, DocumentCollection, type KeyFields } from "@sec-an/contracts";
import { PermanentFailure } from "@sec-an/runtime";
import type { DynamoDBRecord } from "aws-lambda";

/**
 * DynamoDB stream → DocumentCollection messages for the ingest queue (reference §4.4, with its defects
 * fixed): the ResultsContext shape with hashed keys and a `__ParentKey`, so the ingestor's snapshot
 * clean-up works; a REMOVE becomes an empty collection that clears the item's snapshot document; every
 * `…Time` attribute holding epoch seconds becomes ISO-8601; optional set diffs.
 */
export interface SyncConfig {
  /** Index task part: documents go to `{task}_{docType}_snapshot` (and `_history`). */
  task: string;
  docType: string;
  /** Attribute(s) identifying an item (the table's key). */
  keyFields: string[];
  /** Attribute whose value distinguishes versions of an item; with it, history is written too. */
  temporalKeyField?: string;
  /** A set attribute to diff between old and new images: adds `<col>_added` and `<col>_removed`. */
  diffColumn?: string;
}

export const SYNC_PARSER_VERSION = "dynamo-sync-1";

/** Environment the sync Lambda reads its configuration from (set by the DynamoElasticSync component). */
export const SyncEnv = {
  task: "SEC_AN_SYNC_TASK",
  docType: "SEC_AN_SYNC_DOC_TYPE",
  keyFields: "SEC_AN_SYNC_KEY_FIELDS",
  temporalKeyField: "SEC_AN_SYNC_TEMPORAL_KEY_FIELD",
  diffColumn: "SEC_AN_SYNC_DIFF_COLUMN",
} as const;

export function syncConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SyncConfig {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`environment variable ${k} is not set`);
    return v;
  };
  return {
    task: need(SyncEnv.task),
    docType: need(SyncEnv.docType),
    keyFields: need(SyncEnv.keyFields)
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    temporalKeyField: env[SyncEnv.temporalKeyField] || undefined,
    diffColumn: env[SyncEnv.diffColumn] || undefined,
  };
}

/** Plain JSON values: sets become sorted arrays, numbers in `…Time` attributes become ISO times. */
export function normaliseItem(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    let x: unknown = v instanceof Set ? [...v].sort() : v;
    if (k.endsWith("Time") && typeof x === "number" && Number.isFinite(x))
      x = new Date(x * 1000).toISOString();
    out[k] = x;
  }
  return out;
}

const image = (img: Record<string, AttributeValue> | undefined) =>
  img
    ? (unmarshall(img as Parameters<typeof unmarshall>[0], { wrapNumbers: false }) as Record<string, unknown>)
    : undefined;

function asSet(v: unknown): Set<unknown> {
  if (v instanceof Set) return v;
  if (Array.isArray(v)) return new Set(v);
  return new Set();
}

/** Time of the change (the stream's ApproximateCreationDateTime, epoch seconds) as ISO. */
function changeTime(r: DynamoDBRecord, now: Date): string {
  const t = r.dynamodb?.ApproximateCreationDateTime;
  return (typeof t === "number" ? new Date(t * 1000) : now).toISOString();
}

/** The collection message for one stream record, or undefined for records that carry nothing to sync. */
export function recordToCollection(
  r: DynamoDBRecord,
  cfg: SyncConfig,
  now = new Date(),
): DocumentCollection | undefined {
  const newItem = image(r.dynamodb?.NewImage as Record<string, AttributeValue> | undefined);
  const oldItem = image(r.dynamodb?.OldImage as Record<string, AttributeValue> | undefined);
  const keysItem =
    newItem ?? oldItem ?? image(r.dynamodb?.Keys as Record<string, AttributeValue> | undefined);
  if (!keysItem) return undefined;
  const key: KeyFields = {};
  for (const f of cfg.keyFields) {
    const v = keysItem[f];
    if (v === undefined)
      throw new PermanentFailure("missing-key", `stream record ${r.eventID} has no key attribute ${f}`);
    key[f] = v as KeyFields[string];
  }
  const parentKey = keyHash(key);
  const end = changeTime(r, now);
  const docs: DocumentCollection["docs"] = { [cfg.docType]: [] };
  let temporal: unknown = end;
  if (r.eventName !== "REMOVE" && newItem) {
    const data = normaliseItem(newItem);
    if (cfg.diffColumn) {
      const now = asSet(newItem[cfg.diffColumn]);
      const before = asSet(oldItem?.[cfg.diffColumn]);
      data[`${cfg.diffColumn}_added`] = [...now].filter((x) => !before.has(x)).sort();
      data[`${cfg.diffColumn}_removed`] = [...before].filter((x) => !now.has(x)).sort();
    }
    if (cfg.temporalKeyField && newItem[cfg.temporalKeyField] !== undefined)
      temporal = newItem[cfg.temporalKeyField];
    docs[cfg.docType].push({ nonTemporalKey: parentKey, data });
  }
  const table = r.eventSourceARN?.split(":table/")[1]?.split("/")[0] ?? "unknown-table";
  const scanId = `${r.eventName ?? "change"}-${r.eventID ?? keyHash({ parentKey, end }).slice(0, 16)}`
    .replace(/[^A-Za-z0-9._:@-]/g, "_")
    .slice(0, 128);
  const collection: DocumentCollection = {
    kind: "collection",
    task: cfg.task,
    parentKey,
    temporalKey: keyHash({ ...key, __temporal: temporal as KeyFields[string] }),
    scanId,
    scanStartTime: end,
    scanEndTime: end,
    lineage: { scanId, task: cfg.task, rawKey: `dynamodb:${table}`, parserVersion: SYNC_PARSER_VERSION },
    docs,
    history: cfg.temporalKeyField !== undefined,
  };
  return validate(DocumentCollection, collection, "synced collection");
}

/** A synced item larger than one message cannot be split (it is one document): refused with the reason. */
export function checkMessageSize(body: string): void {
  const bytes = Buffer.byteLength(body);
  if (bytes > Limits.publishBudgetBytes)
    throw new PermanentFailure(
      "too-large",
      `synced document is ${bytes} bytes, over the ${Limits.publishBudgetBytes}-byte message budget`,
    );
}
