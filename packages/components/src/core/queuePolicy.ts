import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Sources allowed to deliver to a queue, by the service principal that delivers for them. */
export interface QueueSenders {
  /** SNS topics (subscriptions, and subscription redrive to a DLQ). */
  readonly snsTopicArns?: readonly pulumi.Input<string>[];
  /** EventBridge rules (targets, and a target's dead-letter queue). */
  readonly eventRuleArns?: readonly pulumi.Input<string>[];
}

const PRINCIPALS = { snsTopicArns: "sns.amazonaws.com", eventRuleArns: "events.amazonaws.com" } as const;

export const hasSenders = (s: QueueSenders): boolean =>
  Object.keys(PRINCIPALS).some((k) => (s[k as keyof QueueSenders]?.length ?? 0) > 0);

/** Throws when a (known) source ARN belongs to another service than its list says. */
export function checkSenderArns(senders: QueueSenders): void {
  for (const k of Object.keys(PRINCIPALS) as (keyof typeof PRINCIPALS)[]) {
    const service = PRINCIPALS[k].split(".")[0];
    for (const a of senders[k] ?? []) {
      if (typeof a === "string" && a.split(":")[2] !== service) {
        throw new Error(`${k}: ${JSON.stringify(a)} is not an ${service} ARN`);
      }
    }
  }
}

/**
 * Queue policy allowing each service to `sqs:SendMessage` ONLY on behalf of the listed sources
 * (`aws:SourceArn`), the confused-deputy guard AWS recommends. Senders that write with their own IAM
 * role (Lambda, SQS redrive) need no statement here.
 */
export function queuePolicyDocument(
  queueArn: string,
  senders: { snsTopicArns?: string[]; eventRuleArns?: string[] },
): string {
  checkSenderArns(senders);
  const Statement = (Object.keys(PRINCIPALS) as (keyof typeof PRINCIPALS)[])
    .filter((k) => (senders[k]?.length ?? 0) > 0)
    .map((k) => {
      const arns = [...new Set(senders[k])].sort();
      return {
        Sid: k === "snsTopicArns" ? "AllowSnsTopics" : "AllowEventRules",
        Effect: "Allow",
        Principal: { Service: PRINCIPALS[k] },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": arns } },
      };
    });
  if (Statement.length === 0) throw new Error("a queue policy needs at least one sender");
  return JSON.stringify({ Version: "2012-10-17", Statement });
}

/** Queues that already have their policy, with the name of that policy resource. */
const withPolicy = new WeakMap<aws.sqs.Queue, string>();

/**
 * Attaches {@link queuePolicyDocument} to a queue; undefined when there are no senders. A queue has ONE
 * policy (AWS keeps the last one written, so a second would silently drop the first's senders): a
 * second call for the same queue throws, and every sender belongs in the one call.
 */
export function senderQueuePolicy(
  name: string,
  queue: aws.sqs.Queue,
  senders: QueueSenders,
  opts: pulumi.CustomResourceOptions,
): aws.sqs.QueuePolicy | undefined {
  if (!hasSenders(senders)) return undefined;
  checkSenderArns(senders); // plain strings fail here, at construction; outputs fail when resolved
  const existing = withPolicy.get(queue);
  if (existing !== undefined)
    throw new Error(
      `${name}: the queue already has the policy ${existing}; give all its senders to that one (e.g. Task subscribeTo)`,
    );
  withPolicy.set(queue, name);
  const policy = pulumi
    .all([
      queue.arn,
      pulumi.output([...(senders.snsTopicArns ?? [])]),
      pulumi.output([...(senders.eventRuleArns ?? [])]),
    ])
    .apply(([arn, snsTopicArns, eventRuleArns]) => queuePolicyDocument(arn, { snsTopicArns, eventRuleArns }));
  return new aws.sqs.QueuePolicy(name, { queueUrl: queue.url, policy }, opts);
}
