import { DocFields, IngestFields, type DocumentCollection } from "@sec-an/contracts";
import { indexActionParts, type ActionParts } from "../store/bulk";

const q = JSON.stringify;

// Field names read once: per-document lookups through the contracts barrel's re-export getters are slow.
const F = { ...DocFields, generation: IngestFields.generation };

/** A collection document as stored: the parser's data plus the key, scan, generation and lineage fields. */
export function collectionDoc(
  msg: DocumentCollection,
  nonTemporalKey: string,
  data: Record<string, unknown>,
  gen: number,
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
  doc[F.generation] = gen;
  return doc;
}

/**
 * Keys whose presence in a document's data rules out splicing: a field the ingestor sets (the copy
 * overwrites it in place) or `__proto__` (the copy turns it into a prototype, dropping it from the JSON).
 */
const UNSPLICEABLE = [...Object.values(F), "__proto__"];

/** The action-line parts of a collection's writes into one index, the history id's end included. */
export interface CollectionActions extends ActionParts {
  /** `open` and the id's opening quote. */
  openQuote: string;
  /** The end of a history id in JSON (`@`, the temporal key, the closing quote), then `close`. */
  historyIdClose: string;
}

/**
 * The JSON of one collection's documents, without building them: the fields the ingestor adds are the
 * same for every document of the collection and are serialised once; each document's data is
 * serialised once and spliced with them before its closing brace (snapshot and history share it).
 * Byte for byte what JSON.stringify makes of `collectionDoc`; data the splice cannot reproduce (see
 * UNSPLICEABLE, `toJSON`, not an object) is serialised that way instead.
 */
export class CollectionJson {
  readonly #plain: boolean;
  /** Before the quoted non-temporal key: after the data's last member, or after `{` when it has none. */
  readonly #afterData: string;
  readonly #afterBrace: string;
  /** After the quoted non-temporal key, to the end of the line. */
  readonly #tailLine: string;
  readonly #historyIdEnd: string;

  constructor(
    readonly msg: DocumentCollection,
    readonly gen: number,
  ) {
    const shared = [
      msg.parentKey,
      msg.temporalKey,
      msg.scanId,
      msg.scanStartTime,
      msg.scanEndTime,
      msg.task,
      msg.lineage.rawKey,
      msg.lineage.parserVersion,
    ];
    // Anything but strings and a finite generation (only outside the schema) is left to JSON.stringify.
    this.#plain = !shared.every((v) => typeof v === "string") || !Number.isFinite(gen);
    this.#afterBrace = `${q(F.parentKey)}:${q(msg.parentKey)},${q(F.nonTemporalKey)}:`;
    this.#afterData = `,${this.#afterBrace}`;
    this.#tailLine =
      `,${q(F.temporalKey)}:${q(msg.temporalKey)},${q(F.scanId)}:${q(msg.scanId)}` +
      `,${q(F.scanStartTime)}:${q(msg.scanStartTime)},${q(F.scanEndTime)}:${q(msg.scanEndTime)}` +
      `,${q(F.task)}:${q(msg.task)},${q(F.rawKey)}:${q(msg.lineage.rawKey)}` +
      `,${q(F.parserVersion)}:${q(msg.lineage.parserVersion)},${q(F.generation)}:${q(gen)}}\n`;
    this.#historyIdEnd = `@${q(String(msg.temporalKey)).slice(1)}`;
  }

  /** One document's JSON, in parts. */
  document(ntk: string, data: Record<string, unknown>): DocJson {
    const quotedNtk = q(ntk);
    if (
      this.#plain ||
      typeof ntk !== "string" ||
      typeof data !== "object" ||
      data === null ||
      "toJSON" in data
    )
      return this.plain(ntk, quotedNtk, data);
    for (const k of UNSPLICEABLE) if (Object.hasOwn(data, k)) return this.plain(ntk, quotedNtk, data);
    const text = q(data);
    if (text.charCodeAt(0) !== 123 /* { */) return this.plain(ntk, quotedNtk, data);
    return text.length > 2
      ? new DocJson(this, ntk, quotedNtk, data, text.slice(0, -1), this.#afterData, this.#tailLine)
      : new DocJson(this, ntk, quotedNtk, data, "{", this.#afterBrace, this.#tailLine);
  }

  /** Action-line parts of this collection's writes into `index` (at its generation). */
  actions(index: string): CollectionActions {
    const a = indexActionParts(index, this.gen);
    return { ...a, openQuote: `${a.open}"`, historyIdClose: this.#historyIdEnd + a.close };
  }

  private plain(ntk: string, quotedNtk: string, data: Record<string, unknown>): DocJson {
    const text = q(collectionDoc(this.msg, ntk, data, this.gen));
    return new DocJson(this, ntk, quotedNtk, data, text, "", "\n");
  }
}

/**
 * A collection document's JSON line: `body + head + quotedNtk + tailLine` (spliced), or `body + tailLine`
 * (plain, `head` empty); `tailLine` ends with the newline.
 */
export class DocJson {
  constructor(
    readonly collection: CollectionJson,
    readonly ntk: string,
    readonly quotedNtk: string,
    readonly data: Record<string, unknown>,
    private readonly body: string,
    private readonly head: string,
    private readonly tailLine: string,
  ) {}

  /** The parts, newline included. */
  private parts(): string[] {
    return this.head === ""
      ? [this.body, this.tailLine]
      : [this.body, this.head, this.quotedNtk, this.tailLine];
  }

  /** Characters (UTF-16 units) of the JSON. */
  get length(): number {
    return this.head === ""
      ? this.body.length
      : this.body.length + this.head.length + this.quotedNtk.length + this.tailLine.length - 1;
  }

  /** Bytes of the JSON's UTF-8. */
  byteLength(): number {
    return this.parts().reduce((n, p) => n + Buffer.byteLength(p), 0) - 1;
  }

  toString(): string {
    return this.parts().join("").slice(0, -1);
  }

  /** Appends the JSON line's parts to `out`. */
  appendTo(out: string[]): void {
    if (this.head === "") out.push(this.body, this.tailLine);
    else out.push(this.body, this.head, this.quotedNtk, this.tailLine);
  }
}

/**
 * The write of a collection document into its snapshot (id: the non-temporal key) or history (id:
 * `${ntk}@${temporalKey}`) index at the collection's generation. Its NDJSON comes from parts serialised
 * once; `id`, `source` and `doc` are built when read, for stores that take them rather than NDJSON.
 */
export class CollectionWrite {
  readonly action = "index";
  #doc?: Record<string, unknown>;

  constructor(
    readonly index: string,
    private readonly actions: CollectionActions,
    private readonly json: DocJson,
    private readonly history: boolean,
  ) {}

  get externalVersion(): number {
    return this.json.collection.gen;
  }

  get id(): string {
    return this.history ? `${this.json.ntk}@${this.json.collection.msg.temporalKey}` : this.json.ntk;
  }

  get source(): string {
    return this.json.toString();
  }

  get doc(): Record<string, unknown> {
    const { collection: c, ntk, data } = this.json;
    return (this.#doc ??= collectionDoc(c.msg, ntk, data, c.gen));
  }

  ndjson(out: string[]): void {
    const a = this.actions;
    const { ntk, quotedNtk } = this.json;
    if (!this.history) out.push(a.open, quotedNtk, a.close);
    // A key JSON leaves as it is (quoted, nothing escaped) goes into the id's JSON as it is.
    else if (quotedNtk.length === ntk.length + 2) out.push(a.openQuote, ntk, a.historyIdClose);
    else out.push(a.open, q(this.id), a.close);
    this.json.appendTo(out);
  }
}
