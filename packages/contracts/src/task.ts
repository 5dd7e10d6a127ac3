import type { KeyFields, RawResultMetadata } from "./messages";
import { NMAP_TASK, NmapDocType } from "./nmap";
import { SSL_TASK, SslDocType } from "./ssl";

/**
 * The contract a scanner author implements: `scan` turns a validated request into raw bytes, and
 * `parse` turns those bytes (read back from the lake, with the request as metadata) into documents.
 * The runtime kit does everything else: queues, storage, metadata, publishing, dead letters.
 */
export interface ScanOutput {
  /** Raw output, stored as-is in the lake. */
  readonly body: Uint8Array | string;
  /** File extension of the raw object, e.g. "xml", "json". */
  readonly extension: string;
  readonly contentType?: string;
  readonly startTime: Date;
  readonly endTime: Date;
}

export interface ScanContext {
  /** Stable id of this scan (the SQS message id of the request unless the request carries one). */
  readonly scanId: string;
  readonly task: string;
}

export type ScanFn<Req> = (request: Req, ctx: ScanContext) => Promise<ScanOutput>;

/** The operations a parser may use on a results context (implemented by the runtime's ResultsContext). */
export interface ResultsContextApi {
  /** Push key fields; the current non-temporal key is the merge of the parent key and every pushed level. */
  pushContext(fields: KeyFields): void;
  popContext(): void;
  /** Record a document of `docType` under the current key (deep-copied at call time). */
  postResults(docType: string, data: Record<string, unknown>, opts?: { includeSummaries?: boolean }): void;
  addSummary(name: string, value: unknown): void;
  addSummaries(values: Record<string, unknown>): void;
}

/** Given to `parse`: makes one results context per parent key (e.g. per host). */
export interface ParseTools {
  results(parentKey: KeyFields): ResultsContextApi;
}

export interface RawResult {
  readonly key: string;
  readonly body: Buffer;
  readonly metadata: RawResultMetadata;
}

export type ParseFn = (raw: RawResult, tools: ParseTools) => Promise<void> | void;

/**
 * The doc types each built-in task owns: every `{task}_{docType}_snapshot` its parser may write. A
 * collection lists all of them (empty ones too) so the ingestor clears a parent's older documents from
 * each, e.g. the `cves` of a host whose rescan found none. A task not listed here passes its own list
 * (`docTypes` of the parser options).
 */
export const TaskDocTypes: Readonly<Record<string, readonly string[]>> = {
  [NMAP_TASK]: Object.values(NmapDocType),
  [SSL_TASK]: Object.values(SslDocType),
};

/** The doc types `task` owns, or undefined when it declares none here. */
export function ownedDocTypes(task: string): readonly string[] | undefined {
  return Object.hasOwn(TaskDocTypes, task) ? TaskDocTypes[task] : undefined;
}
