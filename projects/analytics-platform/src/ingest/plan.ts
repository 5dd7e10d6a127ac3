import {
  DocFields,
  IngestFields,
  IngestMarkerIndex,
  Limits,
  ScanTimeRules,
  indexBase,
  writeAlias,
  type DocumentCollection,
  type IngestMessage,
} from "@sec-an/contracts";
import { PermanentFailure } from "@sec-an/runtime";
import type { BulkOp, Filter } from "../store/types";
import { CollectionJson, HistoryWrite, collectionDoc, type SnapshotWrite } from "./writes";

export { collectionDoc };

/** Input that will never index, however often it is retried: it goes to the DLQ with this code and reason. */
export class IngestRejected extends PermanentFailure {
  constructor(
    override readonly code:
      "malformed" | "unknown-index" | "oversize" | "rejected" | "future-scan-time" | "unprocessable",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = "IngestRejected";
  }
}

/** Write alias of the per-(task, parent) latest-scan markers. */
export const MARKER_ALIAS = writeAlias(indexBase(IngestMarkerIndex.task, IngestMarkerIndex.docType, ""));

/** Parse runs of one scan are told apart in this many steps (the low bits of a generation). */
export const PARSE_STEPS = 2048;

/**
 * The generation of a collection: its scan end time (ms) first, then when it was parsed, as one number
 * that is the external version of everything it writes. A later scan always wins; of two parse runs of
 * one scan the later wins, with a resolution of about 1% of the time since the scan ended (log scale:
 * 64 steps per doubling, saturating after ~136 years). Runs closer than that tie, like the parts of one
 * run, and neither deletes the other's documents. Exact in a double while the scan ends before 2109.
 */
export function generation(scanEndMs: number, parsedAtMs: number = scanEndMs): number {
  const elapsedS = Math.max(0, (parsedAtMs - scanEndMs) / 1000);
  const step = Math.min(PARSE_STEPS - 1, Math.floor(64 * Math.log2(1 + elapsedS)));
  return scanEndMs * PARSE_STEPS + step;
}

/** The parent's snapshot documents of one owned doc type, to be cleared of generations before this one. */
export interface Cleanup {
  index: string;
  parentKey: string;
  generation: number;
}

/**
 * Delete-by-query filter of a clean-up. Exclusive: documents of older generations (never this run's
 * own, nor its other parts'). Inclusive: this generation too, used when a newer scan owns the parent.
 * Documents without a generation were written before generations existed: older than any run.
 */
export function cleanupFilter(c: Cleanup, inclusive: boolean): Filter {
  const bound = inclusive ? { lte: c.generation } : { lt: c.generation };
  return {
    term: { [DocFields.parentKey]: c.parentKey },
    rangeOrMissing: { [IngestFields.generation]: bound },
  };
}

export interface IngestPlan {
  /** History and single-document writes: always applied. */
  ops: BulkOp[];
  /** Snapshot writes: dropped when a newer scan owns the parent. */
  snapshotOps: BulkOp[];
  /** The parent's latest-scan marker (collections, when the marker index exists). */
  marker?: BulkOp;
  cleanups: Cleanup[];
}

export interface PlanOptions {
  /** Largest document, bytes of its JSON (default contracts `Limits.documentBytes`). */
  maxDocBytes?: number;
  /** The ingestor's clock, epoch ms (tests inject it). */
  now?: number;
}

/** Refuse a document larger than the limit (bytes of its UTF-8 JSON). */
function checkSize(json: SnapshotWrite | string, maxDocBytes: number, what: string): void {
  // UTF-8 is at most 3 bytes per UTF-16 unit: skip the exact count when it cannot matter.
  let bytes = json.length;
  if (bytes * 3 > maxDocBytes) bytes = typeof json === "string" ? Buffer.byteLength(json) : json.byteLength();
  if (bytes > maxDocBytes)
    throw new IngestRejected(
      "oversize",
      `${what} is ${bytes} bytes, larger than the ${maxDocBytes}-byte document limit`,
    );
}

/**
 * The writes for one message (pure). Collections: every document into `{task}_{docType}_snapshot`
 * (id = its non-temporal key) and, unless `history: false`, `…_history` (id = `${ntk}@${temporalKey}`),
 * both with the generation as an `external_gte` version, so an older scan never overwrites a newer
 * document while a replay of the same run is idempotent. Clean-ups cover every doc type the task owns
 * (`docTypes`; without it, those present), so a type this scan found nothing for is cleared too.
 * docs/ingest-consistency.md states the rules.
 *
 * The caller hands `msg` over: the writes refer to its documents' data instead of copying it (each
 * document is serialised once, for both of its writes), so it must not change while the plan is used.
 */
export function planMessage(
  msg: IngestMessage,
  known: ReadonlySet<string>,
  opts: PlanOptions = {},
): IngestPlan {
  const maxDocBytes = opts.maxDocBytes ?? Limits.documentBytes;
  const target = (base: string) => {
    const alias = writeAlias(base);
    if (!known.has(alias))
      throw new IngestRejected(
        "unknown-index",
        `index ${alias} is not managed by the analytics platform (no such write alias); create it with ElasticIndex`,
      );
    return alias;
  };
  if (msg.kind === "document") {
    const source = JSON.stringify(msg.doc);
    checkSize(source, maxDocBytes, `document ${msg.id}`);
    const op: BulkOp = { action: "index", index: target(msg.index), id: msg.id, doc: msg.doc, source };
    return { ops: [op], snapshotOps: [], cleanups: [] };
  }

  const gen = collectionGeneration(msg, opts.now ?? Date.now());
  const docsJson = new CollectionJson(msg, gen);
  const ops: BulkOp[] = [];
  const snapshotOps: BulkOp[] = [];
  const cleanups: Cleanup[] = [];
  const owned = new Set([...(msg.docTypes ?? []), ...Object.keys(msg.docs)]);
  for (const docType of [...owned].sort()) {
    const docs = msg.docs[docType] ?? [];
    const snapshotBase = indexBase(msg.task, docType, "snapshot");
    // An owned type without an index has nothing to clear; documents for it are an error.
    if (docs.length === 0 && !known.has(writeAlias(snapshotBase))) continue;
    const snapshot = target(snapshotBase);
    const history = msg.history === false ? undefined : target(indexBase(msg.task, docType, "history"));
    const snapshotActions = docsJson.actions(snapshot, false);
    const historyActions = history === undefined ? undefined : docsJson.actions(history, true);
    for (const d of docs) {
      const snapshotWrite = docsJson.document(d.nonTemporalKey, d.data, snapshotActions);
      checkSize(snapshotWrite, maxDocBytes, `${docType} document ${d.nonTemporalKey}`);
      snapshotOps.push(snapshotWrite);
      if (historyActions) ops.push(new HistoryWrite(historyActions, snapshotWrite));
    }
    cleanups.push({ index: snapshot, parentKey: msg.parentKey, generation: gen });
  }
  const marker: BulkOp | undefined = known.has(MARKER_ALIAS)
    ? {
        action: "index",
        index: MARKER_ALIAS,
        id: `${msg.task}:${msg.parentKey}`,
        doc: {
          task: msg.task,
          [DocFields.parentKey]: msg.parentKey,
          [DocFields.scanId]: msg.scanId,
          [DocFields.scanEndTime]: msg.scanEndTime,
          parsed_at: msg.parsedAt ?? null,
          [IngestFields.generation]: gen,
        },
        externalVersion: gen,
      }
    : undefined;
  return { ops, snapshotOps, marker, cleanups };
}

/** The collection's generation, refusing end times that would freeze or break the ordering. */
export function collectionGeneration(msg: DocumentCollection, now: number): number {
  const end = Date.parse(msg.scanEndTime);
  if (!Number.isFinite(end) || end < 0)
    throw new IngestRejected("malformed", `scanEndTime ${msg.scanEndTime} is not a time after 1970`);
  if (end > now + ScanTimeRules.futureToleranceMs)
    throw new IngestRejected(
      "future-scan-time",
      `scanEndTime ${msg.scanEndTime} is more than ${ScanTimeRules.futureToleranceMs / 1000} s after the ingestor's clock (${new Date(now).toISOString()}): it would outrank every real scan of this parent`,
    );
  const parsed = msg.parsedAt === undefined ? end : Date.parse(msg.parsedAt);
  if (!Number.isFinite(parsed))
    throw new IngestRejected("malformed", `parsedAt ${msg.parsedAt} is not a time`);
  return generation(end, parsed);
}
