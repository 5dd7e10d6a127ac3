import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./iam";
import type { LambdaFunction } from "./lambdaFunction";

export interface SqsEventSourceArgs {
  readonly queueArn: pulumi.Input<string>;
  readonly function: LambdaFunction;
  /** 1..10 000 (default 10). Above 10 a batching window of at least 1 s is required by Lambda. */
  readonly batchSize?: number;
  readonly maximumBatchingWindowInSeconds?: number;
  /** Cap on concurrent invocations from this queue (2..1000). */
  readonly maximumConcurrency?: number;
}

export interface SqsEventSource {
  readonly grant: aws.iam.RolePolicy;
  readonly mapping: aws.lambda.EventSourceMapping;
}

/** Actions Lambda's poller needs on the source queue, and nothing else. */
export const SQS_CONSUME_ACTIONS = [
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:GetQueueAttributes",
  "sqs:ChangeMessageVisibility",
];

export function checkBatching(batchSize: number, window: number | undefined): void {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10000)
    throw new Error(`batchSize must be 1..10000, got ${batchSize}`);
  if (batchSize > 10 && !(window !== undefined && window >= 1)) {
    throw new Error(`batchSize ${batchSize} > 10 needs maximumBatchingWindowInSeconds >= 1`);
  }
  if (window !== undefined && (!Number.isInteger(window) || window < 0 || window > 300)) {
    throw new Error(`maximumBatchingWindowInSeconds must be 0..300, got ${window}`);
  }
}

/**
 * SQS → Lambda with partial batch failures (one bad record never fails its siblings; handlers use
 * Powertools BatchProcessor). The consume grant is its own role policy, created before the mapping
 * because Lambda checks the role's permissions when the mapping is created.
 */
export function sqsEventSource(
  name: string,
  args: SqsEventSourceArgs,
  opts: pulumi.CustomResourceOptions,
): SqsEventSource {
  const batchSize = args.batchSize ?? 10;
  checkBatching(batchSize, args.maximumBatchingWindowInSeconds);
  const grant = new aws.iam.RolePolicy(
    `${name}-consume`,
    {
      role: args.function.role.id,
      policy: policyDocument([{ Sid: "ConsumeQueue", Action: SQS_CONSUME_ACTIONS, Resource: args.queueArn }]),
    },
    opts,
  );
  const mapping = new aws.lambda.EventSourceMapping(
    name,
    {
      eventSourceArn: args.queueArn,
      functionName: args.function.arn,
      batchSize,
      maximumBatchingWindowInSeconds: args.maximumBatchingWindowInSeconds,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig:
        args.maximumConcurrency !== undefined ? { maximumConcurrency: args.maximumConcurrency } : undefined,
    },
    { ...opts, dependsOn: [grant] },
  );
  return { grant, mapping };
}
