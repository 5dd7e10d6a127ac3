import { createHash } from "node:crypto";

/**
 * Canonical JSON: object keys sorted at every depth, no whitespace. Two equal values always give the
 * same text, whatever the insertion order, so hashes of it are stable across languages and runs.
 * Rejects values JSON cannot carry faithfully (undefined inside arrays, non-finite numbers, bigint).
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, "$");
}

function serialise(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is not a finite number`);
      return JSON.stringify(value);
    case "object": {
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (Array.isArray(value)) {
        return `[${value
          .map((v, i) => {
            if (v === undefined) throw new TypeError(`canonicalJson: ${path}[${i}] is undefined`);
            return serialise(v, `${path}[${i}]`);
          })
          .join(",")}]`;
      }
      const entries = Object.keys(value as object)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map(
          (k) => `${JSON.stringify(k)}:${serialise((value as Record<string, unknown>)[k], `${path}.${k}`)}`,
        );
      return `{${entries.join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: ${path} has unsupported type ${typeof value}`);
  }
}

/** sha256 hex of the canonical JSON of `value`: the id scheme for every key (parent, non-temporal, temporal). */
export function keyHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
