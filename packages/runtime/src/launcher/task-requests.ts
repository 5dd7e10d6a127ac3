import { Env } from "@sec-an/contracts";

/** One request a running task carries: its scan id and the request as JSON text (redrivable as is). */
export interface CarriedRequest {
  readonly scanId?: string;
  readonly body: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The requests a task was started with, read from its container variables: `SCAN_REQUESTS` (several)
 * or `SCAN_REQUEST`/`SCAN_REQUEST_ID` (one). The container, the task-stop handler and the local run
 * all read a task's requests through this one function. Throws naming what is malformed.
 */
export function requestsOfTask(vars: Readonly<Record<string, string | undefined>>): CarriedRequest[] {
  const many = vars[Env.scanRequests];
  if (many === undefined) {
    const one = vars[Env.scanRequest];
    return one === undefined ? [] : [{ scanId: vars[Env.scanRequestId], body: one }];
  }
  let list: unknown;
  try {
    list = JSON.parse(many);
  } catch (e) {
    throw new Error(`${Env.scanRequests} is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(list) || list.length === 0)
    throw new Error(`${Env.scanRequests} must be a non-empty list of { scanId, request }`);
  return list.map((entry, i) => {
    if (!isObject(entry) || typeof entry.scanId !== "string" || !isObject(entry.request))
      throw new Error(`${Env.scanRequests}[${i}] must be { scanId: string, request: object }`);
    return { scanId: entry.scanId, body: JSON.stringify(entry.request) };
  });
}
