import * as pulumi from "@pulumi/pulumi";
import type { Deployment } from "@sec-an/contracts";
import { sqsEventSource, type SqsEventSource } from "./eventSource";
import { LambdaFunction } from "./lambdaFunction";

/** Environment variable naming the topic the glue publishes to (an ARN, not a secret). */
export const GLUE_TOPIC_ENV = "SEC_AN_GLUE_TOPIC_ARN";

export interface SqsSnsGlueArgs {
  readonly deployment: Deployment;
  /** The queue to drain; pass a ServiceQueue to have its visibility timeout checked against the glue's timeout. */
  readonly queue: { readonly arn: pulumi.Input<string>; readonly visibilityTimeoutSeconds?: number };
  readonly topicArn: pulumi.Input<string>;
  /** Seconds (default 30). */
  readonly timeout?: number;
  readonly batchSize?: number;
  /** Glue handler override (tests); default the runtime's `sqs-sns-glue`. */
  readonly handlerEntry?: string;
  readonly tags?: Record<string, string>;
}

export function defaultGlueEntry(): string {
  return require.resolve("@sec-an/runtime/src/handlers/sqs-sns-glue");
}

/**
 * Forwards every message of a queue to a topic (SQS cannot fan out to SNS natively; this is what
 * lets a delay queue feed the scan-initiator topic). Failed forwards stay on the queue and end in its DLQ.
 */
export class SqsSnsGlue extends pulumi.ComponentResource {
  public readonly function: LambdaFunction;
  public readonly eventSource: SqsEventSource;

  constructor(name: string, args: SqsSnsGlueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:core:SqsSnsGlue", name, {}, opts);
    const timeout = args.timeout ?? 30;
    const visibility = args.queue.visibilityTimeoutSeconds;
    if (visibility !== undefined && visibility < 6 * timeout) {
      throw new Error(`queue visibility timeout ${visibility}s is under 6 × glue timeout ${timeout}s`);
    }
    this.function = new LambdaFunction(
      `${name}-function`,
      {
        entry: args.handlerEntry ?? defaultGlueEntry(),
        description: "Forwards SQS messages to an SNS topic",
        timeout,
        deployment: args.deployment,
        environment: { [GLUE_TOPIC_ENV]: args.topicArn },
        statements: [{ Sid: "PublishToTopic", Action: "sns:Publish", Resource: args.topicArn }],
        tags: args.tags,
      },
      { parent: this },
    );
    this.eventSource = sqsEventSource(
      `${name}-source`,
      { queueArn: args.queue.arn, function: this.function, batchSize: args.batchSize ?? 10 },
      { parent: this },
    );
    this.registerOutputs({ function: this.function });
  }
}
