import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Limits, MalformedJsonError, validate } from "@sec-an/contracts";
import type { Static, TSchema } from "@sinclair/typebox";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import {
  deadLetterOnFailure,
  deadLetterTargetFromEnv,
  isLastAttempt,
  maxReceiveCountFromEnv,
  recordLetter,
  type DeadLetterTarget,
} from "./dlq";

/** Shared structured logger; a function's own name comes from POWERTOOLS_SERVICE_NAME (set per function by its component). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || "sec-an" });

export type SqsRecordHandler = (record: SQSRecord, context?: Context) => Promise<unknown>;
export type SqsBatchHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export interface SqsBatchOptions {
  /**
   * Where failed records go (looked up on first need). Default: the queue's DLQ from `SEC_AN_DLQ_URL`,
   * which ServiceQueue's `consumerEnvironment` sets. Without one, every failure is retried and SQS's
   * redrive moves the record without a reason.
   */
  deadLetter?: () => DeadLetterTarget | undefined | Promise<DeadLetterTarget | undefined>;
  /** The queue's maxReceiveCount; default `SEC_AN_MAX_RECEIVE_COUNT` from the environment. */
  maxReceiveCount?: () => number | undefined;
}

/**
 * An SQS handler reporting partial batch failures: a record whose handler throws is retried while its
 * siblings are deleted. A record whose handler throws a PermanentFailure (or a MalformedJsonError /
 * SchemaError, code "malformed"; a stack overflow, "unprocessable") goes to the DLQ at once with its
 * code and reason and counts as handled. One that fails on its last attempt (ApproximateReceiveCount
 * has reached maxReceiveCount) goes there too, with code "retries-exhausted" and the last error, rather
 * than be redriven by SQS without a reason. If that send fails, the record is reported failed: SQS
 * retries it, or its redrive still catches it. The event source mapping must set
 * `functionResponseTypes: ["ReportBatchItemFailures"]`.
 */
export function sqsBatchHandler(
  recordHandler: SqsRecordHandler,
  opts: SqsBatchOptions = {},
): SqsBatchHandler {
  // Read per failure: the local runner sets a function's environment per invocation.
  const target = opts.deadLetter ?? (() => deadLetterTargetFromEnv());
  const maxReceives = opts.maxReceiveCount ?? (() => maxReceiveCountFromEnv());
  return async (event, context) => {
    // A processor per invocation: its state never leaks between concurrent calls in tests or local runs.
    if (context) logger.addContext(context);
    const processor = new BatchProcessor(EventType.SQS);
    const wrapped = async (record: SQSRecord) => {
      try {
        return await recordHandler(record, context);
      } catch (e) {
        const lastAttempt = isLastAttempt(record, maxReceives());
        if (await deadLetterOnFailure(e, () => recordLetter(record), { target, lastAttempt }))
          return undefined;
        logger.error("record failed", {
          messageId: record.messageId,
          eventSourceARN: record.eventSourceARN,
          lastAttempt,
          error: e as Error,
        });
        throw e;
      }
    };
    // Reporting every item as failed has the same effect as throwing, without an error of its own.
    return processPartialResponse(event, wrapped, processor, { context, throwOnFullBatchFailure: false });
  };
}

/** An SNS notification as delivered to SQS without raw message delivery. */
interface SnsEnvelope {
  Type: "Notification";
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

function isSnsEnvelope(v: unknown): v is SnsEnvelope {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as SnsEnvelope).Type === "Notification" &&
    typeof (v as SnsEnvelope).Message === "string"
  );
}

function parseText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MalformedJsonError(what, e);
  }
}

/**
 * The JSON message carried by an SQS record, unwrapping an SNS envelope when the subscription does
 * not use raw delivery, and validated against `schema`. Throws MalformedJsonError or SchemaError.
 */
export function parseRecordBody<T extends TSchema>(
  schema: T,
  record: Pick<SQSRecord, "body"> | string,
  what = schema.title ?? "message",
): Static<T> {
  const body = typeof record === "string" ? record : record.body;
  let value = parseText(body, what);
  if (isSnsEnvelope(value)) value = parseText(value.Message, what);
  return validate(schema, value, what);
}

/** String attributes of an SQS record (binary ones are skipped): `{ name: stringValue }`. */
export function recordAttributes(record: Pick<SQSRecord, "messageAttributes">): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.messageAttributes ?? {}))
    if (typeof v.stringValue === "string") out[k] = v.stringValue;
  return out;
}

/**
 * Cut `text` to at most `bytes` UTF-8 bytes without splitting a character, marking the cut. With
 * `ascii`, first make it safe for an HTTP header (S3 user metadata): printable ASCII only.
 */
export function cutReason(
  text: string,
  bytes: number = Limits.reasonBytes,
  opts: { ascii?: boolean } = {},
): string {
  let s = opts.ascii ? headerSafe(text) : text;
  if (Buffer.byteLength(s) <= bytes) return s;
  const marker = opts.ascii ? "..." : "…";
  const room = bytes - Buffer.byteLength(marker);
  if (room <= 0) return opts.ascii ? "...".slice(0, Math.max(0, bytes)) : "";
  const buf = Buffer.from(s, "utf8");
  let end = room;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end -= 1;
  s = buf.subarray(0, end).toString("utf8");
  return s + marker;
}

/** Printable ASCII only: whitespace runs become one space, anything else becomes `?`. */
export function headerSafe(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .replace(/[^\x20-\x7e]/g, "?")
    .trim();
}
