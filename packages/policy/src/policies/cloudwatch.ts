import type { PolicyResource } from "@pulumi/policy";
import { asArray, ofType, stackRule, type Loose } from "./util";

export const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const QUEUE = "aws:sqs/queue:Queue";

function parseJson(v: unknown): Loose {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

/**
 * ARNs some resource uses as a dead-letter target: a queue's redrive policy, a Lambda function's
 * dead-letter config, an EventBridge target's, a subscription's redrive, an event source's on-failure
 * destination.
 */
export function deadLetterTargetArns(resources: readonly PolicyResource[]): Set<string> {
  const arns = new Set<string>();
  for (const { props: p } of resources) {
    const candidates = [
      parseJson(p.redrivePolicy)?.deadLetterTargetArn,
      p.deadLetterConfig?.targetArn,
      p.deadLetterConfig?.arn,
      p.target?.deadLetterConfig?.arn,
      p.destinationConfig?.onFailure?.destination,
      p.destinationConfig?.onFailure?.destinationArn,
    ];
    for (const c of candidates) if (typeof c === "string" && c) arns.add(c);
  }
  return arns;
}

/** The queues of the stack that are dead-letter queues: named as a target, or marked by a redrive-allow policy. */
export function deadLetterQueues(resources: readonly PolicyResource[]): PolicyResource[] {
  const targets = deadLetterTargetArns(resources);
  return ofType([...resources], QUEUE).filter(
    (q) =>
      (typeof q.props.arn === "string" && targets.has(q.props.arn)) || q.props.redriveAllowPolicy != null,
  );
}

const DEPTH = "ApproximateNumberOfMessagesVisible";

/** Queue names whose depth an alarm watches, as one metric or as a metric of a metric-math alarm. */
export function queuesWatchedForDepth(alarm: Loose): string[] {
  const metrics = [alarm, ...asArray<Loose>(alarm.metricQueries).map((q) => q?.metric ?? {})];
  return metrics
    .filter((m) => m.namespace === "AWS/SQS" && m.metricName === DEPTH)
    .map((m) => m.dimensions?.QueueName)
    .filter((n): n is string => typeof n === "string");
}

const notifies = (alarm: Loose) => alarm.actionsEnabled !== false && asArray(alarm.alarmActions).length > 0;

export const cloudwatchDlqAlarmed = stackRule(
  "cloudwatch-dlq-depth-alarmed",
  `Every dead-letter queue has a CloudWatch alarm on its depth (${DEPTH}) with at least one alarm action, so a dead letter reaches a person.`,
  (resources, report) => {
    const alarms = ofType(resources, METRIC_ALARM).map((r) => r.props);
    for (const q of deadLetterQueues(resources)) {
      const name = q.props.name;
      const watching = alarms.filter(
        (a) => typeof name === "string" && queuesWatchedForDepth(a).includes(name),
      );
      if (watching.length === 0)
        report(`dead-letter queue ${name ?? q.name} has no alarm on ${DEPTH}`, q.urn);
      else if (!watching.some(notifies))
        report(`dead-letter queue ${name ?? q.name}: no alarm on its depth has an alarm action`, q.urn);
    }
  },
);
