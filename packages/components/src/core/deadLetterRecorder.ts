import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Params, type Deployment } from "@sec-an/contracts";
import {
  alarmTargets,
  checkAlarmActions,
  deadLetterAlarm,
  metricAlarm,
  stuckDeadLettersAlarm,
  type AlarmActions,
} from "./alarms";
import { sqsEventSource } from "./eventSource";
import { LambdaFunction } from "./lambdaFunction";
import { checkQueueName, DLQ_RETENTION_SECONDS, visibilityForConsumer } from "./names";
import { senderQueuePolicy, type QueueSenders } from "./queuePolicy";
import { ssmParam, ssmReadStatement } from "./ssm";

export interface DeadLetterRecorderArgs extends QueueSenders {
  readonly deployment: Deployment;
  /** Physical queue name (default: the component name); dead letters are filed under it in the bucket. */
  readonly queueName?: string;
  /** Dead-letter bucket ARN (default: read from shared-infra's SSM export at deploy time). */
  readonly bucketArn?: pulumi.Input<string>;
  /** Recorder handler (default: the runtime's `dead-letter-recorder`); for tests and custom recorders. */
  readonly handlerEntry?: string;
  /**
   * Alarm targets (SNS topic ARNs; default the deployment's notifications topic). One alarm fires on
   * any dead letter, another when one waits longer than `stuckAfterSeconds` (default 3600): the
   * recorder normally drains the queue in seconds, so an old message means recording itself fails.
   */
  readonly alarmActions?: AlarmActions;
  readonly stuckAfterSeconds?: number;
  /** Recorder timeout in seconds (default 30). */
  readonly timeout?: number;
  readonly tags?: Record<string, string>;
}

/** Path of the runtime's recorder handler, resolved when first needed. */
export function defaultRecorderEntry(): string {
  return require.resolve("@sec-an/runtime/handlers/dead-letter-recorder");
}

/**
 * A dead-letter queue whose every message is filed to the dead-letter bucket by a recorder Lambda
 * (one object per dead letter, under the queue's name). The queue keeps messages 14 days and has no
 * redrive of its own: a message the recorder cannot file stays in the queue, never loops.
 */
export class DeadLetterRecorder extends pulumi.ComponentResource {
  public readonly queue: aws.sqs.Queue;
  public readonly queuePolicy?: aws.sqs.QueuePolicy;
  public readonly recorder: LambdaFunction;
  public readonly mapping: aws.lambda.EventSourceMapping;
  /** Fires on any dead letter, waiting or recorded. */
  public readonly alarm: aws.cloudwatch.MetricAlarm;
  public readonly stuckAlarm: aws.cloudwatch.MetricAlarm;
  public readonly arn: pulumi.Output<string>;
  public readonly url: pulumi.Output<string>;
  public readonly name: pulumi.Output<string>;
  /** Physical queue name, known at construction. */
  public readonly queueName: string;

  constructor(name: string, args: DeadLetterRecorderArgs, opts?: pulumi.ComponentResourceOptions) {
    checkAlarmActions(args.alarmActions);
    super("sec-an:core:DeadLetterRecorder", name, {}, opts);
    this.queueName = checkQueueName(args.queueName ?? name);
    const timeout = args.timeout ?? 30;
    const parent = { parent: this };

    this.queue = new aws.sqs.Queue(
      name,
      {
        name: this.queueName,
        sqsManagedSseEnabled: true,
        messageRetentionSeconds: DLQ_RETENTION_SECONDS,
        visibilityTimeoutSeconds: visibilityForConsumer(timeout),
        // Marks the queue as a dead-letter queue (SQS's default, stated so tools and policies see it).
        redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }),
        tags: args.tags,
      },
      parent,
    );
    this.queuePolicy = senderQueuePolicy(`${name}-policy`, this.queue, args, parent);

    const bucketArn = args.bucketArn ?? ssmParam(args.deployment, Params.deadLettersBucketArn, parent);
    this.recorder = new LambdaFunction(
      `${name}-recorder`,
      {
        entry: args.handlerEntry ?? defaultRecorderEntry(),
        description: `Files dead letters of ${this.queueName} to the dead-letter bucket`,
        timeout,
        deployment: args.deployment,
        statements: [
          // The recorder files each dead letter under its queue's name: it may write that prefix only.
          {
            Sid: "FileDeadLetters",
            Action: "s3:PutObject",
            Resource: pulumi.interpolate`${bucketArn}/${this.queueName}/*`,
          },
          // It reads the bucket name late, from shared-infra's export.
          ssmReadStatement(args.deployment, [Params.deadLettersBucketName], parent),
        ],
        tags: args.tags,
      },
      parent,
    );
    this.mapping = sqsEventSource(
      `${name}-records`,
      { queueArn: this.queue.arn, function: this.recorder, batchSize: 10 },
      parent,
    ).mapping;

    const actions = alarmTargets(args.deployment, args.alarmActions, parent);
    this.alarm = metricAlarm(`${name}-alarm`, deadLetterAlarm(this.queue.name), actions, args.tags, parent);
    this.stuckAlarm = metricAlarm(
      `${name}-stuck`,
      stuckDeadLettersAlarm(this.queue.name, args.stuckAfterSeconds ?? 3600),
      actions,
      args.tags,
      parent,
    );
    this.arn = this.queue.arn;
    this.url = this.queue.url;
    this.name = this.queue.name;
    this.registerOutputs({
      queue: this.queue,
      recorder: this.recorder,
      arn: this.arn,
      url: this.url,
      name: this.name,
    });
  }
}
