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
  index: string;
  /** Writes into a history index: the id is `${ntk}@${temporalKey}`. */
  history: boolean;
  /** `open` and an id's opening quote, then `close` after its closing quote: for ids JSON leaves as they are. */
  openQuote: string;
  quoteClose: string;
  /** The end of a history id in JSON (`@`, the temporal key, the closing quote), then `close`. */
  historyIdClose: string;
}

/** Strings JSON.stringify leaves as they are (nothing to escape), so they can be quoted by splicing. */
const AS_IS = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * The JSON of one collection's documents, without building them: the fields the ingestor adds are the
 * same for every document of the collection and are serialised once; each document's data is
 * serialised once and spliced with them before its closing brace (snapshot and history share it).
 * Byte for byte what JSON.stringify makes of `collectionDoc`; data the splice cannot reproduce (see
 * UNSPLICEABLE, `toJSON`, not an object) is serialised that way instead.
 */
export class CollectionJson {
  readonly #plain: boolean;
  /**
   * Before the non-temporal key: after the data's last member, or after `{` when it has none; each
   * also with the key's opening quote, for a key that goes in as it is.
   */
  readonly #afterData: string;
  readonly #afterBrace: string;
  readonly #afterDataQuote: string;
  readonly #afterBraceQuote: string;
  /** After the non-temporal key (with or without its closing quote), to the end of the line. */
  readonly #tailLine: string;
  readonly #quoteTailLine: string;
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
    this.#afterBraceQuote = `${this.#afterBrace}"`;
    this.#afterDataQuote = `${this.#afterData}"`;
    this.#tailLine =
      `,${q(F.temporalKey)}:${q(msg.temporalKey)},${q(F.scanId)}:${q(msg.scanId)}` +
      `,${q(F.scanStartTime)}:${q(msg.scanStartTime)},${q(F.scanEndTime)}:${q(msg.scanEndTime)}` +
      `,${q(F.task)}:${q(msg.task)},${q(F.rawKey)}:${q(msg.lineage.rawKey)}` +
      `,${q(F.parserVersion)}:${q(msg.lineage.parserVersion)},${q(F.generation)}:${q(gen)}}\n`;
    this.#quoteTailLine = `"${this.#tailLine}`;
    this.#historyIdEnd = `@${q(String(msg.temporalKey)).slice(1)}`;
  }

  /** One document's JSON in parts, as its write into the snapshot index `actions` says. */
  document(ntk: string, data: Record<string, unknown>, actions: CollectionActions): SnapshotWrite {
    if (
      this.#plain ||
      typeof ntk !== "string" ||
      typeof data !== "object" ||
      data === null ||
      "toJSON" in data
    )
      return this.plain(ntk, data, actions);
    for (const k of UNSPLICEABLE) if (Object.hasOwn(data, k)) return this.plain(ntk, data, actions);
    const text = q(data);
    if (text.charCodeAt(0) !== 123 /* { */) return this.plain(ntk, data, actions);
    const members = text.length > 2;
    const body = members ? text.slice(0, -1) : "{";
    // A key JSON leaves as it is goes in between quotes the fixed parts carry: no quoted copy of it.
    if (AS_IS.test(ntk)) {
      const head = members ? this.#afterDataQuote : this.#afterBraceQuote;
      return new SnapshotWrite(actions, this, ntk, data, body, head, ntk, this.#quoteTailLine);
    }
    const head = members ? this.#afterData : this.#afterBrace;
    return new SnapshotWrite(actions, this, ntk, data, body, head, q(ntk), this.#tailLine);
  }

  /** Action-line parts of this collection's writes into `index` (at its generation). */
  actions(index: string, history: boolean): CollectionActions {
    const { open, close } = indexActionParts(index, this.gen);
    return {
      index,
      history,
      open,
      close,
      openQuote: `${open}"`,
      quoteClose: `"${close}`,
      historyIdClose: this.#historyIdEnd + close,
    };
  }

  private plain(ntk: string, data: Record<string, unknown>, actions: CollectionActions): SnapshotWrite {
    const text = q(collectionDoc(this.msg, ntk, data, this.gen));
    return new SnapshotWrite(actions, this, ntk, data, text, "", "", "\n");
  }
}

/**
 * The write of a collection document into its snapshot (id: the non-temporal key) or history (id:
 * `${ntk}@${temporalKey}`) index at the collection's generation. Its NDJSON comes from parts serialised
 * once; `id`, `source` and `doc` are built when read, for stores that take them rather than NDJSON.
 */
abstract class CollectionWrite {
  protected abstract readonly actions: CollectionActions;
  protected abstract readonly json: SnapshotWrite;

  get action(): "index" {
    return "index";
  }

  get index(): string {
    return this.actions.index;
  }

  get externalVersion(): number {
    return this.json.collection.gen;
  }

  get id(): string {
    const { ntk, collection } = this.json;
    return this.actions.history ? `${ntk}@${collection.msg.temporalKey}` : ntk;
  }

  get source(): string {
    return this.json.toString();
  }

  /** A new object on every read: the caller may keep or change it. */
  get doc(): Record<string, unknown> {
    const { collection: c, ntk, data } = this.json;
    return collectionDoc(c.msg, ntk, data, c.gen);
  }

  ndjson(out: string[]): void {
    const a = this.actions;
    const json = this.json;
    if (!json.keyAsIs) out.push(a.open, q(this.id), a.close);
    else out.push(a.openQuote, json.ntk, a.history ? a.historyIdClose : a.quoteClose);
    json.appendTo(out);
  }
}

/**
 * A collection document's snapshot write, holding the document's JSON line in parts (its history
 * write shares them; one object for both, as a plan holds every document's writes until its bulk
 * request is sent): `body + head + key + tailLine`. Spliced, `key` is the non-temporal key, either the
 * string itself (`head` and `tailLine` carry its quotes) or its JSON; plain, `body` is the whole JSON
 * and `head` and `key` are empty. `tailLine` ends with the newline.
 */
export class SnapshotWrite extends CollectionWrite {
  constructor(
    protected readonly actions: CollectionActions,
    readonly collection: CollectionJson,
    readonly ntk: string,
    readonly data: Record<string, unknown>,
    private readonly body: string,
    private readonly head: string,
    private readonly key: string,
    private readonly tailLine: string,
  ) {
    super();
  }

  protected get json(): SnapshotWrite {
    return this;
  }

  /** The key itself stands in the JSON (quoted by the parts around it): ids can be spliced the same way. */
  get keyAsIs(): boolean {
    return this.key === this.ntk;
  }

  /** Characters (UTF-16 units) of the JSON. */
  get length(): number {
    return this.body.length + this.head.length + this.key.length + this.tailLine.length - 1;
  }

  /** Bytes of the JSON's UTF-8. */
  byteLength(): number {
    const b = Buffer.byteLength;
    return b(this.body) + b(this.head) + b(this.key) + b(this.tailLine) - 1;
  }

  override toString(): string {
    return (this.body + this.head + this.key + this.tailLine).slice(0, -1);
  }

  /** Appends the JSON line's parts to `out`. */
  appendTo(out: string[]): void {
    out.push(this.body, this.head, this.key, this.tailLine);
  }
}

/** A collection document's history write: the parts are its snapshot write's. */
export class HistoryWrite extends CollectionWrite {
  constructor(
    protected readonly actions: CollectionActions,
    protected readonly json: SnapshotWrite,
  ) {
    super();
  }
}
