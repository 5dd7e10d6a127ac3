import type { MessageAttributeValue, SNSClient } from "@aws-sdk/client-sns";
import {
  Attr,
  Env,
  ErrorAttr,
  ErrorChannelEnv,
  Limits,
  PLATFORM_TASK,
  isValid,
  PlatformErrorEvent,
  toChannelPart,
} from "@sec-an/contracts";
import { snsClient } from "./aws";
import { cutReason, logger } from "./batch";

export interface ErrorChannelTarget {
  sns: SNSClient;
  topicArn: string;
}

/** What a failure path knows about the failure; the rest of the event comes from the environment. */
export interface FailureReport {
  code: string;
  message: string;
  requestId: string;
  task?: string;
  scanId?: string;
  container?: string;
  dlq?: string;
  source?: string;
}

/** A publish that has not answered by then is abandoned: the failure path it reports on must not stall. */
const PUBLISH_TIMEOUT_MS = 3000;

/** The errors topic named by `SEC_AN_ERRORS_TOPIC_ARN`, or undefined when the function reports no errors. */
export function errorChannelFromEnv(env: NodeJS.ProcessEnv = process.env): ErrorChannelTarget | undefined {
  const topicArn = env[ErrorChannelEnv.topicArn];
  return topicArn ? { sns: snsClient(), topicArn } : undefined;
}

/** The error event of a failure: service from the function's name, task from the report or environment. */
export function errorEvent(
  report: FailureReport,
  env: NodeJS.ProcessEnv = process.env,
  now: Date = new Date(),
): PlatformErrorEvent {
  const service = env.AWS_LAMBDA_FUNCTION_NAME || env.POWERTOOLS_SERVICE_NAME || "sec-an";
  const scanId = report.scanId && report.scanId.length <= 128 ? report.scanId : undefined;
  return {
    service: toChannelPart(service),
    task: cutReason(report.task || env[Env.task] || PLATFORM_TASK, 64, { ascii: true }),
    code: cutReason(report.code || "unknown", 64, { ascii: true }),
    message: cutReason(report.message || "(no message)", Limits.reasonBytes),
    requestId: cutReason(report.requestId || "unknown", 256),
    ...(scanId ? { scanId } : {}),
    ...(report.container ? { container: toChannelPart(report.container) } : {}),
    ...(report.dlq ? { dlq: cutReason(report.dlq, 1024) } : {}),
    ...(report.source ? { source: cutReason(report.source, 1024) } : {}),
    time: now.toISOString(),
  };
}

const str = (v: string): MessageAttributeValue => ({ DataType: "String", StringValue: v });

/** Filterable SNS attributes of an event (contracts `ErrorAttr`). */
export function errorEventAttributes(e: PlatformErrorEvent): Record<string, MessageAttributeValue> {
  return {
    [ErrorAttr.service]: str(e.service),
    [ErrorAttr.task]: str(e.task),
    [ErrorAttr.code]: str(e.code),
    ...(e.scanId ? { [ErrorAttr.scanId]: str(e.scanId) } : {}),
    ...(e.container ? { [ErrorAttr.container]: str(e.container) } : {}),
  };
}

/**
 * Publish an error event to the errors topic. Never throws: it runs on failure paths that have already
 * kept the failed input (a DLQ write, a retry), and a lost notification must not undo that. Returns
 * whether the event was published.
 */
export async function publishErrorEvent(
  event: PlatformErrorEvent,
  target: ErrorChannelTarget | undefined = errorChannelFromEnv(),
): Promise<boolean> {
  if (!target) return false;
  try {
    if (!isValid(PlatformErrorEvent, event)) throw new Error("the event does not match PlatformErrorEvent");
    // Loaded on the first failure only: a handler that never fails never pays for the SNS client.
    const { PublishCommand } = await import("@aws-sdk/client-sns");
    await target.sns.send(
      new PublishCommand({
        TopicArn: target.topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: errorEventAttributes(event),
      }),
      { abortSignal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS) },
    );
    return true;
  } catch (e) {
    logger.error("could not publish an error event; the failure itself is handled", {
      code: event.code,
      requestId: event.requestId,
      error: e as Error,
    });
    return false;
  }
}

/** Report a failure on the error channel (a no-op for a function without an errors topic). Never throws. */
export function reportFailure(
  report: FailureReport,
  target: ErrorChannelTarget | undefined = errorChannelFromEnv(),
): Promise<boolean> {
  if (!target) return Promise.resolve(false);
  return publishErrorEvent(errorEvent(report), target);
}

type AttrMap = Record<string, MessageAttributeValue> | undefined;
const attr = (attrs: AttrMap, name: string): string | undefined => attrs?.[name]?.StringValue || undefined;

/** The scan id a JSON body carries at its top level (a scan request, a collection), if any. */
function bodyScanId(body: string): string | undefined {
  if (!body.startsWith("{")) return undefined;
  try {
    const v = (JSON.parse(body) as { scanId?: unknown }).scanId;
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Report a dead letter that was just sent. A letter that is itself an error event (it carries the
 * `Service` attribute: the bridge's own failures) is not reported again, so an unreachable Redis cannot
 * feed the errors topic its own failures forever.
 */
export function reportDeadLetter(
  letter: { body: string; requestId: string; source?: string; attributes?: AttrMap },
  failure: { code: string; message: string },
  dlq: { queueUrl: string; task?: string },
  target: ErrorChannelTarget | undefined = errorChannelFromEnv(),
): Promise<boolean> {
  if (!target || attr(letter.attributes, ErrorAttr.service)) return Promise.resolve(false);
  return reportFailure(
    {
      ...failure,
      requestId: letter.requestId,
      task: attr(letter.attributes, Attr.task) ?? dlq.task,
      scanId: attr(letter.attributes, Attr.scanId) ?? bodyScanId(letter.body),
      container: attr(letter.attributes, Attr.provider),
      dlq: dlq.queueUrl,
      source: letter.source,
    },
    target,
  );
}
