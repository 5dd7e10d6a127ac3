import type { PolicyResource } from "@pulumi/policy";
import { asArray, ofType, refersTo, resourceRule, stackRule, statements } from "./util";
import { deadLetterTargetArns } from "./cloudwatch";

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

export const sqsRedriveAndDlqRetention = stackRule(
  "sqs-redrive-and-dlq-retention",
  `Queues that are not dead-letter queues redrive to a DLQ with maxReceiveCount <= ${MAX_RECEIVE_COUNT}; DLQs keep messages ${DLQ_RETENTION_SECONDS} s (14 days).`,
  (resources, report) => {
    const dlqArns = deadLetterTargetArns(resources);
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

export const QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy";
export const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → the queue's ARN (undefined if not a queue URL). */
export function queueUrlToArn(url: unknown): string | undefined {
  const m =
    typeof url === "string"
      ? /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(\d{12})\/([^/]+)$/.exec(url)
      : null;
  return m ? `arn:aws:sqs:${m[1]}:${m[2]}:${m[3]}` : undefined;
}

/** An IAM ARN pattern (`*`, `?`) as a RegExp. */
const arnPattern = (p: string) =>
  new RegExp(
    `^${p
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );

/** True when some Allow statement lets SNS send to the queue on behalf of `topicArn`. */
export function policyAllowsTopic(policy: unknown, topicArn: string): boolean {
  return statements(policy).some((s) => {
    if (s.Effect !== "Allow") return false;
    const p = s.Principal;
    const sns =
      p === "*" ||
      (typeof p === "object" &&
        (asArray(p.Service).includes("sns.amazonaws.com") || asArray(p.AWS).includes("*")));
    const actions = asArray(s.Action);
    if (!sns || !actions.some((a) => a === "sqs:SendMessage" || a === "sqs:*" || a === "*")) return false;
    const conditions = Object.entries(s.Condition ?? {}).flatMap(([op, block]) =>
      Object.entries(block ?? {})
        .filter(([k]) => k.toLowerCase() === "aws:sourcearn")
        .map(([, v]) => ({ like: /like/i.test(op), values: asArray(v as string | string[]) })),
    );
    // No source condition allows every topic (noUnscopedPublicPrincipal judges whether that is wise).
    return conditions.every((c) =>
      c.values.some((v) => (c.like ? arnPattern(String(v)).test(topicArn) : v === topicArn)),
    );
  });
}

export const sqsOnePolicyPerQueue = stackRule(
  "sqs-one-policy-per-queue",
  "A queue has at most one QueuePolicy (AWS keeps one, so a second silently replaces the first), and it allows every SNS topic subscribed to the queue.",
  (resources, report) => {
    const queues = ofType(resources, QUEUE);
    const arnOfUrl = new Map(queues.map((q) => [q.props.url, q.props.arn]));
    const policies = new Map<string, PolicyResource[]>();
    for (const p of ofType(resources, QUEUE_POLICY)) {
      const linked = queues.find((q) => refersTo(p, "queueUrl", q, [q.props.url]));
      const arn = linked?.props.arn ?? arnOfUrl.get(p.props.queueUrl) ?? queueUrlToArn(p.props.queueUrl);
      const key = typeof arn === "string" ? arn : String(p.props.queueUrl);
      policies.set(key, [...(policies.get(key) ?? []), p]);
    }
    for (const [queue, list] of policies) {
      if (list.length > 1)
        for (const p of list.slice(1))
          report(
            `queue ${queue} has ${list.length} QueuePolicy resources (${list.map((x) => x.name).join(", ")}); AWS keeps one, so the others' senders stop delivering: merge them into one`,
            p.urn,
          );
    }
    const inStack = new Set(queues.map((q) => q.props.arn).filter((a) => typeof a === "string"));
    for (const sub of ofType(resources, SUBSCRIPTION)) {
      const { protocol, endpoint, topic } = sub.props;
      if (protocol !== "sqs" || typeof endpoint !== "string" || typeof topic !== "string") continue;
      const list = policies.get(endpoint) ?? [];
      // A queue of another stack carries its policy there; only queues this stack owns are judged.
      if (list.length === 0 && !inStack.has(endpoint)) continue;
      if (!list.some((p) => policyAllowsTopic(p.props.policy, topic)))
        report(
          `subscription ${sub.name}: no policy of queue ${endpoint} lets topic ${topic} send, so SNS delivers nothing`,
          sub.urn,
        );
    }
  },
);
