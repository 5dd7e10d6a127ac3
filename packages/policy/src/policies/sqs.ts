import type { PolicyResource } from "@pulumi/policy";
import { ofType, resourceRule, stackRule } from "./util";

type Redrive = { deadLetterTargetArn?: string; maxReceiveCount?: number };

export const QUEUE = "aws:sqs/queue:Queue";
export const ESM = "aws:lambda/eventSourceMapping:EventSourceMapping";
export const FUNCTION = "aws:lambda/function:Function";

/** AWS's maximum retention; dead letters must stay as long as possible so the recorder can archive them. */
export const DLQ_RETENTION_SECONDS = 1209600;
export const MAX_RECEIVE_COUNT = 5;
/** Lambda's SQS guidance: visibility timeout at least six times the function timeout. */
export const VISIBILITY_FACTOR = 6;
const SQS_DEFAULT_VISIBILITY = 30;
const LAMBDA_DEFAULT_TIMEOUT = 3;

export const sqsQueueEncrypted = resourceRule(
  "sqs-queue-encrypted",
  "SQS queues are encrypted at rest (sqsManagedSseEnabled or kmsMasterKeyId).",
  [QUEUE],
  (p, report) => {
    if (p.sqsManagedSseEnabled !== true && !p.kmsMasterKeyId)
      report("queue is not encrypted: set sqsManagedSseEnabled: true or kmsMasterKeyId");
  },
);

function parseRedrive(v: unknown): Redrive | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "object") return v as Redrive;
  try {
    return JSON.parse(String(v));
  } catch {
    return {};
  }
}

/** ARNs some resource in the stack uses as a dead-letter target (queues, SNS subscriptions, Lambda, EventBridge, Scheduler). */
function deadLetterTargets(resources: PolicyResource[]): Set<string> {
  const arns = new Set<string>();
  for (const r of resources) {
    const p = r.props;
    const redrive = parseRedrive(p.redrivePolicy);
    if (redrive?.deadLetterTargetArn) arns.add(redrive.deadLetterTargetArn);
    if (p.deadLetterConfig?.targetArn) arns.add(p.deadLetterConfig.targetArn);
    if (p.deadLetterConfig?.arn) arns.add(p.deadLetterConfig.arn);
    if (p.target?.deadLetterConfig?.arn) arns.add(p.target.deadLetterConfig.arn);
    if (p.destinationConfig?.onFailure?.destination) arns.add(p.destinationConfig.onFailure.destination);
    if (p.destinationConfig?.onFailure?.destinationArn)
      arns.add(p.destinationConfig.onFailure.destinationArn);
  }
  return arns;
}

export const sqsRedriveAndDlqRetention = stackRule(
  "sqs-redrive-and-dlq-retention",
  `Queues that are not dead-letter queues redrive to a DLQ with maxReceiveCount <= ${MAX_RECEIVE_COUNT}; DLQs keep messages ${DLQ_RETENTION_SECONDS} s (14 days).`,
  (resources, report) => {
    const dlqArns = deadLetterTargets(resources);
    for (const q of ofType(resources, QUEUE)) {
      const isDlq = (q.props.arn && dlqArns.has(q.props.arn)) || q.props.redriveAllowPolicy !== undefined;
      if (isDlq) {
        if (q.props.messageRetentionSeconds !== DLQ_RETENTION_SECONDS) {
          report(
            `dead-letter queue ${q.name} must set messageRetentionSeconds: ${DLQ_RETENTION_SECONDS} (has ${q.props.messageRetentionSeconds ?? "default 345600"})`,
            q.urn,
          );
        }
        continue;
      }
      const redrive = parseRedrive(q.props.redrivePolicy);
      if (!redrive?.deadLetterTargetArn) {
        report(`queue ${q.name} has no redrivePolicy to a dead-letter queue`, q.urn);
      } else if (!(
        Number(redrive.maxReceiveCount) >= 1 && Number(redrive.maxReceiveCount) <= MAX_RECEIVE_COUNT
      )) {
        report(
          `queue ${q.name} redrive maxReceiveCount must be 1..${MAX_RECEIVE_COUNT} (has ${redrive.maxReceiveCount})`,
          q.urn,
        );
      }
    }
  },
);

const isSqsArn = (v: unknown) => typeof v === "string" && v.startsWith("arn:aws:sqs:");

/** Matches a function by name, ARN or qualified ARN as EventSourceMapping.functionName accepts. */
function functionMatches(fn: PolicyResource, ref: unknown): boolean {
  if (typeof ref !== "string") return false;
  const { name, arn } = fn.props;
  return ref === name || ref === arn || (typeof arn === "string" && ref.startsWith(`${arn}:`));
}

export const sqsVisibilityVsLambdaTimeout = stackRule(
  "sqs-visibility-covers-lambda-timeout",
  `A queue consumed by Lambda has visibilityTimeoutSeconds >= ${VISIBILITY_FACTOR} x the function timeout.`,
  (resources, report) => {
    const queues = ofType(resources, QUEUE);
    const fns = ofType(resources, FUNCTION);
    for (const m of ofType(resources, ESM)) {
      const queue =
        queues.find((q) => (m.propertyDependencies?.eventSourceArn ?? []).some((d) => d.urn === q.urn)) ??
        queues.find((q) => q.props.arn !== undefined && q.props.arn === m.props.eventSourceArn);
      const fn =
        fns.find((f) => (m.propertyDependencies?.functionName ?? []).some((d) => d.urn === f.urn)) ??
        fns.find((f) => functionMatches(f, m.props.functionName));
      if (!queue || !fn) continue; // one side lives in another stack: nothing to compare here
      const visibility = queue.props.visibilityTimeoutSeconds ?? SQS_DEFAULT_VISIBILITY;
      const timeout = fn.props.timeout ?? LAMBDA_DEFAULT_TIMEOUT;
      if (visibility < VISIBILITY_FACTOR * timeout) {
        report(
          `queue ${queue.name} visibility ${visibility}s < ${VISIBILITY_FACTOR} x timeout ${timeout}s of ${fn.name} (need >= ${VISIBILITY_FACTOR * timeout}s)`,
          queue.urn,
        );
      }
    }
  },
);

export const sqsEsmReportsBatchItemFailures = resourceRule(
  "sqs-event-source-reports-batch-item-failures",
  "SQS event source mappings report partial batch failures, so one bad record never fails its siblings.",
  [ESM],
  (p, report) => {
    if (!isSqsArn(p.eventSourceArn)) return;
    if (!(p.functionResponseTypes ?? []).includes("ReportBatchItemFailures")) {
      report('SQS event source mapping must set functionResponseTypes: ["ReportBatchItemFailures"]');
    }
  },
);
