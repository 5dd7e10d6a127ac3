import { createHash } from "node:crypto";
import fc from "fast-check";
import { canonicalJson, keyHash } from "../src/canonical";

/**
 * The streaming canonical writer against the recursive serialiser it replaced (kept here as the
 * oracle): the same text, hence the same ids, and the same errors, on generated values.
 */
function oracleJson(value: unknown, path = "$"): string {
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
      if (Array.isArray(value))
        return `[${value
          .map((v, i) => {
            if (v === undefined) throw new TypeError(`canonicalJson: ${path}[${i}] is undefined`);
            return oracleJson(v, `${path}[${i}]`);
          })
          .join(",")}]`;
      const o = value as Record<string, unknown>;
      return `{${Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${oracleJson(o[k], `${path}.${k}`)}`)
        .join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: ${path} has unsupported type ${typeof value}`);
  }
}
const oracleHash = (v: unknown) => createHash("sha256").update(oracleJson(v)).digest("hex");

const outcome = (f: () => string) => {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
};

// Keys and strings with escapes, astral characters and integer-like keys; dates; undefined fields.
const scalars = [
  fc.string({ unit: "binary" }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
];
const leaf = fc.oneof(...scalars, fc.date({ noInvalidDate: true }));
const doc = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc.dictionary(fc.oneof(fc.string({ unit: "binary" }), fc.nat().map(String)), tie("value"), {
    maxKeys: 6,
  }),
})).value;

describe("canonical JSON (streaming writer)", () => {
  it("gives the text, ids and errors of the recursive serialiser on generated values", () => {
    fc.assert(
      fc.property(doc, (v) => {
        expect(outcome(() => canonicalJson(v))).toEqual(outcome(() => oracleJson(v)));
        expect(outcome(() => keyHash(v))).toEqual(outcome(() => oracleHash(v)));
      }),
      { numRuns: 2000 },
    );
  });

  it("hashes flat keys (the shape of nearly every key, built without the writer) as the serialiser does", () => {
    const scalar = fc.oneof(...scalars, fc.string({ minLength: 9000, maxLength: 9000 }));
    const key = fc.oneof(fc.string({ unit: "binary" }), fc.nat().map(String));
    fc.assert(
      fc.property(fc.dictionary(key, scalar, { maxKeys: 8 }), (v) => {
        expect(outcome(() => keyHash(v))).toEqual(outcome(() => oracleHash(v)));
      }),
      { numRuns: 3000 },
    );
    expect(keyHash({ port_id: 443, address: "10.0.0.1", protocol: "tcp", address_type: "ipv4" })).toBe(
      oracleHash({ address: "10.0.0.1", address_type: "ipv4", port_id: 443, protocol: "tcp" }),
    );
  });

  it("hashes a value larger than one flushed piece the same as its whole text", () => {
    const big = { b: "x".repeat(40_000), a: Array.from({ length: 3000 }, (_, i) => ({ i, s: `é${i}` })) };
    expect(keyHash(big)).toBe(oracleHash(big));
    expect(canonicalJson(big)).toBe(oracleJson(big));
  });

  it("names the path of a rejected value", () => {
    expect(() => keyHash({ a: [1, { b: NaN }] })).toThrow("canonicalJson: $.a[1].b is not a finite number");
    expect(() => canonicalJson({ a: [undefined] })).toThrow("canonicalJson: $.a[0] is undefined");
    expect(() => canonicalJson({ x: 1n })).toThrow("canonicalJson: $.x has unsupported type bigint");
  });
});
