// Test-only: ResultsContext as it was before documents were serialised once, kept verbatim as the
// oracle results-context-oracle.test.ts compares the current one against.
import {
  Attr,
  DocumentCollection,
  KeyFields,
  Limits,
  keyHash,
  validate,
  type CollectionDoc,
  type ResultLineage,
  type ResultsContextApi,
} from "@sec-an/contracts";
import { messageBytes, type OutgoingMessage, type Publisher } from "../../src/publisher";

const DOC_TYPE = /^[a-z][a-z0-9_]{0,40}$/;

/** One document alone is larger than a message may be: it cannot be split, so it is refused loudly. */
export class OversizeDocumentError extends Error {
  constructor(
    readonly docType: string,
    readonly bytes: number,
    readonly budget: number,
  ) {
    super(
      `a ${docType} document is ${bytes} bytes, larger than the ${budget}-byte message budget: it cannot be published`,
    );
    this.name = "OversizeDocumentError";
  }
}

export interface ResultsContextOptions {
  task: string;
  /** Key fields of the parent (e.g. `{ address, address_type }`): the first level of every document's key. */
  parentKey: KeyFields;
  scanId: string;
  scanStartTime: string | Date;
  scanEndTime: string | Date;
  lineage: ResultLineage;
  publisher?: Publisher;
  /** Bytes one message may take, attributes included (default `Limits.publishBudgetBytes`). */
  budgetBytes?: number;
  /** Set `history: false` for collections that should only update the snapshot flavour (e.g. table syncs). */
  history?: boolean;
  /**
   * Every doc type the task owns. Each message lists them (plus any type posted), so the ingestor clears
   * the parent's older documents of a type this scan found nothing for.
   */
  docTypes?: readonly string[];
  /** When this parse run started: a later parse of the same scan replaces an earlier one's documents. */
  parsedAt?: string | Date;
}

interface Posted {
  data: Record<string, unknown>;
  includeSummaries: boolean;
}

const iso = (t: string | Date) => (typeof t === "string" ? new Date(t) : t).toISOString();

/**
 * Collects the documents a parser produces for one parent key and publishes them as DocumentCollection
 * messages. Keys are sha256 of canonical JSON (stable across languages and versions), documents are deep-copied when posted (later mutation of the caller's object cannot
 * leak in or be lost), and a collection larger than one message is split into parts instead of failing.
 */
export class ResultsContext implements ResultsContextApi {
  readonly task: string;
  readonly scanId: string;
  readonly scanStartTime: string;
  readonly scanEndTime: string;
  readonly lineage: ResultLineage;
  readonly parentKeyHash: string;
  readonly temporalKey: string;
  private readonly stack: KeyFields[];
  private readonly summaries = new Map<string, unknown>();
  private readonly docs = new Map<string, Map<string, Posted>>();
  private readonly publisher?: Publisher;
  private readonly budget: number;
  private readonly history?: boolean;
  private readonly docTypes?: readonly string[];
  private readonly parsedAt?: string;

  constructor(opts: ResultsContextOptions) {
    this.task = opts.task;
    this.scanId = opts.scanId;
    this.scanStartTime = iso(opts.scanStartTime);
    this.scanEndTime = iso(opts.scanEndTime);
    this.lineage = opts.lineage;
    this.stack = [{ ...validate(KeyFields, opts.parentKey, "parent key") }];
    this.parentKeyHash = keyHash(this.stack[0]);
    this.temporalKey = keyHash({ scanEndTime: this.scanEndTime });
    this.publisher = opts.publisher;
    this.budget = opts.budgetBytes ?? Limits.publishBudgetBytes;
    this.history = opts.history;
    for (const t of opts.docTypes ?? [])
      if (!DOC_TYPE.test(t)) throw new Error(`invalid doc type ${JSON.stringify(t)} in docTypes`);
    this.docTypes = opts.docTypes;
    this.parsedAt = opts.parsedAt === undefined ? undefined : iso(opts.parsedAt);
  }

  pushContext(fields: KeyFields): void {
    this.stack.push({ ...validate(KeyFields, fields, "context key") });
  }

  popContext(): void {
    if (this.stack.length <= 1)
      throw new Error("popContext: only the parent key is left; it cannot be popped");
    this.stack.pop();
  }

  /** The current key: the parent key merged with every pushed level (later levels win). */
  currentKey(): KeyFields {
    return Object.assign({}, ...this.stack) as KeyFields;
  }

  postResults(
    docType: string,
    data: Record<string, unknown>,
    opts: { includeSummaries?: boolean } = {},
  ): void {
    if (!DOC_TYPE.test(docType))
      throw new Error(`invalid doc type ${JSON.stringify(docType)}: lower-case letters, digits and _ only`);
    if (typeof data !== "object" || data === null || Array.isArray(data))
      throw new Error(`postResults(${docType}): data must be an object`);
    const key = this.currentKey();
    let copy: Record<string, unknown>;
    try {
      // A JSON round trip is the deep copy that stores exactly what will be sent.
      copy = JSON.parse(JSON.stringify({ ...key, ...data }));
    } catch (e) {
      throw new Error(`postResults(${docType}): document is not JSON-serialisable: ${(e as Error).message}`);
    }
    let byKey = this.docs.get(docType);
    if (!byKey) this.docs.set(docType, (byKey = new Map()));
    // Same key posted twice: the later document wins, as one snapshot document per key would.
    byKey.set(keyHash(key), { data: copy, includeSummaries: opts.includeSummaries === true });
  }

  addSummary(name: string, value: unknown): void {
    this.summaries.set(name, value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  }

  addSummaries(values: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(values)) this.addSummary(k, v);
  }

  /** Number of documents posted so far, all types together. */
  get size(): number {
    let n = 0;
    for (const m of this.docs.values()) n += m.size;
    return n;
  }

  /** The message attributes every part carries; subscribers filter on these. */
  attributes(): Record<string, string> {
    return {
      [Attr.parentKey]: this.parentKeyHash,
      [Attr.temporalKey]: this.temporalKey,
      [Attr.task]: this.task,
      [Attr.scanId]: this.scanId,
    };
  }

  /** Build the validated messages (one, or several parts each within the budget) without sending them. */
  messages(): OutgoingMessage<DocumentCollection>[] {
    const summaryFields: Record<string, unknown> = {};
    for (const [k, v] of this.summaries) if (v !== undefined) summaryFields[`summary_${k}`] = v;
    const entries: Array<[string, CollectionDoc]> = [];
    for (const [docType, byKey] of this.docs) {
      for (const [nonTemporalKey, p] of byKey) {
        entries.push([
          docType,
          { nonTemporalKey, data: p.includeSummaries ? { ...p.data, ...summaryFields } : p.data },
        ]);
      }
    }
    const head = {
      kind: "collection" as const,
      task: this.task,
      parentKey: this.parentKeyHash,
      temporalKey: this.temporalKey,
      scanId: this.scanId,
      scanStartTime: this.scanStartTime,
      scanEndTime: this.scanEndTime,
      lineage: this.lineage,
      ...(this.history === undefined ? {} : { history: this.history }),
      ...(this.docTypes ? { docTypes: [...new Set([...this.docTypes, ...this.docs.keys()])].sort() } : {}),
      ...(this.parsedAt ? { parsedAt: this.parsedAt } : {}),
    };
    const attributes = this.attributes();
    return splitCollection(head, entries, attributes, this.budget).map((message) => {
      validate(DocumentCollection, message);
      const body = JSON.stringify(message);
      const bytes = messageBytes(body, attributes);
      if (bytes > this.budget)
        throw new Error(`internal: part of ${bytes} bytes exceeds the ${this.budget}-byte budget`);
      return { message, body, attributes };
    });
  }

  /** Build and send the messages through the publisher; returns what was sent. */
  async publish(): Promise<OutgoingMessage<DocumentCollection>[]> {
    if (!this.publisher) throw new Error("ResultsContext.publish: no publisher was given");
    const msgs = this.messages();
    await this.publisher.publish(msgs);
    return msgs;
  }
}

type Head = Omit<DocumentCollection, "docs" | "part">;

/**
 * Greedy split by exact byte counts: the size of a part is its head (measured with the largest `part`
 * field it could carry) plus each document's JSON and separators, plus the attributes.
 */
export function splitCollection(
  head: Head,
  entries: ReadonlyArray<readonly [string, CollectionDoc]>,
  attributes: Readonly<Record<string, string>>,
  budget: number,
): DocumentCollection[] {
  const base = messageBytes(
    JSON.stringify({ ...head, docs: {}, part: { index: entries.length, count: entries.length + 1 } }),
    attributes,
  );
  if (base > budget)
    throw new Error(`collection envelope alone is ${base} bytes, over the ${budget}-byte budget`);
  const parts: Array<Record<string, CollectionDoc[]>> = [];
  let cur: Record<string, CollectionDoc[]> = {};
  let bytes = base;
  for (const [docType, doc] of entries) {
    const docBytes = Buffer.byteLength(JSON.stringify(doc)) + 1; // + separating comma
    const typeBytes = Buffer.byteLength(JSON.stringify(docType)) + 4; // + `:[]` and a comma
    if (base + typeBytes + docBytes > budget) throw new OversizeDocumentError(docType, docBytes - 1, budget);
    const add = (cur[docType] ? 0 : typeBytes) + docBytes;
    if (bytes + add > budget) {
      parts.push(cur);
      cur = {};
      bytes = base;
    }
    bytes += (cur[docType] ? 0 : typeBytes) + docBytes;
    (cur[docType] ??= []).push(doc);
  }
  parts.push(cur);
  if (parts.length === 1) return [{ ...head, docs: parts[0] }];
  return parts.map((docs, index) => ({ ...head, docs, part: { index, count: parts.length } }));
}
