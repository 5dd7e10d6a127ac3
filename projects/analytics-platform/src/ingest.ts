import { DocFields, IngestFields, IngestMessage } from "@sec-an/contracts";
import {
  PermanentFailure,
  deadLetterOnFailure,
  isLastAttempt,
  logger,
  parseRecordBody,
  permanentFailureOf,
  recordLetter,
  type DeadLetterTarget,
} from "@sec-an/runtime";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { errorSummary } from "./ingest/log";
import { IngestRejected, MARKER_ALIAS, cleanupFilter, planMessage, type IngestPlan } from "./ingest/plan";
import type { BulkItemResult, BulkOp, DocumentStore, Filter } from "./store/types";

export { IngestRejected, collectionDoc, generation, planMessage, type IngestPlan } from "./ingest/plan";
export { errorSummary } from "./ingest/log";

export interface IngestDeps {
  store: DocumentStore;
  /** Permanently rejected records are sent here with their reason; without it they are retried into the redrive DLQ. */
  deadLetter?: DeadLetterTarget;
  maxDocBytes?: number;
  /** Forget cached index names (called once when a message names an index we do not know yet). */
  refreshKnown?: () => void;
  /** Epoch ms by which the batch answer must be returned: records not finished by then are retried. */
  deadline?: number;
  /** The ingestor's clock (epoch ms); tests inject one. */
  now?: () => number;
  /**
   * The queue's maxReceiveCount: a record failing on its last attempt goes to `deadLetter` with code
   * `retries-exhausted` and its error, rather than be redriven by SQS without a reason.
   */
  maxReceiveCount?: number;
}

/** Ran out of invocation time: the unfinished records are reported for retry. */
class OutOfTime extends Error {}

/** `p`, or OutOfTime once `deadline` passes (the work itself continues, unobserved). */
function beforeDeadline<T>(p: Promise<T>, deadline: number | undefined): Promise<T> {
  if (deadline === undefined) return p;
  let timer: NodeJS.Timeout | undefined;
  const out = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OutOfTime()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, out]).finally(() => clearTimeout(timer));
}

/** Per-record outcome, filled in as the batch goes. */
class Outcomes {
  /** Records to retry, with the error that failed them (dead-lettered with it on their last attempt). */
  readonly failed = new Map<string, unknown>();
  readonly rejected = new Map<string, PermanentFailure>();
  /** Records whose work is complete: written and cleaned up, or dead-lettered. */
  readonly done = new Set<string>();
  fail(id: string, error: unknown) {
    if (!this.done.has(id)) this.failed.set(id, error);
  }
  reject(id: string, why: PermanentFailure) {
    if (!this.rejected.has(id)) this.rejected.set(id, why);
  }
  open(id: string) {
    return !this.failed.has(id) && !this.rejected.has(id) && !this.done.has(id);
  }
}

/**
 * Ingest one SQS batch. Every record's outcome is its own: input that can never index goes to the DLQ
 * with its reason (code and message), a transient failure of one of its own requests leaves it for
 * retry, and anything unexpected (even a stack overflow on a hostile body) fails only that record. With
 * `deadline`, the answer is returned before it, every unfinished record reported for retry.
 *
 * Order per collection, the basis of the consistency rules (docs/ingest-consistency.md):
 * 1. write the parent's latest-scan marker (external_gte generation); a 409 means a newer scan owns the
 *    parent: only history is written;
 * 2. write snapshot and history documents (one bulk request for the batch);
 * 3. write the marker again: a 409 now means a newer scan took over while this one wrote;
 * 4. clear the parent's documents of older generations from every owned doc type (and this
 *    generation's too after a 409 in step 1 or 3: the newer scan's clean-up may have run before this
 *    run's documents were written, in this delivery or an earlier one that failed after writing).
 */
export async function ingestBatch(
  records: readonly SQSRecord[],
  deps: IngestDeps,
): Promise<SQSBatchResponse> {
  const o = new Outcomes();
  try {
    await beforeDeadline(
      runBatch(records, deps, o).then(() => deadLetterExhausted(records, deps, o)),
      deps.deadline,
    );
  } catch (e) {
    if (!(e instanceof OutOfTime)) throw e;
    logger.warn("invocation deadline reached: unfinished records will be retried", {
      unfinished: records.filter((r) => !o.done.has(r.messageId)).length,
    });
    for (const r of records) o.fail(r.messageId, e);
  }
  return {
    batchItemFailures: records
      .filter((r) => o.failed.has(r.messageId) && !o.done.has(r.messageId))
      .map((r) => ({ itemIdentifier: r.messageId })),
  };
}

async function runBatch(records: readonly SQSRecord[], deps: IngestDeps, o: Outcomes): Promise<void> {
  let known: ReadonlySet<string>;
  try {
    known = await deps.store.writeAliases();
  } catch (e) {
    logger.error("index lookup failed: the batch will be retried", { error: errorSummary(e) });
    for (const r of records) o.fail(r.messageId, e);
    return;
  }
  const plans = new Map<SQSRecord, IngestPlan>();
  let refreshed = false;
  const now = (deps.now ?? Date.now)();
  for (const record of records) {
    for (;;) {
      try {
        const msg = parseRecordBody(IngestMessage, record, "ingest message");
        plans.set(record, planMessage(msg, known, { maxDocBytes: deps.maxDocBytes, now }));
      } catch (e) {
        const why = asRejection(e);
        if (why.code === "unknown-index" && !refreshed && deps.refreshKnown) {
          // The index may have been created since the list was cached: look once more.
          refreshed = true;
          deps.refreshKnown();
          try {
            known = await deps.store.writeAliases();
          } catch (lookup) {
            logger.error("index lookup failed", { messageId: record.messageId, error: errorSummary(lookup) });
            o.fail(record.messageId, lookup);
            break;
          }
          continue;
        }
        o.reject(record.messageId, why);
      }
      break;
    }
  }
  await deadLetterRejected(records, deps, o);

  const superseded = await claimParents(plans, deps.store, o);
  await writeDocuments(plans, superseded, deps.store, o);
  const overtaken = await recheckParents(plans, superseded, deps.store, o);
  await cleanUp(plans, superseded, overtaken, deps.store, o);
  for (const record of plans.keys()) if (o.open(record.messageId)) o.done.add(record.messageId);
  await deadLetterRejected(records, deps, o);
}

/** Planning is pure: whatever it throws comes from the input and will recur, so it is permanent. */
function asRejection(e: unknown): PermanentFailure {
  const err = e as Error;
  return (
    permanentFailureOf(e) ??
    new PermanentFailure("unprocessable", `${err?.name ?? "Error"}: ${err?.message ?? String(e)}`, {
      cause: e,
    })
  );
}

/** Step 1: markers. Returns the plans whose parent a newer scan already owns (they write history only). */
async function claimParents(
  plans: Map<SQSRecord, IngestPlan>,
  store: DocumentStore,
  o: Outcomes,
): Promise<Set<IngestPlan>> {
  const superseded = new Set<IngestPlan>();
  await guardWithoutMarkers(plans, superseded, store, o);
  const claims = [...plans].filter(([r, p]) => p.marker && o.open(r.messageId));
  if (claims.length === 0) return superseded;
  const results = await bulkFor(
    store,
    claims.map(([r, p]) => [r, p.marker!]),
    o,
    "marker write failed",
  );
  claims.forEach(([record, plan], i) => {
    const r = results?.[i];
    if (!r) return;
    if (r.stale) superseded.add(plan);
    else if (!r.ok) {
      logger.error("marker write failed", { messageId: record.messageId, status: r.status, error: r.error });
      o.fail(record.messageId, itemError("marker write", r));
    }
  });
  return superseded;
}

let warnedNoMarkers = false;

/**
 * Before the marker index exists (an ingestor deployed ahead of the platform's indices), the weaker
 * guard: a collection is superseded when its parent already has documents of a newer generation. It
 * misses a newer scan that left no documents, and races; docs/ingest-consistency.md says so.
 */
async function guardWithoutMarkers(
  plans: Map<SQSRecord, IngestPlan>,
  superseded: Set<IngestPlan>,
  store: DocumentStore,
  o: Outcomes,
): Promise<void> {
  const checks = [...plans]
    .filter(([r, p]) => !p.marker && p.cleanups.length > 0 && o.open(r.messageId))
    .flatMap(([r, p]) => p.cleanups.map((c) => ({ r, p, c })));
  if (checks.length === 0 || !store.countMany) return;
  if (!warnedNoMarkers) {
    warnedNoMarkers = true;
    logger.warn(`no ${MARKER_ALIAS} index: falling back to the document-based late-replay guard`);
  }
  try {
    const counts = await store.countMany(
      checks.map(({ c }) => ({
        index: c.index,
        filter: {
          term: { [DocFields.parentKey]: c.parentKey },
          range: { [IngestFields.generation]: { gt: c.generation } },
        },
      })),
    );
    checks.forEach(({ p }, i) => counts[i] > 0 && superseded.add(p));
  } catch (e) {
    logger.error("late-replay check failed", { error: errorSummary(e) });
    for (const { r } of checks) o.fail(r.messageId, e);
  }
}

/** Step 2: one bulk request for every open record's documents. */
async function writeDocuments(
  plans: Map<SQSRecord, IngestPlan>,
  superseded: Set<IngestPlan>,
  store: DocumentStore,
  o: Outcomes,
): Promise<void> {
  const writes: Array<[SQSRecord, BulkOp]> = [];
  for (const [record, plan] of plans) {
    if (!o.open(record.messageId)) continue;
    for (const op of plan.ops) writes.push([record, op]);
    if (!superseded.has(plan)) for (const op of plan.snapshotOps) writes.push([record, op]);
  }
  if (writes.length === 0) return;
  // Visible before any clean-up starts: the consistency argument needs a clean-up to see every write
  // that was made before the marker write preceding it.
  const results = await bulkFor(store, writes, o, "bulk request failed", { visible: true });
  results?.forEach((r, i) => {
    if (r.ok) return;
    const [record, op] = writes[i];
    if (r.retryable) o.fail(record.messageId, itemError(`write to ${op.index}`, r));
    else
      o.reject(
        record.messageId,
        new IngestRejected("rejected", `OpenSearch rejected a write to ${op.index}/${op.id}: ${r.error}`),
      );
  });
}

/** Step 3: the plans a newer scan overtook while they wrote (their clean-up includes their own generation). */
async function recheckParents(
  plans: Map<SQSRecord, IngestPlan>,
  superseded: Set<IngestPlan>,
  store: DocumentStore,
  o: Outcomes,
): Promise<Set<IngestPlan>> {
  const overtaken = new Set<IngestPlan>();
  const checks = [...plans].filter(([r, p]) => p.marker && !superseded.has(p) && o.open(r.messageId));
  if (checks.length === 0) return overtaken;
  const results = await bulkFor(
    store,
    checks.map(([r, p]) => [r, p.marker!]),
    o,
    "marker re-check failed",
  );
  checks.forEach(([record, plan], i) => {
    const r = results?.[i];
    if (!r) return;
    if (r.stale) overtaken.add(plan);
    else if (!r.ok) o.fail(record.messageId, itemError("marker re-check", r));
  });
  return overtaken;
}

/**
 * Step 4: clear older generations of each parent from every owned doc type, superseded runs included.
 * Records in parallel (each its own parent's queries, in order); a query two records share runs once.
 */
async function cleanUp(
  plans: Map<SQSRecord, IngestPlan>,
  superseded: Set<IngestPlan>,
  overtaken: Set<IngestPlan>,
  store: DocumentStore,
  o: Outcomes,
): Promise<void> {
  const done = new Map<string, Promise<number>>();
  const once = (index: string, filter: Filter) => {
    const key = JSON.stringify([index, filter]);
    if (!done.has(key)) done.set(key, store.deleteByQuery(index, filter));
    return done.get(key)!;
  };
  const needed = await leftovers(plans, superseded, store, o);
  await Promise.all(
    [...plans].map(async ([record, plan]) => {
      if (!o.open(record.messageId)) return;
      // A superseded run clears its own generation too: an earlier delivery of it may have written
      // documents after the newer scan's clean-up and then failed before its re-check. Never the newer
      // scan's documents: a superseded run's generation is below the marker's, hence below theirs.
      const isSuperseded = superseded.has(plan);
      const inclusive = isSuperseded || overtaken.has(plan);
      try {
        if (isSuperseded && needed && !needed.has(plan)) return;
        for (const c of plan.cleanups) await once(c.index, cleanupFilter(c, inclusive));
      } catch (e) {
        logger.error("snapshot clean-up failed", { messageId: record.messageId, error: errorSummary(e) });
        o.fail(record.messageId, e);
      }
    }),
  );
}

/**
 * The superseded runs that have anything to clear, from one count request for the batch (one query per
 * run over all its owned types; undefined: the store cannot count, clear them all). Usually there is
 * nothing: a late older scan writes no snapshot documents, and a delete-by-query per owned type, each
 * forcing a refresh, would cost far more. Counts see what a delete-by-query would: an earlier delivery's
 * writes were made visible before it returned.
 */
async function leftovers(
  plans: Map<SQSRecord, IngestPlan>,
  superseded: Set<IngestPlan>,
  store: DocumentStore,
  o: Outcomes,
): Promise<Set<IngestPlan> | undefined> {
  const checks = [...plans].filter(
    ([r, p]) => superseded.has(p) && p.cleanups.length > 0 && o.open(r.messageId),
  );
  if (checks.length === 0 || !store.countMany) return undefined;
  try {
    const counts = await store.countMany(
      checks.map(([, p]) => ({
        index: p.cleanups.map((c) => c.index).join(","),
        // One parent and generation per run: every clean-up of the run has the same filter.
        filter: cleanupFilter(p.cleanups[0], true),
      })),
    );
    return new Set(checks.filter((_, i) => counts[i] > 0).map(([, p]) => p));
  } catch (e) {
    logger.error("superseded clean-up check failed", { error: errorSummary(e) });
    for (const [r] of checks) o.fail(r.messageId, e);
    return new Set();
  }
}

/** One bulk request on behalf of records; if the request itself fails, each of them is left for retry. */
async function bulkFor(
  store: DocumentStore,
  writes: ReadonlyArray<readonly [SQSRecord, BulkOp]>,
  o: Outcomes,
  what: string,
  opts?: { visible?: boolean },
): Promise<BulkItemResult[] | undefined> {
  try {
    return await store.bulk(
      writes.map(([, op]) => op),
      opts,
    );
  } catch (e) {
    logger.error(what, { records: new Set(writes.map(([r]) => r)).size, error: errorSummary(e) });
    for (const [r] of writes) o.fail(r.messageId, e);
    return undefined;
  }
}

/** Rejected records go to the DLQ with their code and reason; one that cannot be sent is retried. */
function deadLetterRejected(records: readonly SQSRecord[], deps: IngestDeps, o: Outcomes) {
  // A record that also failed transiently is retried whole first: its rejection may not recur.
  const pending = records.filter(
    (r) => o.rejected.has(r.messageId) && !o.done.has(r.messageId) && !o.failed.has(r.messageId),
  );
  return deadLetter(pending, (id) => o.rejected.get(id), deps, o, false);
}

/** Records failing on their last attempt go to the DLQ with the error that failed them. */
function deadLetterExhausted(records: readonly SQSRecord[], deps: IngestDeps, o: Outcomes) {
  const max = deps.maxReceiveCount;
  const last = records.filter(
    (r) =>
      max !== undefined && o.failed.has(r.messageId) && !o.done.has(r.messageId) && isLastAttempt(r, max),
  );
  return deadLetter(last, (id) => o.failed.get(id), deps, o, true);
}

/** Each record to the DLQ through the runtime's primitive: done when sent, else left for retry. */
async function deadLetter(
  records: readonly SQSRecord[],
  errorOf: (id: string) => unknown,
  deps: IngestDeps,
  o: Outcomes,
  lastAttempt: boolean,
): Promise<void> {
  await Promise.all(
    records.map(async (r) => {
      const error = errorOf(r.messageId);
      const sent = await deadLetterOnFailure(error, () => recordLetter(r), {
        target: deps.deadLetter,
        lastAttempt,
      });
      if (sent) o.done.add(r.messageId);
      else o.fail(r.messageId, error);
    }),
  );
}

/** A failed bulk item as an error (status and the store's reason), for logs and dead letters. */
function itemError(what: string, r: BulkItemResult): Error {
  return new Error(`${what}: ${r.status} ${r.error ?? ""}`.trim());
}
