import type { CtsError } from "@sec-an/contracts";

/** A request the service refuses: answered with `status` and a JSON error naming what was wrong. */
export class CtsHttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "CtsHttpError";
  }

  body(): CtsError {
    return { error: { code: this.code, message: this.message } };
  }
}
