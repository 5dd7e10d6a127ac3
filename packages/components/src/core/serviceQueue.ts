import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Env, type Deployment } from "@sec-an/contracts";
import { checkAlarmActions, type AlarmActions } from "./alarms";
import { DeadLetterRecorder } from "./deadLetterRecorder";
import { sqsEventSource, type SqsEventSource } from "./eventSource";
import type { PolicyStatement } from "./iam";
import type { LambdaFunction } from "./lambdaFunction";
import { checkQueueName, DAY, visibilityForConsumer } from "./names";
import { senderQueuePolicy, type QueueSenders } from "./queuePolicy";

export interface ServiceQueueArgs {
  readonly deployment: Deployment;
  /** Physical queue name (default: the component name); the DLQ is `<queueName>-dlq`. */
  readonly queueName?: string;
  /** Timeout (s) of the Lambda that consumes the queue: visibility = 6 × it (default consumer timeout 30 s). */
  readonly consumerTimeout?: number;
  /** Explicit visibility timeout for non-Lambda consumers; exclusive with `consumerTimeout`. */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the DLQ (default 3, at most 5). */
  readonly maxReceiveCount?: number;
  /** Seconds (default 4 days; the DLQ keeps 14). */
  readonly messageRetentionSeconds?: number;
  /** Delivery delay for every message, 0..900 s. */
  readonly delaySeconds?: number;
  /** SNS topics allowed to deliver to this queue (each only on its own behalf). */
  readonly snsTopicArns?: readonly pulumi.Input<string>[];
  /** Services that deliver straight to the DLQ (e.g. an EventBridge rule whose target dead-letters there). */
  readonly deadLetterSenders?: QueueSenders;
  /** Dead-letter bucket ARN for the DLQ's recorder (default: shared-infra's SSM export). */
  readonly deadLetterBucketArn?: pulumi.Input<string>;
  /** Targets of the DLQ's alarms (default the deployment's notifications topic; see DeadLetterRecorder). */
  readonly deadLetterAlarmActions?: AlarmActions;
  /** Recorder handler override (tests, custom recorders). */
  readonly deadLetterHandlerEntry?: string;
  readonly tags?: Record<string, string>;
}

export interface EventSourceOptions {
  readonly batchSize?: number;
  readonly maximumBatchingWindowInSeconds?: number;
  readonly maximumConcurrency?: number;
}

/** Checked settings of a queue (throws naming the bad argument). */
export function queueSettings(name: string, args: ServiceQueueArgs) {
  const queueName = checkQueueName(args.queueName ?? name);
  checkQueueName(`${queueName}-dlq`);
  checkAlarmActions(args.deadLetterAlarmActions);
  if (args.consumerTimeout !== undefined && args.visibilityTimeoutSeconds !== undefined) {
    throw new Error("only one of consumerTimeout or visibilityTimeoutSeconds can be given");
  }
  const visibilityTimeoutSeconds =
    args.visibilityTimeoutSeconds ?? visibilityForConsumer(args.consumerTimeout ?? 30);
  if (
    !Number.isInteger(visibilityTimeoutSeconds) ||
    visibilityTimeoutSeconds < 0 ||
    visibilityTimeoutSeconds > 43200
  ) {
    throw new Error(`visibilityTimeoutSeconds must be 0..43200, got ${visibilityTimeoutSeconds}`);
  }
  const maxReceiveCount = args.maxReceiveCount ?? 3;
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 5) {
    throw new Error(`maxReceiveCount must be 1..5, got ${maxReceiveCount}`);
  }
  const delaySeconds = args.delaySeconds;
  if (
    delaySeconds !== undefined &&
    (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900)
  ) {
    throw new Error(`delaySeconds must be 0..900, got ${delaySeconds}`);
  }
  return { queueName, visibilityTimeoutSeconds, maxReceiveCount, delaySeconds };
}

/** Redrive policy JSON: after `maxReceiveCount` receives a message moves to the DLQ. */
export function redrivePolicy(deadLetterTargetArn: string, maxReceiveCount: number): string {
  return JSON.stringify({ deadLetterTargetArn, maxReceiveCount });
}

/**
 * An encrypted work queue whose failures are never lost: after `maxReceiveCount` receives a message
 * moves to a {@link DeadLetterRecorder} DLQ, which files it to the dead-letter bucket.
 */
export class ServiceQueue extends pulumi.ComponentResource {
  public readonly queue: aws.sqs.Queue;
  public readonly queuePolicy?: aws.sqs.QueuePolicy;
  public readonly deadLetters: DeadLetterRecorder;
  public readonly arn: pulumi.Output<string>;
  public readonly url: pulumi.Output<string>;
  public readonly name: pulumi.Output<string>;
  public readonly queueName: string;
  public readonly visibilityTimeoutSeconds: number;
  /** Receives before SQS redrives a message to the DLQ. */
  public readonly maxReceiveCount: number;
  /**
   * What a consuming function's environment must hold (pass it at construction): the DLQ URL and the
   * maxReceiveCount, so the handler dead-letters a record itself on its last attempt, with the error,
   * instead of leaving SQS to redrive it without a reason. Checked by {@link eventSource}.
   */
  public readonly consumerEnvironment: Readonly<Record<string, pulumi.Input<string>>>;
  private readonly componentName: string;

  constructor(name: string, args: ServiceQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything, so bad args never leave a half-built component behind.
    const { queueName, visibilityTimeoutSeconds, maxReceiveCount, delaySeconds } = queueSettings(name, args);
    super("sec-an:core:ServiceQueue", name, {}, opts);
    this.componentName = name;
    this.queueName = queueName;
    this.visibilityTimeoutSeconds = visibilityTimeoutSeconds;
    this.maxReceiveCount = maxReceiveCount;
    const parent = { parent: this };

    this.deadLetters = new DeadLetterRecorder(
      `${name}-dlq`,
      {
        deployment: args.deployment,
        queueName: `${this.queueName}-dlq`,
        bucketArn: args.deadLetterBucketArn,
        handlerEntry: args.deadLetterHandlerEntry,
        alarmActions: args.deadLetterAlarmActions,
        ...args.deadLetterSenders,
        tags: args.tags,
      },
      parent,
    );
    this.queue = new aws.sqs.Queue(
      name,
      {
        name: this.queueName,
        sqsManagedSseEnabled: true,
        messageRetentionSeconds: args.messageRetentionSeconds ?? 4 * DAY,
        visibilityTimeoutSeconds: this.visibilityTimeoutSeconds,
        delaySeconds,
        redrivePolicy: this.deadLetters.arn.apply((arn) => redrivePolicy(arn, maxReceiveCount)),
        tags: args.tags,
      },
      parent,
    );
    this.queuePolicy = senderQueuePolicy(
      `${name}-policy`,
      this.queue,
      { snsTopicArns: args.snsTopicArns },
      parent,
    );

    this.arn = this.queue.arn;
    this.url = this.queue.url;
    this.name = this.queue.name;
    this.consumerEnvironment = {
      [Env.deadLetterQueueUrl]: this.deadLetters.url,
      [Env.maxReceiveCount]: String(maxReceiveCount),
    };
    this.registerOutputs({
      queue: this.queue,
      deadLetters: this.deadLetters,
      arn: this.arn,
      url: this.url,
      name: this.name,
    });
  }

  /** The statement letting a consumer send failed records to this queue's DLQ, and nowhere else. */
  public deadLetterStatement(sid = "DeadLetterFailures"): pulumi.Output<PolicyStatement> {
    return this.deadLetters.arn.apply((arn) => ({ Sid: sid, Action: "sqs:SendMessage", Resource: arn }));
  }

  /**
   * Lets `fn` consume this queue with partial batch failures; grants it exactly the consume actions on
   * this queue. Refuses a function whose timeout the queue's visibility timeout does not cover 6 times,
   * or that was not built with this queue's {@link consumerEnvironment} (its dead letters would lose
   * their reason). The function's own statements grant {@link deadLetterStatement}.
   */
  public eventSource(fn: LambdaFunction, options: EventSourceOptions = {}): SqsEventSource {
    const needed = 6 * fn.timeout;
    if (this.visibilityTimeoutSeconds < needed) {
      throw new Error(
        `${this.queueName}: visibility timeout ${this.visibilityTimeoutSeconds}s is under 6 × ${fn.functionName} timeout = ${needed}s; set consumerTimeout: ${fn.timeout}`,
      );
    }
    for (const [k, v] of Object.entries(this.consumerEnvironment)) {
      if (fn.environment[k] !== v)
        throw new Error(
          `${fn.functionName} must be built with ${this.queueName}'s consumerEnvironment (${k}) to consume it`,
        );
    }
    return sqsEventSource(
      `${this.componentName}-to-${fn.functionName}`,
      { queueArn: this.arn, function: fn, ...options },
      { parent: this },
    );
  }
}
