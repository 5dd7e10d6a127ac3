import { MalformedJsonError, SchemaError } from "@sec-an/contracts";

/** Input that will never succeed however often it is retried: the batch layer dead-letters it with `code` and the message. */
export class PermanentFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PermanentFailure";
  }
}

export function isPermanentFailure(e: unknown): e is PermanentFailure {
  return e instanceof PermanentFailure;
}

/** A stack overflow: for the same input (e.g. a deeply nested body) it recurs on every retry. */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/**
 * The permanent failure an error stands for, or undefined when it may succeed on retry. A body that is
 * not JSON or misses its schema will never parse, so both count as permanent with code "malformed"; a
 * stack overflow recurs on every retry of its input, so it is permanent with code "unprocessable".
 */
export function permanentFailureOf(e: unknown): PermanentFailure | undefined {
  if (isPermanentFailure(e)) return e;
  if (e instanceof MalformedJsonError || e instanceof SchemaError)
    return new PermanentFailure("malformed", e.message, { cause: e });
  if (isStackOverflow(e))
    return new PermanentFailure("unprocessable", `${(e as Error).name}: ${(e as Error).message}`, {
      cause: e,
    });
  return undefined;
}
