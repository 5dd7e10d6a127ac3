/**
 * Every CloudWatch alarm of the platform comes from here: pure functions describe an alarm (metric,
 * statistic, threshold), and {@link metricAlarm} creates it with its actions, refusing an alarm that
 * would notify nobody. Components alarm what they create (DLQs, functions, task stops), so no project
 * writes an alarm by hand.
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { resourcePrefix, type Deployment } from "@sec-an/contracts";

/** An alarm's definition without its actions and tags (what {@link metricAlarm} adds). */
export type AlarmSpec = Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "tags">;

/** ARNs an alarm notifies (SNS topics). */
export type AlarmActions = readonly pulumi.Input<string>[];

/**
 * Namespace of the metrics a metric filter derives from a log group: `sec-an` + the group's name.
 * Log group names are unique per account and region, so two stages in one account never share a count.
 */
export function logMetricsNamespace(logGroupName: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`sec-an${logGroupName}`;
}

/** Physical name of the platform notifications topic, which shared-infra creates. */
export function notificationsTopicName(d: Deployment): string {
  return `${resourcePrefix(d)}-notifications`;
}

/**
 * ARN of the deployment's notifications topic in the deploying account and region. Derived from the
 * topic's fixed name rather than read from SSM at deploy time: every stack already deploys after
 * shared-infra, and a deploy-time read in every component that makes a DLQ would add an SSM lookup
 * to every program (and to every test's mocked parameters) for a value that cannot differ.
 */
export function notificationsTopicArn(
  d: Deployment,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<string> {
  const partition = aws.getPartitionOutput({}, opts).partition;
  const region = aws.getRegionOutput({}, opts).region;
  const account = aws.getCallerIdentityOutput({}, opts).accountId;
  return pulumi.interpolate`arn:${partition}:sns:${region}:${account}:${notificationsTopicName(d)}`;
}

/**
 * Where a component's alarms go: the given targets, else the deployment's notifications topic. Given
 * targets must not be empty (an alarm without actions is an alarm nobody hears); with neither targets
 * nor a deployment there is nothing to notify and the result is empty.
 */
export function alarmTargets(
  deployment: Deployment | undefined,
  given: AlarmActions | undefined,
  opts?: pulumi.InvokeOutputOptions,
): AlarmActions {
  if (checkAlarmActions(given)) return given;
  return deployment ? [notificationsTopicArn(deployment, opts)] : [];
}

/** True when targets are given; throws when they are given but empty (call before registering anything). */
export function checkAlarmActions(given: AlarmActions | undefined): given is AlarmActions {
  if (given !== undefined && given.length === 0)
    throw new Error("alarmActions is empty: leave it out to notify the deployment's notifications topic");
  return given !== undefined;
}

/** One alarm from a spec, notifying `actions` (at least one) when it fires. */
export function metricAlarm(
  name: string,
  spec: AlarmSpec,
  actions: AlarmActions,
  tags: Record<string, string> | undefined,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  if (actions.length === 0) throw new Error(`alarm ${name} has no actions: nobody would hear it`);
  // PutMetricAlarm refuses metric math unless exactly one query returns data (the default is true).
  const queries = spec.metricQueries;
  if (Array.isArray(queries)) {
    const returned = queries.filter((q) => (q as { returnData?: unknown }).returnData !== false).length;
    if (returned !== 1)
      throw new Error(`alarm ${name}: exactly one metric query must return data, ${returned} do`);
  }
  return new aws.cloudwatch.MetricAlarm(
    name,
    { ...spec, actionsEnabled: true, alarmActions: [...actions], tags },
    opts,
  );
}

const sqsMetric = (queueName: pulumi.Input<string>, metricName: string, stat: string) => ({
  namespace: "AWS/SQS",
  metricName,
  dimensions: { QueueName: queueName },
  period: 60,
  stat,
});

/**
 * A dead-letter queue holds or received a message. Depth alone would miss most dead letters: a
 * recorder drains its DLQ within seconds, between SQS's one-minute samples. Messages received count
 * every one the recorder took; depth counts those waiting (a queue nobody consumes, or a recorder that
 * fails). FILL keeps the sum defined when one of the two has no sample.
 */
export function deadLetterAlarm(queueName: pulumi.Input<string>): AlarmSpec {
  return {
    alarmDescription: pulumi.interpolate`Dead letters in ${queueName}: see the Dead Letters view, or the queue itself if nothing consumes it`,
    metricQueries: [
      // CloudWatch takes exactly one returned series as the alarm's; ReturnData defaults to true.
      {
        id: "waiting",
        metric: sqsMetric(queueName, "ApproximateNumberOfMessagesVisible", "Maximum"),
        returnData: false,
      },
      { id: "received", metric: sqsMetric(queueName, "NumberOfMessagesReceived", "Sum"), returnData: false },
      {
        id: "letters",
        expression: "FILL(waiting, 0) + FILL(received, 0)",
        label: "Dead letters waiting or received",
        returnData: true,
      },
    ],
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  };
}

/** The oldest dead letter waited longer than `seconds`: its recorder is failing to file it. */
export function stuckDeadLettersAlarm(queueName: pulumi.Input<string>, seconds: number): AlarmSpec {
  return {
    alarmDescription: pulumi.interpolate`Dead letters in ${queueName} are not being recorded to the dead-letter bucket`,
    namespace: "AWS/SQS",
    metricName: "ApproximateAgeOfOldestMessage",
    dimensions: { QueueName: queueName },
    statistic: "Maximum",
    period: 300,
    evaluationPeriods: 1,
    threshold: seconds,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  };
}

/** A Lambda metric (`Errors`, `Throttles`) summed over 5 minutes is above 0. */
export function functionMetricAlarm(
  functionName: pulumi.Input<string>,
  metricName: "Errors" | "Throttles",
): AlarmSpec {
  return {
    alarmDescription: pulumi.interpolate`${functionName}: ${metricName === "Errors" ? "invocations failed" : "invocations were throttled"}`,
    namespace: "AWS/Lambda",
    metricName,
    dimensions: { FunctionName: functionName },
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  };
}

/** A count that a metric filter derives from log events is above 0 in 5 minutes. */
export function logEventsAlarm(
  namespace: pulumi.Input<string>,
  metricName: string,
  description: pulumi.Input<string>,
): AlarmSpec {
  return {
    alarmDescription: description,
    namespace,
    metricName,
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  };
}

/** Dimensions of an OpenSearch Service domain's metrics (the namespace is still `AWS/ES`). */
const domainMetric = (domainName: pulumi.Input<string>, accountId: pulumi.Input<string>) => ({
  namespace: "AWS/ES",
  dimensions: { DomainName: domainName, ClientId: accountId },
});

/**
 * A domain that is red (a primary shard unassigned: data missing, writes failing), yellow (a replica
 * unassigned) for 5 minutes, or whose emptiest node has at most `lowStorageMiB` free.
 */
export function domainAlarms(
  domainName: pulumi.Input<string>,
  accountId: pulumi.Input<string>,
  lowStorageMiB: number,
): Record<"red" | "yellow" | "lowStorage", AlarmSpec> {
  if (!(lowStorageMiB > 0)) throw new Error(`lowStorageMiB must be above 0, got ${lowStorageMiB}`);
  const m = domainMetric(domainName, accountId);
  const status = (color: "red" | "yellow", minutes: number, what: string): AlarmSpec => ({
    alarmDescription: pulumi.interpolate`${domainName} is ${color}: ${what}`,
    ...m,
    metricName: `ClusterStatus.${color}`,
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: minutes,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "breaching",
  });
  return {
    red: status("red", 1, "a primary shard is unassigned"),
    yellow: status("yellow", 5, "a replica shard is unassigned"),
    lowStorage: {
      alarmDescription: pulumi.interpolate`${domainName}: a node has ${lowStorageMiB} MiB or less free storage`,
      ...m,
      metricName: "FreeStorageSpace",
      statistic: "Minimum",
      period: 300,
      evaluationPeriods: 1,
      threshold: lowStorageMiB,
      comparisonOperator: "LessThanOrEqualToThreshold",
      treatMissingData: "breaching",
    },
  };
}

/** Errors and throttles alarms of one function. */
export function functionAlarms(
  name: string,
  functionName: pulumi.Input<string>,
  actions: AlarmActions,
  tags: Record<string, string> | undefined,
  opts: pulumi.CustomResourceOptions,
): { errors: aws.cloudwatch.MetricAlarm; throttles: aws.cloudwatch.MetricAlarm } {
  return {
    errors: metricAlarm(`${name}-errors`, functionMetricAlarm(functionName, "Errors"), actions, tags, opts),
    throttles: metricAlarm(
      `${name}-throttles`,
      functionMetricAlarm(functionName, "Throttles"),
      actions,
      tags,
      opts,
    ),
  };
}

export interface LogPatternAlarmArgs {
  /** Log group whose events are counted. */
  readonly logGroupName: pulumi.Input<string>;
  /** CloudWatch Logs filter pattern, e.g. from {@link jsonLogPattern}. */
  readonly pattern: string;
  /** Name of the count, in {@link logMetricsNamespace} of the log group. */
  readonly metricName: string;
  readonly description: pulumi.Input<string>;
  readonly actions: AlarmActions;
  readonly tags?: Record<string, string>;
}

/**
 * A metric filter counting the log events that match a pattern (in the log group's
 * {@link logMetricsNamespace}), and an alarm when any matched in 5 minutes. Lets a structured log
 * line a handler already writes become an alert without touching the handler.
 */
export function logPatternAlarm(
  name: string,
  args: LogPatternAlarmArgs,
  opts: pulumi.CustomResourceOptions,
): { filter: aws.cloudwatch.LogMetricFilter; alarm: aws.cloudwatch.MetricAlarm } {
  const namespace = logMetricsNamespace(args.logGroupName);
  const filter = new aws.cloudwatch.LogMetricFilter(
    `${name}-filter`,
    {
      logGroupName: args.logGroupName,
      pattern: args.pattern,
      metricTransformation: { namespace, name: args.metricName, value: "1", unit: "Count" },
    },
    opts,
  );
  const spec = logEventsAlarm(namespace, args.metricName, args.description);
  const alarm = metricAlarm(name, spec, args.actions, args.tags, { ...opts, dependsOn: [filter] });
  return { filter, alarm };
}

/**
 * A CloudWatch Logs pattern matching JSON log events whose top-level string fields equal the given
 * values (Powertools writes `message` and the extra keys at the top level).
 */
export function jsonLogPattern(fields: Record<string, string>): string {
  const terms = Object.entries(fields).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new Error(`log field ${JSON.stringify(k)} is not a plain key`);
    if (/["\\]/.test(v)) throw new Error(`log value ${JSON.stringify(v)} cannot hold a quote or backslash`);
    return `$.${k} = "${v}"`;
  });
  if (terms.length === 0) throw new Error("jsonLogPattern needs at least one field");
  return `{ ${terms.join(" && ")} }`;
}

/** Whether CloudWatch Logs counts `line` under {@link jsonLogPattern}`(fields)`: a JSON event holding every value. */
export function matchesJsonLogPattern(fields: Record<string, string>, line: string): boolean {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof event !== "object" || event === null) return false;
  const e = event as Record<string, unknown>;
  return Object.entries(fields).every(([k, v]) => e[k] === v);
}

/** Where a topic's publishers live: this account, this region. */
export interface PublisherScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** Services that may publish to an alarm topic, each only on behalf of this account's resources. */
export const ALARM_TOPIC_PUBLISHERS = {
  alarms: {
    sid: "Alarms",
    service: "cloudwatch.amazonaws.com",
    source: (s: PublisherScope) => `arn:${s.partition}:cloudwatch:${s.region}:${s.account}:alarm:*`,
  },
  eventRules: {
    sid: "EventRules",
    service: "events.amazonaws.com",
    source: (s: PublisherScope) => `arn:${s.partition}:events:${s.region}:${s.account}:rule/*`,
  },
} as const;
export type AlarmTopicPublisher = keyof typeof ALARM_TOPIC_PUBLISHERS;

/**
 * Key policy: the account administers the key through IAM (without that statement no IAM policy could
 * grant use of it), and the publishing services may use it to encrypt what they publish. No condition
 * here, as AWS documents the statement: CloudWatch's publish is known to fail under a caller-account
 * condition, and the topic policy already decides who may publish. A topic under the AWS-managed
 * `alias/aws/sns` key cannot take alarms: its key policy cannot be changed to let CloudWatch encrypt.
 */
export function alarmTopicKeyPolicy(s: PublisherScope, publishers: readonly AlarmTopicPublisher[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${s.partition}:iam::${s.account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      ...publishers
        .map((k) => ALARM_TOPIC_PUBLISHERS[k])
        .map((p) => ({
          Sid: `${p.sid}EncryptForTopic`,
          Effect: "Allow",
          Principal: { Service: p.service },
          Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
          Resource: "*",
        })),
    ],
  });
}

/** Topic policy: the publishers' resources of this account and region may publish; nothing else is opened. */
export function alarmTopicPolicy(
  topicArn: string,
  s: PublisherScope,
  publishers: readonly AlarmTopicPublisher[],
): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: publishers
      .map((k) => ALARM_TOPIC_PUBLISHERS[k])
      .map((p) => ({
        Sid: `${p.sid}Publish`,
        Effect: "Allow",
        Principal: { Service: p.service },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": s.account },
          ArnLike: { "aws:SourceArn": p.source(s) },
        },
      })),
  });
}

export interface AlarmTopicArgs {
  /** Physical topic name (alarms name their actions by ARN, so it is fixed). */
  readonly topicName: string;
  /** Addresses and endpoints subscribed; each confirms once, from the message SNS sends. */
  readonly emails?: readonly string[];
  readonly httpsEndpoints?: readonly string[];
  /** Who may publish (default CloudWatch alarms only). */
  readonly publishers?: readonly AlarmTopicPublisher[];
  readonly tags?: Record<string, string>;
}

/**
 * An SNS topic alarms can notify: encrypted under its own rotated KMS key that CloudWatch may use,
 * publishable only by this account's alarms (and, if asked, EventBridge rules) in its region, with
 * email and HTTPS subscriptions. Alarms notify only topics of their own region.
 */
export class AlarmTopic extends pulumi.ComponentResource {
  public readonly key: aws.kms.Key;
  public readonly topic: aws.sns.Topic;
  public readonly arn: pulumi.Output<string>;
  public readonly subscriptions: aws.sns.TopicSubscription[];

  constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:core:AlarmTopic", name, {}, opts);
    const publishers = args.publishers ?? ["alarms"];
    const parent = { parent: this };
    const scope = pulumi
      .all([
        aws.getPartitionOutput({}, parent).partition,
        aws.getRegionOutput({}, parent).region,
        aws.getCallerIdentityOutput({}, parent).accountId,
      ])
      .apply(([partition, region, account]) => ({ partition, region, account }));

    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts ${args.topicName}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: scope.apply((s) => alarmTopicKeyPolicy(s, publishers)),
        tags: args.tags,
      },
      parent,
    );
    new aws.kms.Alias(
      `${name}-key-alias`,
      { name: `alias/${args.topicName}`, targetKeyId: this.key.keyId },
      parent,
    );
    this.topic = new aws.sns.Topic(
      name,
      { name: args.topicName, kmsMasterKeyId: this.key.arn, tags: args.tags },
      parent,
    );
    new aws.sns.TopicPolicy(
      `${name}-policy`,
      {
        arn: this.topic.arn,
        policy: pulumi.all([this.topic.arn, scope]).apply(([arn, s]) => alarmTopicPolicy(arn, s, publishers)),
      },
      parent,
    );
    // Email and HTTPS subscriptions stay pending until their owner confirms them from the message SNS
    // sends. Named by their endpoint, so reordering the config replaces none (and re-asks nobody).
    const endpointKey = (e: string) => createHash("sha256").update(e).digest("hex").slice(0, 12);
    this.subscriptions = [
      ...(args.emails ?? []).map((endpoint) => ({ protocol: "email", endpoint })),
      ...(args.httpsEndpoints ?? []).map((endpoint) => ({ protocol: "https", endpoint })),
    ].map(
      (s) =>
        new aws.sns.TopicSubscription(
          `${name}-${s.protocol}-${endpointKey(s.endpoint)}`,
          { topic: this.topic.arn, protocol: s.protocol, endpoint: s.endpoint },
          parent,
        ),
    );
    this.arn = this.topic.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
