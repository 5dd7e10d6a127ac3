import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from "@aws-sdk/client-sqs";
import {
  Attr,
  DocFields,
  IngestMessage,
  Limits,
  indexBase,
  writeAlias,
  type DocumentCollection,
} from "@sec-an/contracts";
import { cutReason, logger, parseRecordBody, recordAttributes } from "@sec-an/runtime";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import type { BulkOp, DocumentStore, Filter } from "./store/types";

/** Largest document we index (bytes of its JSON). Larger is a parser bug, and would bloat every search. */
export const DEFAULT_MAX_DOC_BYTES = 200 * 1024;

/** Input that will never index, however often it is retried: it goes to the DLQ with this reason. */
export class IngestRejected extends Error {
  constructor(
    readonly code: "malformed" | "unknown-index" | "oversize" | "rejected",
    message: string,
  ) {
    super(message);
    this.name = "IngestRejected";
  }
}

/** Stale snapshot documents of one parent: those from scans that ended before this collection's. */
export interface Cleanup {
  index: string;
  filter: Filter;
  /** The snapshot documents of this parent from a NEWER scan (if any: this collection is a late replay). */
  newer: Filter;
  /** Indices into `ops` of the snapshot writes this clean-up belongs to. */
  snapshotOps: number[];
}

export interface IngestPlan {
  ops: BulkOp[];
  cleanups: Cleanup[];
}

/**
 * The writes for one message. Collections: every document into `{task}_{docType}_snapshot` (id = its
 * non-temporal key) and, unless `history: false`, `…_history` (id = `${ntk}@${temporalKey}`). Snapshot
 * writes carry the scan end time (ms) as an external version with `external_gte`, so an older scan
 * replayed late never overwrites a newer document while a replay of the same scan is idempotent; the
 * clean-up then deletes only the parent's documents from older scans, so parts of one collection and
 * out-of-order deliveries never delete fresh documents.
 */
export function planMessage(
  msg: IngestMessage,
  known: ReadonlySet<string>,
  maxDocBytes = DEFAULT_MAX_DOC_BYTES,
): IngestPlan {
  const target = (base: string) => {
    const alias = writeAlias(base);
    if (!known.has(alias))
      throw new IngestRejected(
        "unknown-index",
        `index ${alias} is not managed by the analytics platform (no such write alias); create it with ElasticIndex`,
      );
    return alias;
  };
  // Serialised once: the size check and both bulk ops (snapshot, history) share the text.
  const sized = (doc: Record<string, unknown>, what: string) => {
    const source = JSON.stringify(doc);
    // UTF-8 is at most 3 bytes per UTF-16 unit: skip the exact count when it cannot matter.
    const bytes = source.length * 3 <= maxDocBytes ? source.length : Buffer.byteLength(source);
    if (bytes > maxDocBytes)
      throw new IngestRejected(
        "oversize",
        `${what} is ${bytes} bytes, larger than the ${maxDocBytes}-byte document limit`,
      );
    return { doc, source };
  };
  if (msg.kind === "document") {
    return {
      ops: [
        { action: "index", index: target(msg.index), id: msg.id, ...sized(msg.doc, `document ${msg.id}`) },
      ],
      cleanups: [],
    };
  }
  const version = Date.parse(msg.scanEndTime);
  const ops: BulkOp[] = [];
  const cleanups: Cleanup[] = [];
  for (const [docType, docs] of Object.entries(msg.docs)) {
    const snapshot = target(indexBase(msg.task, docType, "snapshot"));
    const history = msg.history === false ? undefined : target(indexBase(msg.task, docType, "history"));
    const snapshotOps: number[] = [];
    for (const d of docs) {
      const { doc, source } = sized(
        collectionDoc(msg, d.nonTemporalKey, d.data),
        `${docType} document ${d.nonTemporalKey}`,
      );
      snapshotOps.push(ops.length);
      ops.push({
        action: "index",
        index: snapshot,
        id: d.nonTemporalKey,
        doc,
        source,
        externalVersion: version,
      });
      if (history)
        ops.push({
          action: "index",
          index: history,
          id: `${d.nonTemporalKey}@${msg.temporalKey}`,
          doc,
          source,
          externalVersion: version,
        });
    }
    const parent = { [DocFields.parentKey]: msg.parentKey };
    cleanups.push({
      index: snapshot,
      filter: { term: parent, range: { [DocFields.scanEndTime]: { lt: msg.scanEndTime } } },
      newer: { term: parent, range: { [DocFields.scanEndTime]: { gt: msg.scanEndTime } } },
      snapshotOps,
    });
  }
  return { ops, cleanups };
}

// Field names read once: per-document lookups through the contracts barrel's re-export getters are slow.
const F = { ...DocFields };

/** A collection document as stored: the parser's data plus the key, scan and lineage fields. */
export function collectionDoc(
  msg: DocumentCollection,
  nonTemporalKey: string,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const doc: Record<string, unknown> = Object.assign({}, data);
  doc[F.parentKey] = msg.parentKey;
  doc[F.nonTemporalKey] = nonTemporalKey;
  doc[F.temporalKey] = msg.temporalKey;
  doc[F.scanId] = msg.scanId;
  doc[F.scanStartTime] = msg.scanStartTime;
  doc[F.scanEndTime] = msg.scanEndTime;
  doc[F.task] = msg.task;
  doc[F.rawKey] = msg.lineage.rawKey;
  doc[F.parserVersion] = msg.lineage.parserVersion;
  return doc;
}

export interface IngestDeps {
  store: DocumentStore;
  /** Permanently rejected records are sent here with their reason; without it they are retried into the redrive DLQ. */
  deadLetter?: { sqs: SQSClient; queueUrl: string };
  maxDocBytes?: number;
  /** Forget cached index names (called once when a message names an index we do not know yet). */
  refreshKnown?: () => void;
}

/**
 * Ingest one SQS batch: one bulk request for every record's writes, per-item results mapped back to the
 * record that produced them, then the snapshot clean-ups. Returns the partial batch response: a record
 * fails (and is retried) only if one of its own writes failed transiently; a record whose input can
 * never index goes straight to the DLQ with the reason.
 */
export async function ingestBatch(
  records: readonly SQSRecord[],
  deps: IngestDeps,
): Promise<SQSBatchResponse> {
  const failed = new Set<string>();
  const rejected = new Map<string, IngestRejected>();
  const plans = new Map<SQSRecord, IngestPlan>();
  let known = await deps.store.writeAliases();
  let refreshed = false;
  for (const record of records) {
    let msg: IngestMessage;
    try {
      msg = parseRecordBody(IngestMessage, record, "ingest message");
    } catch (e) {
      rejected.set(record.messageId, new IngestRejected("malformed", (e as Error).message));
      continue;
    }
    for (;;) {
      try {
        plans.set(record, planMessage(msg, known, deps.maxDocBytes));
      } catch (e) {
        if (!(e instanceof IngestRejected)) throw e;
        if (e.code === "unknown-index" && !refreshed && deps.refreshKnown) {
          // The index may have been created since the list was cached: look once more.
          refreshed = true;
          deps.refreshKnown();
          known = await deps.store.writeAliases();
          continue;
        }
        rejected.set(record.messageId, e);
      }
      break;
    }
  }

  await dropLateReplays(plans, deps.store);

  const owners: SQSRecord[] = [];
  const ops: BulkOp[] = [];
  for (const [record, plan] of plans) {
    for (const op of plan.ops) {
      owners.push(record);
      ops.push(op);
    }
  }
  if (ops.length > 0) {
    try {
      const results = await deps.store.bulk(ops);
      results.forEach((r, i) => {
        if (r.ok) return;
        const id = owners[i].messageId;
        if (r.retryable) failed.add(id);
        else if (!rejected.has(id))
          rejected.set(
            id,
            new IngestRejected(
              "rejected",
              `OpenSearch rejected a write to ${ops[i].index}/${ops[i].id}: ${r.error}`,
            ),
          );
      });
    } catch (e) {
      logger.error("bulk request failed", { error: e as Error });
      for (const r of plans.keys()) failed.add(r.messageId);
    }
  }

  // Clean-ups only after the record's own writes succeeded; once per (index, parent, end time).
  const done = new Set<string>();
  for (const [record, plan] of plans) {
    if (failed.has(record.messageId) || rejected.has(record.messageId)) continue;
    try {
      for (const c of plan.cleanups) {
        const key = JSON.stringify(c);
        if (done.has(key)) continue;
        await deps.store.deleteByQuery(c.index, c.filter);
        done.add(key);
      }
    } catch (e) {
      logger.error("snapshot clean-up failed", { messageId: record.messageId, error: e as Error });
      failed.add(record.messageId);
    }
  }

  for (const record of records) {
    const why = rejected.get(record.messageId);
    if (!why || failed.has(record.messageId)) continue;
    logger.warn("ingest message rejected", {
      messageId: record.messageId,
      code: why.code,
      reason: why.message,
    });
    if (!deps.deadLetter) {
      failed.add(record.messageId);
      continue;
    }
    try {
      await sendToDeadLetters(record, why, deps.deadLetter);
    } catch (e) {
      logger.error("could not send to the DLQ; the record will be retried", {
        messageId: record.messageId,
        error: e as Error,
      });
      failed.add(record.messageId);
    }
  }
  return {
    batchItemFailures: records
      .filter((r) => failed.has(r.messageId))
      .map((r) => ({ itemIdentifier: r.messageId })),
  };
}

/**
 * A collection older than what the snapshot already holds for its parent (a late replay) must not
 * touch the snapshot: external versions stop it overwriting newer documents, but a child the newer
 * scan removed would be re-created. One `_msearch` per batch finds such parents; their snapshot
 * writes and clean-ups are dropped (history still gets its copy). Stores without `countMany` skip this.
 */
async function dropLateReplays(plans: Map<SQSRecord, IngestPlan>, store: DocumentStore): Promise<void> {
  if (!store.countMany) return;
  const checks = [...plans.values()].flatMap((plan) => plan.cleanups.map((c) => ({ plan, c })));
  if (checks.length === 0) return;
  const counts = await store.countMany(checks.map(({ c }) => ({ index: c.index, filter: c.newer })));
  const dropped = new Map<IngestPlan, Set<number>>();
  checks.forEach(({ plan, c }, i) => {
    if (counts[i] === 0) return;
    const set = dropped.get(plan) ?? new Set<number>();
    for (const k of c.snapshotOps) set.add(k);
    dropped.set(plan, set);
    plan.cleanups = plan.cleanups.filter((x) => x !== c);
  });
  for (const [plan, set] of dropped) plan.ops = plan.ops.filter((_, k) => !set.has(k));
}

async function sendToDeadLetters(
  record: SQSRecord,
  err: IngestRejected,
  dl: { sqs: SQSClient; queueUrl: string },
): Promise<void> {
  const str = (v: string): MessageAttributeValue => ({ DataType: "String", StringValue: v });
  const attrs: Record<string, MessageAttributeValue> = {};
  for (const [k, v] of Object.entries(recordAttributes(record)).slice(0, 6)) attrs[k] = str(v);
  attrs[Attr.errorCode] = str(err.code);
  attrs[Attr.errorMessage] = str(cutReason(err.message, Limits.reasonBytes));
  attrs[Attr.requestId] = str(record.messageId);
  if (record.eventSourceARN) attrs[Attr.sourceQueue] = str(record.eventSourceARN);
  await dl.sqs.send(
    new SendMessageCommand({ QueueUrl: dl.queueUrl, MessageBody: record.body, MessageAttributes: attrs }),
  );
}
