import * as pulumi from "@pulumi/pulumi";
import type { Deployment } from "@sec-an/contracts";
import type { SqsEventSource } from "./eventSource";
import { LambdaFunction } from "./lambdaFunction";
import type { ServiceQueue } from "./serviceQueue";

/** Environment variable naming the topic the glue publishes to (an ARN, not a secret). */
export const GLUE_TOPIC_ENV = "SEC_AN_GLUE_TOPIC_ARN";

export interface SqsSnsGlueArgs {
  readonly deployment: Deployment;
  /** The queue to drain (its visibility timeout must cover 6 × the glue's timeout). */
  readonly queue: ServiceQueue;
  readonly topicArn: pulumi.Input<string>;
  /** Seconds (default 30). */
  readonly timeout?: number;
  readonly batchSize?: number;
  /** Glue handler override (tests); default the runtime's `sqs-sns-glue`. */
  readonly handlerEntry?: string;
  readonly tags?: Record<string, string>;
}

export function defaultGlueEntry(): string {
  return require.resolve("@sec-an/runtime/handlers/sqs-sns-glue");
}

/**
 * Forwards every message of a queue to a topic (SQS cannot fan out to SNS natively; this is what
 * lets a delay queue feed the scan-initiator topic). A record SNS can never accept goes to the queue's
 * DLQ at once with its reason; a failed forward is retried, and on its last attempt dead-lettered with
 * the error, so the glue may send to that DLQ only.
 */
export class SqsSnsGlue extends pulumi.ComponentResource {
  public readonly function: LambdaFunction;
  public readonly eventSource: SqsEventSource;

  constructor(name: string, args: SqsSnsGlueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:core:SqsSnsGlue", name, {}, opts);
    const timeout = args.timeout ?? 30;
    // Checked before anything is created (eventSource checks it again), so a bad timeout builds nothing.
    const visibility = args.queue.visibilityTimeoutSeconds;
    if (visibility < 6 * timeout) {
      throw new Error(`queue visibility timeout ${visibility}s is under 6 × glue timeout ${timeout}s`);
    }
    this.function = new LambdaFunction(
      `${name}-function`,
      {
        entry: args.handlerEntry ?? defaultGlueEntry(),
        description: "Forwards SQS messages to an SNS topic",
        timeout,
        deployment: args.deployment,
        environment: { [GLUE_TOPIC_ENV]: args.topicArn, ...args.queue.consumerEnvironment },
        statements: [
          { Sid: "PublishToTopic", Action: "sns:Publish", Resource: args.topicArn },
          args.queue.deadLetterStatement(),
        ],
        tags: args.tags,
      },
      { parent: this },
    );
    this.eventSource = args.queue.eventSource(this.function, { batchSize: args.batchSize ?? 10 });
    this.registerOutputs({ function: this.function });
  }
}
