import { Env, taskParams, type ScanFn } from "@sec-an/contracts";
import type { Static, TSchema } from "@sinclair/typebox";
import type { SQSRecord } from "aws-lambda";
import { logger, parseRecordBody, sqsBatchHandler, type SqsBatchHandler } from "./batch";
import { getParam } from "./params";
import { putRawResult } from "./raw-store";

/**
 * The task kit's scan side: a scanner author writes `scan`; this wraps it into the Lambda that consumes
 * the task queue, with validation, storage and failure handling. The parse side is parse-handler.ts.
 */

// Only the parameter paths are used here, and they do not depend on which project publishes them.
const params = (task: string) => taskParams(task);

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

/** Object keys in an S3 event are URL-encoded, with `+` for spaces. */
export const s3EventKey = (key: string) => decodeURIComponent(key.replace(/\+/g, " "));

// The parse side lives with the scanner parse handler; these names stay importable from here.
export { makeParseHandler, runParser, type ParseHandlerOptions, type ParserOptions } from "./parse-handler";
