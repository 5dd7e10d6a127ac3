import { Limits, type KeyFields, type ResultsContextApi } from "@sec-an/contracts";

/**
 * Everything a scanned host controls (banners, product strings, script output, reverse-DNS names, OS and
 * cipher names) is sized by that host. These cuts keep one hostile host from costing the documents of the
 * others in the same result, and keep every document under the ingestor's limit (`Limits.documentBytes`).
 */

/** A string field longer than this is cut and named in the document's `truncated_fields`. */
export const MAX_FIELD_CHARS = 2 * 1024;
/** Raw script output kept per script (the raw XML keeps everything): it is what a reader looks for. */
export const MAX_SCRIPT_OUTPUT_CHARS = 8 * 1024;
const fieldChars = (path: string) =>
  path.endsWith("scripts.output") ? MAX_SCRIPT_OUTPUT_CHARS : MAX_FIELD_CHARS;
/** Key values (port, cipher, OS names) are cut too: a key must stay small, and it carries no marker. */
export const MAX_KEY_CHARS = 512;
/** Cutting halves the per-field length until the document fits, but never below this. */
const MIN_FIELD_CHARS = 64;
/** The data a parser posts, after its key and summaries, must leave room for the ingestor's fields. */
export const DOCUMENT_DATA_BYTES = Limits.documentBytes - Limits.ingestFieldsBytes;

const bytes = (o: unknown) => Buffer.byteLength(JSON.stringify(o));

/** The document could not be cut to size (e.g. thousands of host names): its host is reported instead. */
export class DocumentTooLargeError extends Error {
  constructor(docType: string, size: number, budget: number) {
    super(
      `${docType} document is ${size} bytes after truncation, over its ${budget}-byte share of the document limit`,
    );
    this.name = "DocumentTooLargeError";
  }
}

/**
 * Copy of `value` with every string cut to `shift` halvings of its field's length (never below the
 * minimum); the dotted path of each cut field is added to `cut` (array indices are left out, so
 * `scripts.output` names the field, not the element).
 */
function cutStrings(value: unknown, shift: number, path: string, cut: Set<string>): unknown {
  if (typeof value === "string") {
    const max = Math.max(MIN_FIELD_CHARS, fieldChars(path) >> shift);
    if (value.length <= max) return value;
    cut.add(path);
    return value.slice(0, max);
  }
  if (Array.isArray(value)) return value.map((v) => cutStrings(v, shift, path, cut));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cutStrings(v, shift, path ? `${path}.${k}` : k, cut);
    return out;
  }
  return value;
}

/**
 * Whether `value` fits as it is: no string over its field's length, and JSON of at most `budget` bytes
 * by an upper bound (6 bytes per UTF-16 unit, the longest escape). Nearly every document passes, and
 * then needs neither a copy nor a trial serialisation. A field's dotted path is only built for a string
 * longer than the shorter limit (the only case where the path decides) and for nested values.
 */
function fitsAsIs(value: unknown, path: string, budget: { left: number }): boolean {
  if (typeof value === "string") {
    budget.left -= 6 * value.length + 3;
    return (value.length <= MAX_FIELD_CHARS || value.length <= fieldChars(path)) && budget.left >= 0;
  }
  if (Array.isArray(value)) {
    for (const v of value) if (!fitsAsIs(v, path, budget)) return false;
    budget.left -= 2;
    return budget.left >= 0;
  }
  if (value && typeof value === "object") {
    // Dates and other toJSON objects serialise unlike their fields: measure them the slow way.
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      budget.left -= 6 * k.length + 4;
      const v = (value as Record<string, unknown>)[k];
      if (typeof v === "string" && v.length <= MAX_FIELD_CHARS) {
        budget.left -= 6 * v.length + 3;
        if (budget.left < 0) return false;
      } else if (!fitsAsIs(v, path ? `${path}.${k}` : k, budget)) return false;
    }
    budget.left -= 2;
    return budget.left >= 0;
  }
  // Numbers (at most 24 characters as JSON), booleans, null, undefined; anything else the slow way.
  const t = typeof value;
  if (t !== "number" && t !== "boolean" && value !== null && value !== undefined) return false;
  budget.left -= 25;
  return budget.left >= 0;
}

/**
 * Cut a document's strings to their field's length (`MAX_FIELD_CHARS`, or `MAX_SCRIPT_OUTPUT_CHARS` for
 * script output), then shorter while it is over `budget` bytes; cut fields are listed in
 * `truncated_fields`. Throws DocumentTooLargeError when even the shortest cut does not fit. A document
 * that fits as it is comes back as the same object.
 */
export function fitDocument(
  docType: string,
  data: Record<string, unknown>,
  budget: number,
): Record<string, unknown> {
  if (fitsAsIs(data, "", { left: budget })) return data;
  for (let shift = 0; ; shift++) {
    const cut = new Set<string>();
    const out = cutStrings(data, shift, "", cut) as Record<string, unknown>;
    if (cut.size) out.truncated_fields = [...cut].sort();
    const size = bytes(out);
    if (size <= budget) return out;
    if (MAX_SCRIPT_OUTPUT_CHARS >> shift <= MIN_FIELD_CHARS)
      throw new DocumentTooLargeError(docType, size, budget);
  }
}

export function fitKey(fields: KeyFields): KeyFields {
  let long = false;
  for (const k in fields) {
    const v = fields[k];
    if (typeof v === "string" && v.length > MAX_KEY_CHARS) long = true;
  }
  // Within the limit (nearly always): a copy of its own fields, which a pushed level is.
  if (!long) return { ...fields };
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, typeof v === "string" ? v.slice(0, MAX_KEY_CHARS) : v]),
  ) as KeyFields;
}

/** A context that takes a document with the key levels below its parent already merged (the runtime's ResultsContext). */
interface OwnedPosting {
  postOwned(
    docType: string,
    levels: KeyFields,
    data: Record<string, unknown>,
    includeSummaries?: boolean,
  ): void;
}
const postsOwned = (ctx: ResultsContextApi): ctx is ResultsContextApi & OwnedPosting =>
  typeof (ctx as Partial<OwnedPosting>).postOwned === "function";

type Op =
  | {
      op: "post";
      docType: string;
      levels: KeyFields;
      data: Record<string, unknown>;
      includeSummaries: boolean;
    }
  | { op: "summary"; name: string; value: unknown };

/** An upper bound of the JSON bytes of a key's fields (6 bytes per UTF-16 unit, the longest escape). */
function keyBytesBound(fields: KeyFields): number {
  let n = 2;
  for (const k in fields) {
    const v = fields[k];
    n += 6 * k.length + 4 + (typeof v === "string" ? 6 * v.length + 2 : 25);
  }
  return n;
}

/**
 * Stages one host's documents, cut to size, before any reaches the real results context: a host that
 * fails half-way (a document that cannot fit, a value the context rejects) leaves nothing behind, so it
 * can be reported while the other hosts are published whole. It takes ownership of what is posted (the
 * parser builds every document fresh and never touches it again): a document that fits is kept as it
 * is, not copied, until `commit` hands it to the context, which serialises it.
 */
export class HostStage implements ResultsContextApi {
  private readonly ops: Op[] = [];
  private readonly parentKey: KeyFields;
  /** The pushed key levels below the parent key. */
  private readonly levels: KeyFields[] = [];
  private readonly summaries = new Map<string, unknown>();
  /** The levels merged, and a bound of the whole key's JSON bytes, while the key stack is unchanged. */
  private merged?: { fields: KeyFields; bytesBound: number };

  constructor(parentKey: KeyFields) {
    this.parentKey = parentKey;
  }

  pushContext(fields: KeyFields): void {
    this.levels.push(fitKey(fields));
    this.merged = undefined;
  }

  popContext(): void {
    if (this.levels.length === 0)
      throw new Error("popContext: only the parent key is left; it cannot be popped");
    this.levels.pop();
    this.merged = undefined;
  }

  postResults(
    docType: string,
    data: Record<string, unknown>,
    opts: { includeSummaries?: boolean } = {},
  ): void {
    const includeSummaries = opts.includeSummaries === true;
    if (!this.merged) {
      const fields = Object.assign({}, ...this.levels) as KeyFields;
      this.merged = { fields, bytesBound: keyBytesBound(this.parentKey) + keyBytesBound(fields) };
    }
    // The document as stored is its key, its data and (on request) the summaries: the data gets what is
    // left. Measured against a bound of the key first; exactly only when the document may not fit.
    let fitted: Record<string, unknown> = data;
    const left =
      DOCUMENT_DATA_BYTES - this.merged.bytesBound - (includeSummaries ? this.summaryBytesBound() : 0);
    if (!fitsAsIs(data, "", { left })) {
      const keyBytes = bytes(Object.assign({}, this.parentKey, ...this.levels));
      const summaryBytes = includeSummaries
        ? bytes(Object.fromEntries([...this.summaries].map(([k, v]) => [`summary_${k}`, v])))
        : 0;
      fitted = fitDocument(docType, data, DOCUMENT_DATA_BYTES - keyBytes - summaryBytes);
    }
    // Posts under one key share its merged levels: the context copies them, never changes them.
    this.ops.push({ op: "post", docType, levels: this.merged.fields, data: fitted, includeSummaries });
  }

  /** An upper bound of the summaries' JSON bytes as `summary_<name>` fields (exact for other than scalars). */
  private summaryBytesBound(): number {
    let n = 2;
    for (const [k, v] of this.summaries) {
      if (v === undefined) continue;
      n += 6 * (k.length + 8) + 4;
      if (typeof v === "string") n += 6 * v.length + 2;
      else if (v === null || typeof v === "number" || typeof v === "boolean") n += 25;
      else n += bytes(v);
    }
    return n;
  }

  addSummary(name: string, value: unknown): void {
    const v = value === undefined ? undefined : cutStrings(value, 0, name, new Set());
    this.summaries.set(name, v);
    this.ops.push({ op: "summary", name, value: v });
  }

  addSummaries(values: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(values)) this.addSummary(k, v);
  }

  /** Replay the staged calls onto the real context. */
  commit(ctx: ResultsContextApi): void {
    const owned = postsOwned(ctx);
    for (const o of this.ops) {
      if (o.op === "summary") ctx.addSummary(o.name, o.value);
      else if (owned) ctx.postOwned(o.docType, o.levels, o.data, o.includeSummaries);
      else {
        ctx.pushContext(o.levels);
        ctx.postResults(o.docType, o.data, { includeSummaries: o.includeSummaries });
        ctx.popContext();
      }
    }
  }
}
