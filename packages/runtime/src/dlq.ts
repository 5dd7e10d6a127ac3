import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { Attr, Limits } from "@sec-an/contracts";
import type { Context } from "aws-lambda";
import { sqsClient } from "./aws";
import { cutReason, logger } from "./batch";

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
 * id and error, then rethrow so the caller still retries (reference §2.1).
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
      logger.error("handler failed; forwarding the event to the DLQ", {
        awsRequestId: context?.awsRequestId,
        error: e,
      });
      try {
        const QueueUrl = typeof opts.queueUrl === "string" ? opts.queueUrl : await opts.queueUrl();
        await (opts.sqs ?? sqsClient)().send(
          new SendMessageCommand({
            QueueUrl,
            MessageBody: dlqBody(event),
            MessageAttributes: {
              [Attr.requestId]: { DataType: "String", StringValue: context?.awsRequestId || "unknown" },
              [Attr.errorCode]: { DataType: "Number", StringValue: "500" },
              [Attr.errorMessage]: {
                DataType: "String",
                StringValue: cutReason(
                  `${e?.name ?? "Error"}: ${e?.message ?? String(error)}\n${e?.stack ?? ""}`,
                ),
              },
            },
          }),
        );
      } catch (sendError) {
        // The original failure matters more: log the DLQ failure and rethrow the original.
        logger.error("could not forward the failed event to the DLQ", { error: sendError as Error });
      }
      throw error;
    }
  };
}
