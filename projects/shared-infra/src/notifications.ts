/**
 * The platform notifications topic: every alarm of every project notifies it (components derive its
 * ARN from its name, `notificationsTopicName`), and people subscribe by email or HTTPS from stack config.
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface NotificationsArgs {
  /** Physical topic name: `notificationsTopicName(deployment)`, the name alarms publish to. */
  readonly topicName: string;
  readonly emails: readonly string[];
  readonly httpsEndpoints: readonly string[];
  readonly tags?: Record<string, string>;
}

/** Services that publish to the topic: CloudWatch alarms and EventBridge rules of this account only. */
export interface PublisherScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

const PUBLISHERS = [
  {
    sid: "Alarms",
    service: "cloudwatch.amazonaws.com",
    source: (s: PublisherScope) => `arn:${s.partition}:cloudwatch:${s.region}:${s.account}:alarm:*`,
  },
  {
    sid: "EventRules",
    service: "events.amazonaws.com",
    source: (s: PublisherScope) => `arn:${s.partition}:events:${s.region}:${s.account}:rule/*`,
  },
] as const;

/**
 * Key policy: the account administers the key through IAM (without that statement no IAM policy could
 * grant use of it), and the publishing services may use it to encrypt what they publish. No condition
 * here, as AWS documents the statement: CloudWatch's publish is known to fail under a caller-account
 * condition, and the topic policy already decides who may publish. A topic under the AWS-managed
 * `alias/aws/sns` key cannot take alarms: its key policy cannot be changed to let CloudWatch encrypt.
 */
export function notificationsKeyPolicy(s: PublisherScope): string {
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
      ...PUBLISHERS.map((p) => ({
        Sid: `${p.sid}EncryptForTopic`,
        Effect: "Allow",
        Principal: { Service: p.service },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
      })),
    ],
  });
}

/** Topic policy: alarms and rules of this account may publish, nothing else is opened. */
export function notificationsTopicPolicy(topicArn: string, s: PublisherScope): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: PUBLISHERS.map((p) => ({
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

export class Notifications extends pulumi.ComponentResource {
  public readonly key: aws.kms.Key;
  public readonly topic: aws.sns.Topic;
  public readonly arn: pulumi.Output<string>;
  public readonly subscriptions: aws.sns.TopicSubscription[];

  constructor(name: string, args: NotificationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:shared:Notifications", name, {}, opts);
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
        policy: scope.apply(notificationsKeyPolicy),
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
        policy: pulumi.all([this.topic.arn, scope]).apply(([arn, s]) => notificationsTopicPolicy(arn, s)),
      },
      parent,
    );
    // Email and HTTPS subscriptions stay pending until their owner confirms them from the message SNS
    // sends. Named by their endpoint, so reordering the config replaces none (and re-asks nobody).
    const endpointKey = (e: string) => createHash("sha256").update(e).digest("hex").slice(0, 12);
    this.subscriptions = [
      ...args.emails.map((endpoint) => ({ protocol: "email", endpoint })),
      ...args.httpsEndpoints.map((endpoint) => ({ protocol: "https", endpoint })),
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
