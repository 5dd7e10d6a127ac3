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
 * The dead-letter references of one resource: a queue's redrive policy, a Lambda function's dead-letter
 * config, an EventBridge target's, a subscription's redrive, an event source's on-failure destination.
 * Each is the target it names, or `unknown` when the reference is there but its ARN is not yet known (in
 * a preview every ARN of a resource being created is, and a redrive policy holding one is unknown whole).
 */
function deadLetterRefs(p: Loose): Array<string | typeof UNKNOWN> {
  const redrive =
    p.redrivePolicy == null ? undefined : (parseJson(p.redrivePolicy)?.deadLetterTargetArn ?? UNKNOWN);
  const refs = [
    redrive,
    p.deadLetterConfig == null
      ? undefined
      : (p.deadLetterConfig.targetArn ?? p.deadLetterConfig.arn ?? UNKNOWN),
    p.target?.deadLetterConfig == null ? undefined : (p.target.deadLetterConfig.arn ?? UNKNOWN),
    p.destinationConfig?.onFailure == null
      ? undefined
      : (p.destinationConfig.onFailure.destination ??
        p.destinationConfig.onFailure.destinationArn ??
        UNKNOWN),
  ];
  return refs.filter((r) => r !== undefined).map((r) => (r !== UNKNOWN && isKnownArn(r) ? r : UNKNOWN));
}

const UNKNOWN = Symbol("unknown");
/** Unknown values reach a policy as sentinels (or nothing): a known ARN is a string that looks like one. */
const isKnownArn = (v: unknown): v is string => typeof v === "string" && v.startsWith("arn:");

/** ARNs some resource uses as a dead-letter target (those known at this point). */
export function deadLetterTargetArns(resources: readonly PolicyResource[]): Set<string> {
  const arns = new Set<string>();
  for (const { props } of resources)
    for (const ref of deadLetterRefs(props)) if (ref !== UNKNOWN) arns.add(ref);
  return arns;
}

/** The queues of the stack that are dead-letter queues: named as a target, or marked by a redrive-allow policy. */
export function deadLetterQueues(resources: readonly PolicyResource[]): PolicyResource[] {
  const targets = deadLetterTargetArns(resources);
  return ofType([...resources], QUEUE).filter(
    (q) => (isKnownArn(q.props.arn) && targets.has(q.props.arn)) || q.props.redriveAllowPolicy != null,
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
    // In a preview ARNs are unknown, so a DLQ is only recognisable by its redrive-allow policy: every
    // queue known to be a target must carry one, so that the check below holds when ARNs are not known.
    const targets = deadLetterTargetArns(resources);
    const queues = ofType(resources, QUEUE);
    for (const q of queues)
      if (isKnownArn(q.props.arn) && targets.has(q.props.arn) && q.props.redriveAllowPolicy == null)
        report(
          `dead-letter queue ${q.props.name ?? q.name} has no redriveAllowPolicy: before deployment nothing else marks it as one`,
          q.urn,
        );
    // A target not known yet may be any queue that is neither marked nor redriving elsewhere itself.
    const unmarked = queues.filter(
      (q) => q.props.redriveAllowPolicy == null && q.props.redrivePolicy == null,
    );
    if (unmarked.length)
      for (const r of resources)
        if (deadLetterRefs(r.props).includes(UNKNOWN))
          report(
            `${r.name}'s dead-letter target is not known yet and queue(s) ${unmarked.map((q) => q.props.name ?? q.name).join(", ")} have no redriveAllowPolicy: mark every dead-letter queue with one so its alarm can be checked`,
            r.urn,
          );
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
