import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from "@aws-sdk/client-sqs";
import { Attr, Env, Limits } from "@sec-an/contracts";
import type { SQSRecord } from "aws-lambda";
import { sqsClient } from "./aws";
import { cutReason, logger } from "./batch";
import { reportDeadLetter } from "./error-channel";
import { permanentFailureOf } from "./errors";

export interface DeadLetterTarget {
  sqs: SQSClient;
  queueUrl: string;
  /** The scan task whose DLQ this is, named in the error event when the letter does not say. */
  task?: string;
  /** False for a consumer of the error channel itself: its failures must not feed the channel again. */
  reportErrors?: boolean;
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
 * must then leave the input to be retried rather than count it as handled. Once it is sent, the failure
 * is reported on the error channel (when the function has an errors topic); that report never throws.
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
  if (target.reportErrors !== false) await reportDeadLetter(letter, failure, target);
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
  return sendDeadLetter(recordLetter(record), failure, target);
}

/** The dead letter of an SQS record: its body as it arrived, message id, source queue and attributes. */
export function recordLetter(record: SQSRecord): DeadLetter {
  return {
    body: record.body,
    requestId: record.messageId,
    source: record.eventSourceARN,
    attributes: toSqsAttributes(record.messageAttributes),
  };
}

/** The body sent for an event: its JSON, or a marked head of it when the whole would not fit in a message. */
export function dlqBody(event: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(event) ?? "null";
  } catch (e) {
    // Too deep (or cyclic) to serialise: the dead letter still goes, saying so, rather than being lost.
    return JSON.stringify({
      unserializable: true,
      error: cutReason(`${(e as Error).name}: ${(e as Error).message}`),
    });
  }
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

/** Code of a record that failed on every attempt SQS allows it. */
export const RETRIES_EXHAUSTED = "retries-exhausted";

/** The queue's maxReceiveCount from the environment, or undefined when not set (or not a positive integer). */
export function maxReceiveCountFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const n = Number(env[Env.maxReceiveCount]);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

/**
 * True when SQS redrives `record` to the DLQ if this attempt fails too: its ApproximateReceiveCount has
 * reached the queue's maxReceiveCount (from the environment, or given). Without a known count, false.
 */
export function isLastAttempt(
  record: Pick<SQSRecord, "attributes">,
  env: NodeJS.ProcessEnv | number | undefined = process.env,
): boolean {
  const max = typeof env === "number" || env === undefined ? env : maxReceiveCountFromEnv(env);
  const received = Number(record.attributes?.ApproximateReceiveCount);
  return max !== undefined && Number.isFinite(received) && received >= max;
}

/** The dead-letter target named by `SEC_AN_DLQ_URL`, or undefined when the function has none. */
export function deadLetterTargetFromEnv(env: NodeJS.ProcessEnv = process.env): DeadLetterTarget | undefined {
  const queueUrl = env[Env.deadLetterQueueUrl];
  return queueUrl ? { sqs: sqsClient(), queueUrl } : undefined;
}

/**
 * Why an input goes to a DLQ: a permanent failure's code and message, or, when this was its last
 * attempt, `retries-exhausted` with the last error's name and message (cut to fit). Undefined while a
 * retry may still succeed.
 */
export function deadLetterFailure(
  error: unknown,
  lastAttempt = false,
): { code: string; message: string } | undefined {
  const permanent = permanentFailureOf(error);
  if (permanent) return { code: permanent.code, message: permanent.message };
  if (!lastAttempt) return undefined;
  const e = error as Error | undefined;
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(error);
  return { code: RETRIES_EXHAUSTED, message: cutReason(text, Limits.reasonBytes) };
}

export interface DeadLetterOnFailureOptions {
  /** Where the input goes; a lookup runs only when needed. Without one, nothing is dead-lettered. */
  target?: DeadLetterTarget | (() => DeadLetterTarget | undefined | Promise<DeadLetterTarget | undefined>);
  /** The input will not be delivered again if this attempt fails (e.g. {@link isLastAttempt}). */
  lastAttempt?: boolean;
}

/**
 * The one way to say "permanent failure → DLQ with a reason": when `error` is permanent (or this was
 * the last attempt), send `letter` to the target with the code and message, and return true: the input
 * counts as handled. Return false when it must be retried instead: a transient error with attempts
 * left, no target, or a failed lookup or send (logged; the input is kept, never lost).
 */
export async function deadLetterOnFailure(
  error: unknown,
  letter: DeadLetter | (() => DeadLetter),
  opts: DeadLetterOnFailureOptions,
): Promise<boolean> {
  const failure = deadLetterFailure(error, opts.lastAttempt);
  if (!failure || !opts.target) return false;
  let l: DeadLetter | undefined;
  try {
    l = typeof letter === "function" ? letter() : letter;
    const target = typeof opts.target === "function" ? await opts.target() : opts.target;
    if (!target) return false;
    await sendDeadLetter(l, failure, target);
  } catch (sendError) {
    logger.error("could not dead-letter a failed input; it will be retried", {
      requestId: l?.requestId,
      code: failure.code,
      error: sendError as Error,
    });
    return false;
  }
  logger.warn("input sent to the DLQ", {
    requestId: l.requestId,
    code: failure.code,
    reason: cutReason(failure.message),
  });
  return true;
}
