import { gzipSync } from "node:zlib";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Attr, DeadLetterRecord, Limits, Params, validate } from "@sec-an/contracts";
import type { SQSRecord } from "aws-lambda";
import { s3Client } from "../aws";
import { cutReason, sqsBatchHandler } from "../batch";
import { recordLetter } from "../dlq";
import { reportDeadLetter } from "../error-channel";
import { metadataBytes } from "../raw-store";
import { getParam } from "../params";

/**
 * Dead-letter recorder: drains a DLQ into the dead-letter bucket, one gzip-compressed JSON object per
 * dead letter (`{ record, body }`), so nothing that failed is ever lost and the reporter can index it.
 * Fixes of the original (§2.4, §11): the error text goes into the object, and S3 metadata only carries
 * header-safe values cut to fit the 2 KB limit.
 */

const queueNameOf = (arn: string) => arn.split(":").pop() || "unknown-queue";
const safeId = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 128);

function attributeValues(r: SQSRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.messageAttributes ?? {})) {
    if (typeof v.stringValue === "string") out[k] = v.stringValue;
    else if (typeof v.binaryValue === "string") out[k] = `base64:${v.binaryValue}`;
  }
  return out;
}

/** The record describing one dead letter, and the key its object is stored under. */
export function deadLetterRecord(r: SQSRecord, now: Date = new Date()): DeadLetterRecord {
  const queueName = queueNameOf(r.eventSourceARN).slice(0, 80);
  const sentMs = Number(r.attributes?.SentTimestamp);
  const sent = Number.isFinite(sentMs) && sentMs > 0 ? new Date(sentMs) : now;
  const sentTime = sent.toISOString();
  const messageId = safeId(r.messageId);
  const attrs = attributeValues(r);
  const receiveCount = Number(r.attributes?.ApproximateReceiveCount);
  const source =
    attrs[Attr.sourceQueue] ??
    (r.attributes as unknown as Record<string, string | undefined>)?.DeadLetterQueueSourceArn;
  const record: DeadLetterRecord = {
    queueName,
    messageId,
    deadLetterKey: `${queueName}/${sentTime.slice(0, 4)}/${sentTime.slice(5, 7)}/${sentTime.slice(8, 10)}/${messageId}.json.gz`,
    sentTime,
    recordedTime: now.toISOString(),
    ...(Number.isInteger(receiveCount) && receiveCount >= 0 ? { receiveCount } : {}),
    ...(attrs[Attr.errorMessage] ? { reason: cutReason(attrs[Attr.errorMessage], 4096) } : {}),
    ...(attrs[Attr.errorCode] ? { errorCode: cutReason(attrs[Attr.errorCode], 64) } : {}),
    ...(attrs[Attr.requestId] ? { requestId: cutReason(attrs[Attr.requestId], 128) } : {}),
    ...(source ? { sourceQueue: cutReason(source, 256) } : {}),
    attributes: attrs,
    bodyBytes: Buffer.byteLength(r.body ?? ""),
  };
  return validate(DeadLetterRecord, record, "dead-letter record");
}

/** S3 user metadata for a record: header-safe ASCII, the reason cut so the whole stays within 2 KB. */
export function deadLetterMetadata(rec: DeadLetterRecord): Record<string, string> {
  const ascii = (v: string, n = 256) => cutReason(v, n, { ascii: true });
  const meta: Record<string, string> = {
    "queue-name": ascii(rec.queueName),
    "message-id": ascii(rec.messageId),
    "dead-letter-key": ascii(rec.deadLetterKey, 512),
    "sent-time": rec.sentTime,
    "recorded-time": rec.recordedTime,
    "body-bytes": String(rec.bodyBytes),
  };
  if (rec.receiveCount !== undefined) meta["receive-count"] = String(rec.receiveCount);
  if (rec.errorCode) meta["error-code"] = ascii(rec.errorCode, 64);
  if (rec.requestId) meta["request-id"] = ascii(rec.requestId, 128);
  if (rec.sourceQueue) meta["source-queue"] = ascii(rec.sourceQueue);
  if (rec.reason) {
    const room = Limits.s3MetadataBytes - metadataBytes(meta) - "reason".length;
    if (room > 16) meta.reason = ascii(rec.reason, Math.min(room, Limits.reasonBytes));
  }
  return meta;
}

/** Store one dead letter; returns its record. Re-delivery of the same message overwrites the same key. */
export async function recordDeadLetter(
  r: SQSRecord,
  bucket: string,
  s3: S3Client = s3Client(),
  now = new Date(),
): Promise<DeadLetterRecord> {
  const record = deadLetterRecord(r, now);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: record.deadLetterKey,
      Body: gzipSync(JSON.stringify({ record, body: r.body })),
      ContentType: "application/gzip",
      Metadata: deadLetterMetadata(record),
    }),
  );
  return record;
}

/** The queue URL of an SQS ARN (`arn:aws:sqs:<region>:<account>:<name>`). */
export function queueUrlOf(arn: string): string {
  const [, , , region, account, name] = arn.split(":");
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
}

/**
 * A dead letter Lambda itself wrote after an asynchronous invocation's retries (its DLQ message carries a
 * numeric `ErrorCode`: the invoke's status) never passed through `sendDeadLetter`, so nothing has told
 * the error channel yet: the recorder does, once the letter is filed.
 */
export function isAsyncInvokeFailure(record: DeadLetterRecord): boolean {
  return /^\d+$/.test(record.errorCode ?? "");
}

/** EventBridge's target-DLQ letters carry these attributes instead of `ErrorCode`/`ErrorMessage`. */
const EventBridgeAttr = { code: "ERROR_CODE", message: "ERROR_MESSAGE" } as const;

/**
 * The error-channel failure of a filed letter nobody has reported yet, or undefined when `sendDeadLetter`
 * already did (it always sets a non-numeric `ErrorCode`). Unreported are: Lambda's async-invoke letters,
 * SQS's own redrives (a handler that timed out, ran out of memory or could not reach its DLQ on the last
 * attempt), EventBridge target DLQ letters and DynamoDB stream on-failure records.
 */
export function unreportedFailure(filed: DeadLetterRecord): { code: string; message: string } | undefined {
  if (isAsyncInvokeFailure(filed))
    return {
      code: "async-invocation-failed",
      message: filed.reason ?? `asynchronous invocation failed with status ${filed.errorCode}`,
    };
  if (filed.errorCode) return undefined;
  const ebCode = filed.attributes[EventBridgeAttr.code];
  const ebMessage = filed.attributes[EventBridgeAttr.message];
  return {
    code: ebCode ? cutReason(ebCode, 64) : "redriven",
    message:
      filed.reason ??
      ebMessage ??
      `dead-lettered without a recorded error after ${filed.receiveCount ?? "unknown"} receives`,
  };
}

export const handler = sqsBatchHandler(
  async (record) => {
    // Read late (and cached): the bucket belongs to shared-infra, deployed independently of this function.
    const bucket = await getParam(Params.deadLettersBucketName);
    const filed = await recordDeadLetter(record, bucket);
    const failure = unreportedFailure(filed);
    // Error events that were themselves dead-lettered carry `Service`: reportDeadLetter skips them (no loop).
    if (failure)
      await reportDeadLetter(
        // The failed invocation's request id (Lambda's RequestID attribute) finds its logs.
        { ...recordLetter(record), requestId: filed.requestId ?? record.messageId },
        failure,
        { queueUrl: queueUrlOf(record.eventSourceARN) },
      );
  },
  // Its queue is itself a DLQ, without redrive: a dead letter it cannot file stays there (the stuck
  // alarm fires) and is retried; sending it anywhere else could only loop or lose it.
  { deadLetter: () => undefined },
);
