import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from "@aws-sdk/client-sqs";
import { Attr, Limits } from "@sec-an/contracts";
import type { Context, SQSRecord } from "aws-lambda";
import { sqsClient } from "./aws";
import { cutReason, logger } from "./batch";
import { isPermanentFailure } from "./errors";

export interface DeadLetterTarget {
  sqs: SQSClient;
  queueUrl: string;
}

/** SQS allows 10 attributes per message; ours take 4, so at most this many of the sender's are kept. */
const KEPT_ATTRIBUTES = 6;

const str = (v: string): MessageAttributeValue => ({ DataType: "String", StringValue: v });

/** The attributes every dead letter carries, so the recorder can store why it failed and where it came from. */
export function deadLetterAttributes(
  failure: { code: string; message: string },
  requestId: string,
  sourceQueue?: string,
): Record<string, MessageAttributeValue> {
  return {
    [Attr.errorCode]: str(cutReason(failure.code || "unknown", 64)),
    [Attr.errorMessage]: str(cutReason(failure.message || "(no message)", Limits.reasonBytes)),
    [Attr.requestId]: str(cutReason(requestId || "unknown", 128)),
    ...(sourceQueue ? { [Attr.sourceQueue]: str(cutReason(sourceQueue, 256)) } : {}),
  };
}

/** One dead letter: the body as it arrived (or `dlqBody` of an event), where it came from, and its own attributes. */
export interface DeadLetter {
  body: string;
  /** The id that finds the failed input again: the SQS message id, stream event id or Lambda request id. */
  requestId: string;
  /** Queue or stream ARN the input came from. */
  source?: string;
  /** The input's own message attributes, kept as far as SQS's limit of 10 leaves room. */
  attributes?: Record<string, MessageAttributeValue>;
}

/**
 * Send a dead letter with errorCode / errorMessage / requestId / sourceQueue attributes (the names in
 * contracts `Attr`), so every dead letter says why it failed. Throws when the send fails: the caller
 * must then leave the input to be retried rather than count it as handled.
 */
export async function sendDeadLetter(
  letter: DeadLetter,
  failure: { code: string; message: string },
  target: DeadLetterTarget,
): Promise<void> {
  const own = new Set<string>([Attr.errorCode, Attr.errorMessage, Attr.requestId, Attr.sourceQueue]);
  const kept = Object.entries(letter.attributes ?? {})
    .filter(([k]) => !own.has(k))
    .slice(0, KEPT_ATTRIBUTES);
  await target.sqs.send(
    new SendMessageCommand({
      QueueUrl: target.queueUrl,
      MessageBody: letter.body,
      MessageAttributes: {
        ...Object.fromEntries(kept),
        ...deadLetterAttributes(failure, letter.requestId, letter.source),
      },
    }),
  );
}

/** SQS event attributes (`{ dataType, stringValue, binaryValue: base64 }`) in the SendMessage shape. */
export function toSqsAttributes(
  attrs: SQSRecord["messageAttributes"] | undefined,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (typeof v.stringValue === "string") out[k] = { DataType: v.dataType, StringValue: v.stringValue };
    else if (typeof v.binaryValue === "string")
      out[k] = { DataType: v.dataType, BinaryValue: Buffer.from(v.binaryValue, "base64") };
  }
  return out;
}

/**
 * Send an SQS record's original body to a DLQ with its attributes plus errorCode / errorMessage /
 * requestId / sourceQueue attributes (the attribute names in contracts `Attr`). Throws when the send
 * fails, so the caller leaves the record to be retried rather than losing it.
 */
export function sendRecordToDlq(
  record: SQSRecord,
  failure: { code: string; message: string },
  target: DeadLetterTarget,
): Promise<void> {
  return sendDeadLetter(
    {
      body: record.body,
      requestId: record.messageId,
      source: record.eventSourceARN,
      attributes: toSqsAttributes(record.messageAttributes),
    },
    failure,
    target,
  );
}

export interface DlqOptions {
  /** The DLQ URL, or a late lookup of it (e.g. from SSM). */
  queueUrl: string | (() => Promise<string>);
  sqs?: () => SQSClient;
}

/** The body sent for an event: its JSON, or a marked head of it when the whole would not fit in a message. */
export function dlqBody(event: unknown): string {
  const json = JSON.stringify(event) ?? "null";
  const budget = Limits.publishBudgetBytes - Limits.reasonBytes;
  if (Buffer.byteLength(json) <= budget) return json;
  // The head is escaped again inside the wrapper (quotes double), so shrink until the wrapper fits.
  let room = budget - 200;
  for (;;) {
    const body = JSON.stringify({
      truncated: true,
      bytes: Buffer.byteLength(json),
      head: cutReason(json, room),
    });
    const over = Buffer.byteLength(body) - budget;
    if (over <= 0) return body;
    room -= over;
  }
}

/**
 * For synchronously invoked handlers (DynamoDB streams, direct invokes), whose failures Lambda's own
 * dead-letter config never sees: on an exception, send the triggering event to the DLQ with the request
 * id and error (code "exception", or the PermanentFailure's own code), then rethrow so the caller still
 * retries.
 */
export function forwardExceptionsToDlq<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  opts: DlqOptions,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    try {
      return await handler(event, context);
    } catch (error) {
      const e = error as Error;
      const code = isPermanentFailure(error) ? error.code : "exception";
      logger.error("handler failed; forwarding the event to the DLQ", {
        awsRequestId: context?.awsRequestId,
        error: e,
      });
      try {
        const queueUrl = typeof opts.queueUrl === "string" ? opts.queueUrl : await opts.queueUrl();
        await sendDeadLetter(
          { body: dlqBody(event), requestId: context?.awsRequestId || "unknown" },
          { code, message: `${e?.name ?? "Error"}: ${e?.message ?? String(error)}\n${e?.stack ?? ""}` },
          { sqs: (opts.sqs ?? sqsClient)(), queueUrl },
        );
      } catch (sendError) {
        // The original failure matters more: log the DLQ failure and rethrow the original.
        logger.error("could not forward the failed event to the DLQ", { error: sendError as Error });
      }
      throw error;
    }
  };
}
