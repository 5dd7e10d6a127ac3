/**
 * What the ingest path logs about an error: its name, a bounded message and the HTTP status. Never the
 * error object itself: the OpenSearch client's errors carry the request and response (whole bulk bodies,
 * hundreds of KB, and the scanned data in them) as enumerable fields the logger would print.
 */
export function errorSummary(e: unknown): { name: string; message: string; status?: number } {
  const err = e as {
    name?: unknown;
    message?: unknown;
    status?: unknown;
    statusCode?: unknown;
    meta?: { statusCode?: unknown };
  };
  const status = [err?.status, err?.statusCode, err?.meta?.statusCode].find((s) => typeof s === "number");
  return {
    name: typeof err?.name === "string" ? err.name : "Error",
    message: String(err?.message ?? e).slice(0, 500),
    ...(typeof status === "number" ? { status } : {}),
  };
}
