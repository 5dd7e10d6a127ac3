/**
 * Target of an EcsTask's "ECS Task State Change" rule: a Fargate task that stopped without every
 * container exiting 0 lost its scan after the launcher had already consumed the request, so it becomes a
 * dead letter in the task queue's DLQ, carrying the request (redrivable as is) and why it stopped.
 *
 * A Lambda target rather than EventBridge → SQS: the dead-letter recorder reads the code and reason from
 * message attributes, which an EventBridge SQS target cannot set, and the request must be dug out of the
 * container overrides, which an input transformer cannot parse.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { Attr, Env } from "@sec-an/contracts";
import {
  cutReason,
  dlqBody,
  logger,
  requestsOfTask,
  s3Client,
  sendDeadLetter,
  sqsClient,
  type CarriedRequest,
} from "@sec-an/runtime";
import { TASK_STOP_FAILED_LOG, TaskStopEnv } from "./names";

export const TASK_STOPPED = "task-stopped";
export const TASK_FAILED_TO_START = "task-failed-to-start";
/** An event that is not a well-formed stopped-task change: recorded, never retried. */
export const MALFORMED_STOP_EVENT = "malformed";

interface Container {
  name?: string;
  exitCode?: number;
  reason?: string;
  lastStatus?: string;
}

interface StopDetail {
  taskArn: string;
  clusterArn?: string;
  taskDefinitionArn?: string;
  group?: string;
  startedBy?: string;
  lastStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  containers: Container[];
  overrides?: { containerOverrides?: { name?: string; environment?: { name?: string; value?: string }[] }[] };
}

/** What to send to the DLQ for one event. */
export interface StopDeadLetter {
  body: string;
  code: string;
  reason: string;
  /** The ECS task ARN (or the event id when the event has none): identifies the failed run. */
  requestId: string;
  scanId?: string;
  /** The container (= provider) the request ran in, so a redrive picks the same one. */
  provider?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The detail of a stopped-task event, or a description of why the event is not one. */
function stopDetail(event: unknown): StopDetail | string {
  if (!isObject(event)) return "event is not an object";
  if (event.source !== "aws.ecs" || event["detail-type"] !== "ECS Task State Change")
    return `not an ECS Task State Change event (source ${JSON.stringify(event.source)}, detail-type ${JSON.stringify(event["detail-type"])})`;
  const d = event.detail;
  if (!isObject(d)) return "event has no detail";
  if (typeof d.taskArn !== "string") return "detail.taskArn is missing";
  if (d.lastStatus !== "STOPPED") return `detail.lastStatus is ${JSON.stringify(d.lastStatus)}, not STOPPED`;
  if (!Array.isArray(d.containers) || !d.containers.every(isObject))
    return "detail.containers is not a list of containers";
  return d as unknown as StopDetail;
}

/** A container variable the launcher set on this task (`SCAN_REQUEST`, `SCAN_REQUEST_ID`), and its container. */
function override(d: StopDetail, name: string): { value: string; container?: string } | undefined {
  const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v.filter(isObject) as T[]) : []);
  for (const c of list<{ name?: string; environment?: unknown }>(d.overrides?.containerOverrides))
    for (const e of list<{ name?: unknown; value?: unknown }>(c.environment))
      if (e.name === name && typeof e.value === "string")
        return { value: e.value, container: typeof c.name === "string" ? c.name : undefined };
  return undefined;
}

const describeContainer = (c: Container) =>
  `container ${c.name ?? "?"} ${typeof c.exitCode === "number" ? `exit ${c.exitCode}` : "no exit code"}${c.reason ? ` (${c.reason})` : ""}`;

/**
 * The dead letter for one rule event, or undefined when the task succeeded (every container exited 0).
 * A task stopped before its container exited (failed to start, stopped by an operator, Spot/maintenance
 * stop) also lost its scan, so only a clean exit of every container counts as success.
 */
export function stopToDeadLetter(event: unknown): StopDeadLetter | undefined {
  const d = stopDetail(event);
  const eventId = isObject(event) && typeof event.id === "string" ? event.id : "unknown";
  if (typeof d === "string")
    return { body: dlqBody(event), code: MALFORMED_STOP_EVENT, reason: d, requestId: eventId };
  const clean = d.containers.length > 0 && d.containers.every((c) => c.exitCode === 0);
  if (clean) return undefined;
  const reason = [
    d.stopCode ? `${d.stopCode}: ${d.stoppedReason ?? "no reason given"}` : (d.stoppedReason ?? "stopped"),
    ...d.containers.map(describeContainer),
  ].join("; ");
  const request = override(d, Env.scanRequest);
  // The request itself, so the dead letter can be redriven to the task queue; else what ECS told us.
  const body =
    request?.value ??
    dlqBody({
      taskArn: d.taskArn,
      taskDefinitionArn: d.taskDefinitionArn,
      startedBy: d.startedBy,
      stopCode: d.stopCode,
      stoppedReason: d.stoppedReason,
      containers: d.containers.map(({ name, exitCode, reason: why }) => ({ name, exitCode, reason: why })),
    });
  return {
    body,
    code: d.stopCode === "TaskFailedToStart" ? TASK_FAILED_TO_START : TASK_STOPPED,
    reason,
    requestId: d.taskArn,
    scanId: override(d, Env.scanRequestId)?.value,
    provider: request?.container,
  };
}

/** Every container variable the launcher set, by name. */
function overrideVars(d: StopDetail): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of [Env.scanRequests, Env.scanRequest, Env.scanRequestId]) {
    const v = override(d, name)?.value;
    if (v !== undefined) vars[name] = v;
  }
  return vars;
}

/** The requests of a task that scanned several targets, or undefined for a task of one request. */
export function batchOf(event: unknown): { detail: StopDetail; requests: CarriedRequest[] } | undefined {
  const d = stopDetail(event);
  if (typeof d === "string" || override(d, Env.scanRequests) === undefined) return undefined;
  try {
    return { detail: d, requests: requestsOfTask(overrideVars(d)) };
  } catch {
    // A list the handler cannot read: the single-request path records what ECS told us instead.
    return undefined;
  }
}

/** UTC days, `yyyy/mm/dd`, from `from` to `to` inclusive (raw keys are dated by scan end); at most `max`. */
export function resultDays(from: Date, to: Date, max = 3): string[] {
  const days: string[] = [];
  const day = (t: Date) => t.toISOString().slice(0, 10).replace(/-/g, "/");
  for (
    let t = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
    t <= to.getTime();
    t += 86_400_000
  ) {
    days.push(day(new Date(t)));
    if (days.length === max) break;
  }
  return days.length ? days : [day(to)];
}

/** Whether a scan's raw result is in the lake: any `${task}/${day}/${scanId}.*` object, on the days it may end. */
export type StoredCheck = (scanId: string, days: readonly string[]) => Promise<boolean>;

/** A StoredCheck listing the results bucket (s3:ListBucket on the task's own prefix only). */
export function storedInBucket(s3: S3Client, bucket: string, task: string): StoredCheck {
  return async (scanId, days) => {
    for (const day of days) {
      const out = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: `${task}/${day}/${scanId}.`, MaxKeys: 1 }),
      );
      if ((out.KeyCount ?? out.Contents?.length ?? 0) > 0) return true;
    }
    return false;
  };
}

/**
 * The dead letters of a stopped task that scanned several targets: one per request whose result is not
 * in the lake (the container stored the others, or dead-lettered them itself with their reason), each
 * with its own request as body and scan id. Without a way to check (`stored` undefined), every request.
 */
export async function batchDeadLetters(
  event: unknown,
  stored: StoredCheck | undefined,
): Promise<StopDeadLetter[] | undefined> {
  const batch = batchOf(event);
  const dl = stopToDeadLetter(event);
  if (!batch || !dl) return undefined;
  const d = batch.detail;
  const stop = new Date(d.stoppedAt ?? Date.now());
  const start = new Date(d.startedAt ?? d.createdAt ?? stop.getTime() - 86_400_000);
  const days = resultDays(start, stop);
  const container = override(d, Env.scanRequests)?.container;
  const out: StopDeadLetter[] = [];
  for (const r of batch.requests) {
    if (r.scanId && stored && (await stored(r.scanId, days))) continue;
    out.push({
      body: r.body,
      code: dl.code,
      reason: `task ${d.taskArn}: ${dl.reason}`,
      requestId: r.scanId ?? d.taskArn,
      scanId: r.scanId,
      provider: container,
    });
  }
  return out;
}

const str = (v: string) => ({ DataType: "String", StringValue: cutReason(v, 256) });

export interface StopHandlerDeps {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  /** The task queue the request came from (the recorder files it as the dead letter's source). */
  taskQueueArn?: string;
  /** For tasks of several targets: which requests stored their result (those are not dead-lettered). */
  stored?: StoredCheck;
}

/**
 * Sends the event's dead letters, if any: one for a task of one request, one per unstored request for
 * a task of several. A send error throws so Lambda retries (a retry may send an earlier letter again),
 * then uses its own DLQ. Resolves to the first dead letter sent.
 */
export async function handleTaskStop(
  event: unknown,
  deps: StopHandlerDeps,
): Promise<StopDeadLetter | undefined> {
  const batch = await batchDeadLetters(event, deps.stored);
  if (batch) {
    for (const dl of batch) await send(dl, deps);
    return batch[0];
  }
  const dl = stopToDeadLetter(event);
  if (!dl) return undefined;
  await send(dl, deps);
  return dl;
}

async function send(dl: StopDeadLetter, deps: StopHandlerDeps): Promise<void> {
  logger.warn(TASK_STOP_FAILED_LOG, {
    code: dl.code,
    reason: dl.reason,
    requestId: dl.requestId,
  });
  await sendDeadLetter(
    {
      body: dl.body,
      requestId: dl.requestId,
      source: deps.taskQueueArn,
      attributes: {
        ...(dl.scanId ? { [Attr.scanId]: str(dl.scanId) } : {}),
        ...(dl.provider ? { [Attr.provider]: str(dl.provider) } : {}),
      },
    },
    { code: dl.code, message: dl.reason },
    { sqs: deps.sqs, queueUrl: deps.deadLetterQueueUrl },
  );
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

export const handler = async (event: unknown): Promise<void> => {
  // Set only where tasks scan several targets (EcsTask targetsPerTask > 1), with the list permission.
  const bucket = process.env[Env.resultsBucket];
  await handleTaskStop(event, {
    sqs: sqsClient(),
    deadLetterQueueUrl: env(TaskStopEnv.deadLetterQueueUrl),
    taskQueueArn: process.env[TaskStopEnv.taskQueueArn],
    stored: bucket ? storedInBucket(s3Client(), bucket, env(Env.task)) : undefined,
  });
};
