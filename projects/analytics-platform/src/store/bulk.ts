import type { BulkOp } from "./types";

/**
 * The `_bulk` NDJSON format, apart from the OpenSearch client so the ingest planner can use it without
 * loading the client.
 */

const q = JSON.stringify;

/** The fixed parts of index-op action lines into one index at one version: `open + JSON id + close`. */
export interface ActionParts {
  open: string;
  /** Ends the action line, newline included. */
  close: string;
}

/** Action-line parts of index ops into `index`, at `externalVersion` (`external_gte`) when given. */
export function indexActionParts(index: string, externalVersion?: number): ActionParts {
  return {
    open: `{"index":{"_index":${q(index)},"_id":`,
    close:
      externalVersion === undefined
        ? "}}\n"
        : `,"version":${Math.trunc(externalVersion)},"version_type":"external_gte"}}\n`,
  };
}

/**
 * The NDJSON body of a bulk request: action line, then source line for index ops. Built as one list of
 * parts joined once; an op with `ndjson` appends its own parts (pieces it shares with other ops).
 */
export function bulkBody(ops: readonly BulkOp[]): string {
  const out: string[] = [];
  // Consecutive ops usually share an index and version: their action-line parts are reused.
  let parts: ActionParts | undefined;
  let index: string | undefined;
  let version: number | undefined;
  for (const op of ops) {
    if (op.action === "delete") {
      out.push(`{"delete":{"_index":${q(op.index)},"_id":${q(op.id)}}}\n`);
    } else if (op.ndjson) {
      op.ndjson(out);
    } else {
      if (parts === undefined || op.index !== index || op.externalVersion !== version) {
        index = op.index;
        version = op.externalVersion;
        parts = indexActionParts(index, version);
      }
      out.push(parts.open, q(op.id), parts.close, op.source ?? q(op.doc), "\n");
    }
  }
  return out.join("");
}
