import type { S3Client } from "@aws-sdk/client-s3";
import type { DocumentCollection } from "@sec-an/contracts";
import { s3Client } from "../aws";
import type { Publisher } from "../publisher";
import { getRawResult, isSidecarKey, listRawResults } from "../raw-store";
import { runParser, type ParserOptions } from "../task-kit";

export interface ReingestOptions {
  /** The task's raw-results bucket. */
  bucket: string;
  task: string;
  /** Only raw results whose scan ended on/after this day (UTC) — and on/before `until` (default today). */
  since?: Date;
  until?: Date;
  /** A plain parser or a scanner module's (its emitted events are dropped: a replay starts no scans). */
  parse: ParserOptions["parse"];
  parserVersion: string;
  /** Doc types the task owns (a scanner module's `docTypes`). */
  docTypes?: readonly string[];
  /** Where the collections go (normally the analytics ingest queue). */
  publisher: Publisher;
  /** Parse and count only; publish nothing. */
  dryRun?: boolean;
  s3?: S3Client;
  /** Called after each object, for progress output. */
  onObject?: (key: string, result: { messages: number; documents: number } | { error: string }) => void;
}

export interface ReingestResult {
  /** Raw objects seen (request sidecars excluded). */
  objects: number;
  /** Objects parsed (and, unless dry run, published). */
  parsed: number;
  messages: number;
  documents: number;
  /** Objects that failed, with the reason; the others were still replayed. */
  failures: Array<{ key: string; error: string }>;
}

const docCount = (c: DocumentCollection) => Object.values(c.docs).reduce((n, d) => n + d.length, 0);

/**
 * Replay a task's raw results through its (current) parser and publish the collections (seed 001
 * "Re-ingestion"). Document ids are deterministic (hashes of the key fields), so a replay overwrites
 * instead of duplicating, and running it twice gives the same documents. One bad object never stops
 * the rest: it is reported in `failures`.
 */
export async function reingest(opts: ReingestOptions): Promise<ReingestResult> {
  const s3 = opts.s3 ?? s3Client();
  const result: ReingestResult = { objects: 0, parsed: 0, messages: 0, documents: 0, failures: [] };
  for await (const ref of listRawResults(opts.bucket, {
    task: opts.task,
    since: opts.since,
    until: opts.until,
    s3,
  })) {
    if (isSidecarKey(ref.key)) continue;
    result.objects++;
    try {
      const raw = await getRawResult(opts.bucket, ref.key, s3);
      const messages = await runParser(raw, {
        task: opts.task,
        parserVersion: opts.parserVersion,
        parse: opts.parse,
        docTypes: opts.docTypes,
      });
      if (!opts.dryRun) await opts.publisher.publish(messages);
      const documents = messages.reduce((n, m) => n + docCount(m.message), 0);
      result.parsed++;
      result.messages += messages.length;
      result.documents += documents;
      opts.onObject?.(ref.key, { messages: messages.length, documents });
    } catch (e) {
      const error = (e as Error).message;
      result.failures.push({ key: ref.key, error });
      opts.onObject?.(ref.key, { error });
    }
  }
  return result;
}
