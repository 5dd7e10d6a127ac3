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
import { messageBytes, type OutgoingMessage, type Publisher } from "./publisher";

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
  /** The document as stored (key fields, then data), serialised once when posted. */
  source: string;
  includeSummaries: boolean;
}

/** Times already converted: every context of a parse run (one per host) converts the same few. */
const isoOf = new Map<string | number, string>();
function iso(t: string | Date): string {
  const k = typeof t === "string" ? t : t.getTime();
  let v = isoOf.get(k);
  if (v === undefined) {
    v = (typeof t === "string" ? new Date(t) : t).toISOString();
    if (isoOf.size >= 64) isoOf.clear();
    isoOf.set(k, v);
  }
  return v;
}

/** The temporal key last made, with the scan end it was made of (the same for every host of a result). */
let lastTemporal: { scanEndTime: string; key: string } | undefined;
function temporalKeyOf(scanEndTime: string): string {
  if (lastTemporal?.scanEndTime !== scanEndTime)
    lastTemporal = { scanEndTime, key: keyHash({ scanEndTime }) };
  return lastTemporal.key;
}

/**
 * Collects the documents a parser produces for one parent key and publishes them as DocumentCollection
 * messages. Keys are sha256 of canonical JSON (stable across languages and versions); a document is
 * serialised once, when posted, and that text is what is sent (so later mutation of the caller's object
 * cannot leak in or be lost, and the caller's object is never copied); a collection larger than one
 * message is split into parts instead of failing.
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
  /** The merged current key and its hash, while the stack is unchanged. */
  private key?: CurrentKey;

  constructor(opts: ResultsContextOptions) {
    this.task = opts.task;
    this.scanId = opts.scanId;
    this.scanStartTime = iso(opts.scanStartTime);
    this.scanEndTime = iso(opts.scanEndTime);
    this.lineage = opts.lineage;
    this.stack = [{ ...validate(KeyFields, opts.parentKey, "parent key") }];
    this.parentKeyHash = keyHash(this.stack[0]);
    this.temporalKey = temporalKeyOf(this.scanEndTime);
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
    this.key = undefined;
  }

  popContext(): void {
    if (this.stack.length <= 1)
      throw new Error("popContext: only the parent key is left; it cannot be popped");
    this.stack.pop();
    this.key = undefined;
  }

  /** The current key: the parent key merged with every pushed level (later levels win). */
  currentKey(): KeyFields {
    return { ...this.current().fields };
  }

  private current(): CurrentKey {
    if (!this.key) {
      const fields = Object.assign({}, ...this.stack) as KeyFields;
      this.key = { fields, id: keyHash(fields) };
    }
    return this.key;
  }

  postResults(
    docType: string,
    data: Record<string, unknown>,
    opts: { includeSummaries?: boolean } = {},
  ): void {
    this.check(docType, data);
    const key = this.current();
    this.store(docType, key.id, key.fields, data, false, opts.includeSummaries === true);
  }

  /**
   * `postResults` for a caller that hands over `levels` and `data` and never reads or changes them
   * again (a parser that builds each document fresh): the document is posted under the current key
   * merged with `levels`, exactly as pushContext(levels), postResults, popContext would post it, without
   * the copies those make.
   */
  postOwned(
    docType: string,
    levels: KeyFields,
    data: Record<string, unknown>,
    includeSummaries = false,
  ): void {
    this.check(docType, data);
    validate(KeyFields, levels, "context key");
    const fields = (
      this.stack.length === 1
        ? Object.assign({}, this.stack[0], levels)
        : Object.assign({}, ...this.stack, levels)
    ) as KeyFields;
    const id = keyHash(fields);
    // `fields` is this call's own copy: the data is merged into it rather than into another.
    this.store(docType, id, fields, data, true, includeSummaries);
  }

  private check(docType: string, data: Record<string, unknown>): void {
    if (docType !== this.lastDocType && !DOC_TYPE.test(docType))
      throw new Error(`invalid doc type ${JSON.stringify(docType)}: lower-case letters, digits and _ only`);
    this.lastDocType = docType;
    if (typeof data !== "object" || data === null || Array.isArray(data))
      throw new Error(`postResults(${docType}): data must be an object`);
  }
  /** The doc type last checked: a parser posts runs of one type. */
  private lastDocType?: string;

  private store(
    docType: string,
    id: string,
    fields: KeyFields,
    data: Record<string, unknown>,
    ownFields: boolean,
    includeSummaries: boolean,
  ): void {
    let source: string;
    try {
      source = storedJson(fields, data, ownFields);
    } catch (e) {
      throw new Error(`postResults(${docType}): document is not JSON-serialisable: ${(e as Error).message}`);
    }
    let byKey = this.docs.get(docType);
    if (!byKey) this.docs.set(docType, (byKey = new Map()));
    // Same key posted twice: the later document wins, as one snapshot document per key would.
    byKey.set(id, { source, includeSummaries });
  }

  /** The doc types posted so far. */
  docTypesPosted(): string[] {
    return [...this.docs.keys()];
  }

  addSummary(name: string, value: unknown): void {
    // A copy, so later changes to the caller's value cannot leak in; a string, boolean or finite number is its own copy.
    const t = typeof value;
    const own = t === "string" || t === "boolean" || (t === "number" && Number.isFinite(value));
    this.summaries.set(name, value === undefined || own ? value : JSON.parse(JSON.stringify(value)));
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

  /**
   * Build the messages (one, or several parts each within the budget) without sending them. The
   * envelope is validated against the schema; each part's body is assembled from the documents' text,
   * and its `message` is read back from that body only if someone asks for it.
   */
  messages(): OutgoingMessage<DocumentCollection>[] {
    let summaryFields: Record<string, unknown> | undefined;
    for (const [k, v] of this.summaries) if (v !== undefined) (summaryFields ??= {})[summaryName(k)] = v;
    const summaryJson = summaryFields && JSON.stringify(summaryFields);
    // Each doc type's documents as JSON texts, and their characters (with separators and the quoted type).
    const groups: Array<[docType: string, json: string[]]> = [];
    let chars = 0;
    for (const [docType, byKey] of this.docs) {
      const list: string[] = [];
      for (const [nonTemporalKey, p] of byKey) {
        const data =
          p.includeSummaries && summaryFields
            ? withSummaries(p.source, summaryFields, summaryJson!)
            : p.source;
        const json = `{"nonTemporalKey":"${nonTemporalKey}","data":${data}}`;
        list.push(json);
        chars += json.length + 1;
      }
      groups.push([docType, list]);
      chars += 6 * docType.length + 6;
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
    const headJson = JSON.stringify(head);
    // Every parent of a parse run has the same envelope but for its parent key (a sha256 made here): an
    // envelope already checked is not checked again, for each of thousands of hosts.
    const shapeText = `${headJson.replace(this.parentKeyHash, "")}${[...this.docs.keys()].join(",")}`;
    if (shapeText !== lastValidShape) {
      validate(DocumentCollection, {
        ...head,
        docs: Object.fromEntries([...this.docs.keys()].map((t) => [t, []])),
      });
      lastValidShape = shapeText;
    }
    const attributes = this.attributes();
    // A UTF-16 unit is at most 3 UTF-8 bytes: a collection within the budget by that bound (nearly every
    // one) is one part, and no document's bytes need counting; the part's exact size is checked below.
    let bodies: string[];
    if (3 * (headJson.length + chars + 64) + messageBytes("", attributes) <= this.budget) {
      bodies = [assemble(headJson, docsText(groups))];
    } else {
      const entries: SerialisedDoc[] = [];
      for (const [t, list] of groups)
        for (const json of list) entries.push([t, json, Buffer.byteLength(json)]);
      bodies = splitSerialised(headJson, entries, attributes, this.budget);
    }
    return bodies.map((body) => {
      const bytes = messageBytes(body, attributes);
      if (bytes > this.budget)
        throw new Error(`internal: part of ${bytes} bytes exceeds the ${this.budget}-byte budget`);
      return lazyMessage(body, attributes);
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

/** The last collection envelope validated, without its parent key. */
let lastValidShape: string | undefined;

interface CurrentKey {
  fields: KeyFields;
  id: string;
}

/**
 * The document as stored: its key's fields, then its data's. One merged copy serialised once (measured
 * no slower than joining separately serialised key and data texts); into `fields` itself when the caller
 * owns it. Spread when the data has an own `__proto__` (a host-sent field name): Object.assign would set
 * the copy's prototype and drop the field.
 */
function storedJson(fields: KeyFields, data: Record<string, unknown>, ownFields: boolean): string {
  if (Object.hasOwn(data, "__proto__")) return JSON.stringify({ ...fields, ...data });
  // A key that kept an own `__proto__` (set on a prototype-less merge) loses it in a fresh copy, as it always has.
  const inPlace = ownFields && !Object.hasOwn(fields, "__proto__");
  return JSON.stringify(inPlace ? Object.assign(fields, data) : Object.assign({}, fields, data));
}

/**
 * JSON.stringify({ ...JSON.parse(source), ...summaries }) without the round trip: `source` is
 * JSON.stringify output, so parsing and re-serialising it gives it back, and the summaries (no
 * integer-like names) follow its fields unless it already has one of their names (then it merges).
 */
function withSummaries(source: string, summaries: Record<string, unknown>, summaryJson: string): string {
  if (source.includes('"summary_'))
    return JSON.stringify({ ...(JSON.parse(source) as Record<string, unknown>), ...summaries });
  if (summaryJson.length === 2) return source;
  if (source.length === 2) return summaryJson;
  return `${source.slice(0, -1)},${summaryJson.slice(1)}`;
}

/** A document of a collection as its doc type, its JSON text (`{"nonTemporalKey":…,"data":…}`) and its UTF-8 bytes. */
type SerialisedDoc = readonly [docType: string, json: string, bytes: number];

/** A message whose object form is parsed from its body on first use (publishing needs only the body). */
function lazyMessage(body: string, attributes: Record<string, string>): OutgoingMessage<DocumentCollection> {
  let message: DocumentCollection | undefined;
  return {
    body,
    attributes,
    get message() {
      return (message ??= JSON.parse(body) as DocumentCollection);
    },
  };
}

/**
 * Greedy split by exact byte counts: the size of a part is its head (measured with the largest `part`
 * field it could carry) plus each document's JSON and separators, plus the attributes. Returns each
 * part's body, the same text as JSON.stringify of the part.
 */
function splitSerialised(
  headJson: string,
  entries: readonly SerialisedDoc[],
  attributes: Readonly<Record<string, string>>,
  budget: number,
): string[] {
  const base = messageBytes(
    assemble(headJson, "{}", { index: entries.length, count: entries.length + 1 }),
    attributes,
  );
  if (base > budget)
    throw new Error(`collection envelope alone is ${base} bytes, over the ${budget}-byte budget`);
  const parts: Array<Map<string, string[]>> = [];
  let cur = new Map<string, string[]>();
  let bytes = base;
  let lastType: string | undefined;
  let typeBytes = 0;
  for (const [docType, json, jsonBytes] of entries) {
    const docBytes = jsonBytes + 1; // + separating comma
    // Entries come grouped by doc type: its bytes (quoted, + `:[]` and a comma) are counted once per run.
    if (docType !== lastType) typeBytes = Buffer.byteLength(JSON.stringify((lastType = docType))) + 4;
    if (base + typeBytes + docBytes > budget) throw new OversizeDocumentError(docType, docBytes - 1, budget);
    let list = cur.get(docType);
    if (bytes + (list ? 0 : typeBytes) + docBytes > budget) {
      parts.push(cur);
      cur = new Map();
      bytes = base;
      list = undefined;
    }
    bytes += (list ? 0 : typeBytes) + docBytes;
    if (list) list.push(json);
    else cur.set(docType, [json]);
  }
  parts.push(cur);
  if (parts.length === 1) return [assemble(headJson, docsText(parts[0]))];
  const out: string[] = [];
  for (let index = 0; index < parts.length; index++)
    out.push(assemble(headJson, docsText(parts[index]), { index, count: parts.length }));
  return out;
}

/** `{"<doc type>":[<doc>,…],…}` from each doc type's documents' JSON. */
function docsText(docs: Iterable<readonly [string, string[]]>): string {
  let out = "{";
  for (const [t, list] of docs) out += `${out.length > 1 ? "," : ""}${JSON.stringify(t)}:[${list.join(",")}]`;
  return `${out}}`;
}

/**
 * One part's body, the text JSON.stringify({ ...head, docs, part }) gives: the head's JSON (an object
 * with fields, none named docs or part) with `docs` and `part` added as its last fields.
 */
function assemble(headJson: string, docs: string, part?: { index: number; count: number }): string {
  const tail = part ? `,"part":{"index":${part.index},"count":${part.count}}}` : "}";
  return `${headJson.slice(0, -1)},"docs":${docs}${tail}`;
}

/** `summary_<name>`, the field a summary becomes, made once per name (a parser has a handful). */
const summaryNames = new Map<string, string>();
function summaryName(name: string): string {
  let n = summaryNames.get(name);
  if (n === undefined) {
    n = `summary_${name}`;
    if (summaryNames.size < 256) summaryNames.set(name, n);
  }
  return n;
}

/** Greedy split of documents into parts within `budget` (the messages' split, on document objects). */
export function splitCollection(
  head: Head,
  entries: ReadonlyArray<readonly [string, CollectionDoc]>,
  attributes: Readonly<Record<string, string>>,
  budget: number,
): DocumentCollection[] {
  return splitSerialised(
    JSON.stringify(head),
    entries.map(([t, d]) => {
      const json = JSON.stringify(d);
      return [t, json, Buffer.byteLength(json)] as const;
    }),
    attributes,
    budget,
  ).map((body) => JSON.parse(body) as DocumentCollection);
}
