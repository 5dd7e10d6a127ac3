import { createHash, hash, type Hash } from "node:crypto";

/**
 * Canonical JSON: object keys sorted at every depth, no whitespace. Two equal values always give the
 * same text, whatever the insertion order, so hashes of it are stable across languages and runs.
 * Rejects values JSON cannot carry faithfully (undefined inside arrays, non-finite numbers, bigint).
 */
export function canonicalJson(value: unknown): string {
  const w = new CanonicalWriter();
  w.value(value);
  return w.end();
}

/** sha256 hex of the canonical JSON of `value`: the id scheme for every key (parent, non-temporal, temporal). */
export function keyHash(value: unknown): string {
  // Nearly every key is one flat object of a few scalars: its text is built without the writer.
  const flat = flatCanonicalJson(value);
  if (flat !== undefined) return hash("sha256", flat, "hex");
  const w = new CanonicalWriter(true);
  w.value(value);
  // Keys are small: one-shot hashing of the whole text is several times cheaper than a Hash object.
  if (!w.hash) return hash("sha256", w.end(), "hex");
  w.hash.update(w.end());
  return w.hash.digest("hex");
}

/** Quoted key names with their colon, for the few names keys are made of (bounded: a name set by a host is not kept). */
const quotedNames = new Map<string, string>();

/**
 * The canonical text of a plain object whose every field is a string, boolean, null, finite number or
 * undefined (left out), when it is one and its text stays within one piece; otherwise undefined.
 */
function flatCanonicalJson(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Date)
    return undefined;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  // Insertion sort: a key has a handful of fields; `>` orders by UTF-16 code units, as sort() does.
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j] > k; j--) keys[j + 1] = keys[j];
    keys[j + 1] = k;
  }
  let out = "{";
  for (const k of keys) {
    const v = o[k];
    let text: string;
    if (v === undefined) continue;
    if (typeof v === "string") text = JSON.stringify(v);
    else if (typeof v === "number" && Number.isFinite(v))
      text = String(v); // as JSON.stringify writes it
    else if (v === null) text = "null";
    else if (typeof v === "boolean") text = v ? "true" : "false";
    else return undefined;
    let name = quotedNames.get(k);
    if (name === undefined) {
      name = `${JSON.stringify(k)}:`;
      if (quotedNames.size < 256) quotedNames.set(k, name);
    }
    out += out.length === 1 ? name + text : `,${name}${text}`;
    if (out.length > FLUSH_CHARS) return undefined;
  }
  return `${out}}`;
}

/** Text is handed to the hash in pieces of about this size, so a large value is never held whole. */
const FLUSH_CHARS = 16 * 1024;

/**
 * Writes canonical JSON into a string, or (hashing) streams it into a hash in pieces once it is large. The path of a rejected value
 * is built only when one is rejected: keys are pushed on a stack as the writer descends.
 */
class CanonicalWriter {
  private out = "";
  private readonly path: Array<string | number> = [];
  /** Where text goes once it outgrows one piece (hashing only). */
  hash?: Hash;

  constructor(private readonly hashing = false) {}

  /** The text not yet handed to the sink (all of it without one). */
  end(): string {
    return this.out;
  }

  private fail(what: string): never {
    let p = "$";
    for (const s of this.path) p += typeof s === "number" ? `[${s}]` : `.${s}`;
    throw new TypeError(`canonicalJson: ${p} ${what}`);
  }

  value(value: unknown): void {
    if (value === null) {
      this.out += "null";
      return;
    }
    switch (typeof value) {
      case "string":
      case "boolean":
        this.out += JSON.stringify(value);
        return;
      case "number":
        if (!Number.isFinite(value)) this.fail("is not a finite number");
        this.out += JSON.stringify(value);
        return;
      case "object":
        break;
      default:
        this.fail(`has unsupported type ${typeof value}`);
    }
    if (this.hashing && this.out.length > FLUSH_CHARS) {
      (this.hash ??= createHash("sha256")).update(this.out);
      this.out = "";
    }
    if (value instanceof Date) {
      this.out += JSON.stringify(value.toISOString());
      return;
    }
    if (Array.isArray(value)) {
      this.out += "[";
      for (let i = 0; i < value.length; i++) {
        this.path.push(i);
        if (value[i] === undefined) this.fail("is undefined");
        if (i) this.out += ",";
        this.value(value[i]);
        this.path.pop();
      }
      this.out += "]";
      return;
    }
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    this.out += "{";
    let first = true;
    for (const k of keys) {
      const v = o[k];
      if (v === undefined) continue;
      this.out += first ? JSON.stringify(k) : `,${JSON.stringify(k)}`;
      this.out += ":";
      first = false;
      this.path.push(k);
      this.value(v);
      this.path.pop();
    }
    this.out += "}";
  }
}
