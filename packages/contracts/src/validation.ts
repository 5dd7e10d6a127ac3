import type { Static, TSchema } from "@sinclair/typebox";
import { FormatRegistry } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";

// typebox ships no formats; register the ones our schemas use.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has("date-time")) {
  FormatRegistry.Set("date-time", (v) => ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)));
}

/** A message that failed its schema. `reason` names the field; it is what goes to the DLQ. */
export class SchemaError extends Error {
  constructor(
    readonly what: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(
      `${what} is invalid: ` +
        issues
          .slice(0, 5)
          .map((i) => `${i.path || "/"} ${i.message}`)
          .join("; ") +
        (issues.length > 5 ? ` (+${issues.length - 5} more)` : ""),
    );
    this.name = "SchemaError";
  }
}

/** A message body that is not JSON at all. */
export class MalformedJsonError extends Error {
  constructor(what: string, cause: unknown) {
    super(`${what} is not valid JSON: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = "MalformedJsonError";
  }
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();
function checker<T extends TSchema>(schema: T): TypeCheck<T> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c as TypeCheck<T>;
}

/** Validate `value` against `schema`; throws a SchemaError naming each failing field. */
export function validate<T extends TSchema>(
  schema: T,
  value: unknown,
  what = schema.title ?? "message",
): Static<T> {
  const c = checker(schema);
  if (c.Check(value)) return value as Static<T>;
  const issues = [...c.Errors(value)].map((e) => ({ path: e.path, message: e.message }));
  throw new SchemaError(what, issues);
}

/** True when `value` matches `schema`. */
export function isValid<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return checker(schema).Check(value);
}

/** Parse a JSON text and validate it; malformed JSON and schema misses both throw clear errors. */
export function parseJson<T extends TSchema>(
  schema: T,
  text: string,
  what = schema.title ?? "message",
): Static<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new MalformedJsonError(what, e);
  }
  return validate(schema, value, what);
}
