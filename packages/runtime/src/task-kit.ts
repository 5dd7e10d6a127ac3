import {
  Env,
  taskParams,
  type DocumentCollection,
  type ParseFn,
  type RawResult,
  type ScanFn,
} from "@sec-an/contracts";
import type { Static, TSchema } from "@sinclair/typebox";
import type { Context, S3Event, SQSRecord } from "aws-lambda";
import { logger, parseRecordBody, sqsBatchHandler, type SqsBatchHandler } from "./batch";
import { createParseTools } from "./parse-tools";
import { getParam } from "./params";
import { SnsPublisher, type OutgoingMessage, type Publisher } from "./publisher";
import { getRawResult, isSidecarKey, putRawResult } from "./raw-store";

/**
 * The task kit: a scanner author writes `scan` and `parse`; these wrap them into the two Lambda
 * handlers of a task (reference §5.4), with validation, storage, publishing and failure handling.
 */

// Only the parameter paths are used here, and they do not depend on which project publishes them.
const params = (task: string) => taskParams(task, "task-execution");

const SCAN_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The scan id: the request's own `scanId` when it carries a usable one, otherwise the SQS message id. */
export function scanIdFor(request: unknown, messageId: string): string {
  const own = (request as { scanId?: unknown } | null)?.scanId;
  return typeof own === "string" && SCAN_ID.test(own) ? own : messageId;
}

/** The raw-results bucket of a task: `RESULTS_BUCKET` when set (containers, local runs), else SSM, late. */
export async function resultsBucket(task: string): Promise<string> {
  return process.env[Env.resultsBucket] || getParam(params(task).resultsBucketName);
}

export interface ScanHandlerOptions<S extends TSchema> {
  task: string;
  requestSchema: S;
  scan: ScanFn<Static<S>>;
}

/** SQS handler for a task queue: validate, scan, store the raw result; one bad request never fails its siblings. */
export function makeScanHandler<S extends TSchema>(opts: ScanHandlerOptions<S>): SqsBatchHandler {
  const handle = async (record: SQSRecord) => {
    const request = parseRecordBody(opts.requestSchema, record);
    const scanId = scanIdFor(request, record.messageId);
    const output = await opts.scan(request, { scanId, task: opts.task });
    const key = await putRawResult({
      bucket: await resultsBucket(opts.task),
      task: opts.task,
      scanId,
      request,
      output,
    });
    logger.info("scan stored", { task: opts.task, scanId, key });
    return key;
  };
  // Failures go to the task queue's DLQ named by the Task component (sqsBatchHandler's default target):
  // a request that can never succeed at once, any other on its last attempt, each with its reason.
  return sqsBatchHandler(handle);
}

export interface ParserOptions {
  task: string;
  parserVersion: string;
  parse: ParseFn;
  budgetBytes?: number;
  /** Doc types the task owns (default: its entry in contracts `TaskDocTypes`). */
  docTypes?: readonly string[];
}

/** Run a parser over one raw result and return the messages it produced, without publishing anything. */
export async function runParser(
  raw: RawResult,
  opts: ParserOptions,
): Promise<OutgoingMessage<DocumentCollection>[]> {
  const tools = createParseTools({
    task: opts.task,
    metadata: raw.metadata,
    rawKey: raw.key,
    parserVersion: opts.parserVersion,
    budgetBytes: opts.budgetBytes,
    docTypes: opts.docTypes,
  });
  await opts.parse(raw, tools);
  return tools.messages();
}

export interface ParseHandlerOptions extends ParserOptions {
  /** Where results go; default the task's results topic from SSM, read late. */
  publisher?: Publisher;
}

/** Object keys in an S3 event are URL-encoded, with `+` for spaces. */
export const s3EventKey = (key: string) => decodeURIComponent(key.replace(/\+/g, " "));

/**
 * S3-event handler for a task's raw-results bucket: parse each new object and publish its collections.
 * Every record is attempted; failures are thrown together at the end so Lambda retries and, after
 * that, the async-invoke DLQ keeps the event. Re-publishing a result is harmless: ids are deterministic.
 */
export function makeParseHandler(
  opts: ParseHandlerOptions,
): (event: S3Event, context?: Context) => Promise<{ published: number }> {
  const publisher = opts.publisher ?? new SnsPublisher(() => getParam(params(opts.task).resultsTopicArn));
  return async (event, context) => {
    if (context) logger.addContext(context);
    const failures: string[] = [];
    let published = 0;
    for (const r of event.Records ?? []) {
      const bucket = r.s3.bucket.name;
      const key = s3EventKey(r.s3.object.key);
      if (isSidecarKey(key)) continue;
      try {
        const messages = await runParser(await getRawResult(bucket, key), opts);
        await publisher.publish(messages);
        published += messages.length;
        logger.info("raw result parsed", { task: opts.task, key, messages: messages.length });
      } catch (e) {
        logger.error("raw result failed to parse", { task: opts.task, bucket, key, error: e as Error });
        failures.push(`s3://${bucket}/${key}: ${(e as Error).message}`);
      }
    }
    if (failures.length) throw new Error(`${failures.length} raw result(s) failed: ${failures.join("; ")}`);
    return { published };
  };
}
