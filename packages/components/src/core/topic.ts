import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ServiceQueue } from "./serviceQueue";

export interface TopicArgs {
  /** Physical topic name (default: auto-named from the component name). */
  readonly topicName?: string;
  /** Role SNS uses to log SQS/Lambda delivery status (shared-infra's `snsLoggingRoleArn`). */
  readonly deliveryLoggingRoleArn?: pulumi.Input<string>;
  /** Percentage of successful deliveries logged (default 5, as the original). */
  readonly successSampleRate?: number;
  readonly tags?: Record<string, string>;
}

export interface QueueSubscriptionOptions {
  /** Filter on message attributes (`filterPolicyScope` MessageAttributes). */
  readonly filterPolicy?: pulumi.Input<Record<string, unknown>>;
  /** Deliver the message body as-is (default true): consumers parse our JSON, not the SNS envelope. */
  readonly rawMessageDelivery?: boolean;
}

/** An SNS topic encrypted with the AWS-managed SNS key, optionally logging delivery status. */
export class Topic extends pulumi.ComponentResource {
  public readonly topic: aws.sns.Topic;
  public readonly arn: pulumi.Output<string>;
  private readonly componentName: string;

  constructor(name: string, args: TopicArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:core:Topic", name, {}, opts);
    this.componentName = name;
    const logging = args.deliveryLoggingRoleArn;
    const rate = args.successSampleRate ?? 5;
    this.topic = new aws.sns.Topic(
      name,
      {
        name: args.topicName,
        kmsMasterKeyId: "alias/aws/sns",
        ...(logging !== undefined
          ? {
              sqsSuccessFeedbackRoleArn: logging,
              sqsFailureFeedbackRoleArn: logging,
              sqsSuccessFeedbackSampleRate: rate,
              lambdaSuccessFeedbackRoleArn: logging,
              lambdaFailureFeedbackRoleArn: logging,
              lambdaSuccessFeedbackSampleRate: rate,
            }
          : {}),
        tags: args.tags,
      },
      { parent: this },
    );
    this.arn = this.topic.arn;
    this.registerOutputs({ topic: this.topic, arn: this.arn });
  }

  /**
   * Subscribes a queue (a ServiceQueue, or the ARN of one in another stack). The queue must allow this
   * topic to send (ServiceQueue `snsTopicArns`); for a ServiceQueue the subscription waits for that
   * policy. `key` names the subscription (`<topic>-to-<key>`).
   */
  public subscribeQueue(
    key: string,
    queue: ServiceQueue | pulumi.Input<string>,
    options: QueueSubscriptionOptions = {},
  ): aws.sns.TopicSubscription {
    return queueSubscription(`${this.componentName}-to-${key}`, this.topic.arn, queue, options, {
      parent: this,
    });
  }
}

/**
 * An SQS subscription of a topic (by ARN, possibly another stack's). For a ServiceQueue it waits for
 * the queue's policy: SNS confirms an SQS subscription only once the queue lets the topic send.
 */
export function queueSubscription(
  name: string,
  topicArn: pulumi.Input<string>,
  queue: ServiceQueue | pulumi.Input<string>,
  options: QueueSubscriptionOptions,
  opts: pulumi.CustomResourceOptions,
): aws.sns.TopicSubscription {
  const isQueue = queue instanceof ServiceQueue;
  return new aws.sns.TopicSubscription(
    name,
    {
      topic: topicArn,
      protocol: "sqs",
      endpoint: isQueue ? queue.arn : queue,
      rawMessageDelivery: options.rawMessageDelivery ?? true,
      filterPolicy:
        options.filterPolicy !== undefined
          ? pulumi.output(options.filterPolicy).apply((p) => JSON.stringify(p))
          : undefined,
      filterPolicyScope: options.filterPolicy !== undefined ? "MessageAttributes" : undefined,
    },
    { ...opts, dependsOn: isQueue && queue.queuePolicy ? [queue.queuePolicy] : [] },
  );
}
