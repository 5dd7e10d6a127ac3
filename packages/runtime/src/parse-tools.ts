import {
  Lineage,
  isValid,
  keyHash,
  ownedDocTypes,
  type DocumentCollection,
  type KeyFields,
  type ParseTools,
  type RawResultMetadata,
  type ResultLineage,
} from "@sec-an/contracts";
import type { OutgoingMessage, Publisher } from "./publisher";
import { ResultsContext } from "./results-context";

export interface ParseToolsOptions {
  task: string;
  metadata: RawResultMetadata;
  rawKey: string;
  parserVersion: string;
  publisher?: Publisher;
  budgetBytes?: number;
  /** Doc types the task owns; default its entry in contracts `TaskDocTypes`. */
  docTypes?: readonly string[];
  /** When this parse run started (default now): every context of the run carries it. */
  parsedAt?: Date;
}

/** ParseTools that remember every context they made, so the caller can build or publish them all at the end. */
export interface TrackedParseTools extends ParseTools {
  results(parentKey: KeyFields): ResultsContext;
  contexts(): ResultsContext[];
  messages(): OutgoingMessage<DocumentCollection>[];
  publishAll(): Promise<OutgoingMessage<DocumentCollection>[]>;
  /**
   * Every document of this parent has been posted: hand over its context (to build its messages) and
   * forget it, so a streamed parse holds one parent at a time. A later `results` for the same parent starts a new
   * collection (the ingestor keeps both: same generation, neither deletes the other's documents).
   */
  complete(parentKey: KeyFields): ResultsContext | undefined;
  /** Hand over every context not completed yet, and forget them. */
  completeAll(): ResultsContext[];
}

/** Provenance of a raw result: its own scan, plus where the cascade started if the request says so. */
export function resultLineage(
  metadata: RawResultMetadata,
  rawKey: string,
  parserVersion: string,
): ResultLineage {
  const req = metadata.request as { lineage?: unknown } | null | undefined;
  const l = req && typeof req === "object" && isValid(Lineage, req.lineage) ? req.lineage : undefined;
  return {
    scanId: metadata.scanId,
    task: metadata.task,
    rawKey,
    parserVersion,
    rootScanId: l?.rootScanId ?? metadata.scanId,
    ...(l?.parentScanId ? { parentScanId: l.parentScanId } : {}),
    depth: l?.depth ?? 0,
  };
}

export function createParseTools(opts: ParseToolsOptions): TrackedParseTools {
  if (opts.metadata.task !== opts.task) {
    throw new Error(`raw result ${opts.rawKey} belongs to task ${opts.metadata.task}, not ${opts.task}`);
  }
  const lineage = resultLineage(opts.metadata, opts.rawKey, opts.parserVersion);
  const docTypes = opts.docTypes ?? ownedDocTypes(opts.task);
  const parsedAt = opts.parsedAt ?? new Date();
  // One context per parent key: two collections for one parent would each delete the other's snapshot docs.
  const byParent = new Map<string, ResultsContext>();
  const tools: TrackedParseTools = {
    results(parentKey) {
      const id = keyHash(parentKey);
      let ctx = byParent.get(id);
      if (!ctx) {
        ctx = new ResultsContext({
          task: opts.task,
          parentKey,
          scanId: opts.metadata.scanId,
          scanStartTime: opts.metadata.scanStartTime,
          scanEndTime: opts.metadata.scanEndTime,
          lineage,
          publisher: opts.publisher,
          budgetBytes: opts.budgetBytes,
          docTypes,
          parsedAt,
        });
        byParent.set(id, ctx);
      }
      return ctx;
    },
    contexts: () => [...byParent.values()],
    complete(parentKey) {
      const id = keyHash(parentKey);
      const ctx = byParent.get(id);
      byParent.delete(id);
      return ctx;
    },
    completeAll() {
      const all = [...byParent.values()];
      byParent.clear();
      return all;
    },
    messages: () => tools.contexts().flatMap((c) => c.messages()),
    async publishAll() {
      if (!opts.publisher) throw new Error("publishAll: no publisher was given");
      // Build every message first: an invalid or oversize document fails the whole result before anything is sent.
      const msgs = tools.messages();
      await opts.publisher.publish(msgs);
      return msgs;
    },
  };
  return tools;
}
