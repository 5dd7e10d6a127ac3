import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { taskParams } from "@sec-an/contracts";
import {
  ssmReadStatement,
  type DeadLetterRecorder,
  type LambdaFunction,
  type LambdaFunctionArgs,
  type PolicyStatement,
  type ServiceQueue,
  type SsmExports,
  type Statements,
  type Topic,
} from "../core";
import {
  checkTaskSubscriptions,
  checkTimeout,
  createTaskFunctions,
  createTaskStorage,
  type TaskCommonArgs,
} from "./core";
import { putRawStatement } from "./statements";

export interface TaskArgs extends TaskCommonArgs {
  /** Absolute path of the scan entry (`export const handler = makeScanHandler({...})`). */
  readonly scanEntry: string;
  /** Scan Lambda timeout in seconds (default 120, as the original). */
  readonly scanTimeout?: number;
  /** Scan Lambda memory in MB (default 512). */
  readonly scanMemory?: number;
  /** Requests per scan invocation, 1..10 (default 1: a scan is long, and one request per call isolates failures). */
  readonly scanBatchSize?: number;
  /** Extra permissions of the scan function. */
  readonly scanStatements?: Statements;
  readonly scanEnvironment?: Record<string, pulumi.Input<string>>;
  /** Run the scan Lambda in a VPC (to reach private targets); the subnets need a route to S3 and SQS. */
  readonly scanVpcConfig?: LambdaFunctionArgs["vpcConfig"];
}

/**
 * A scanner that runs in Lambda: task queue (with recorded dead letters) → scan Lambda → raw-results
 * bucket → results parser → results topic, optionally fed by the scan-initiator topic and feeding the
 * analytics ingest queue, with the task's SSM exports. A scanner author writes only `scan` and `parse`.
 */
export class Task extends pulumi.ComponentResource {
  public readonly queue: ServiceQueue;
  public readonly bucket: aws.s3.Bucket;
  public readonly topic: Topic;
  public readonly scanFunction: LambdaFunction;
  public readonly parserFunction: LambdaFunction;
  public readonly parserDeadLetters: DeadLetterRecorder;
  public readonly ingestSubscription?: aws.sns.TopicSubscription;
  public readonly scanInitiatorSubscription?: aws.sns.TopicSubscription;
  /** The task queue's subscriptions by name (`subscribeTo`, and `scan-initiator`). */
  public readonly subscriptions: Record<string, aws.sns.TopicSubscription>;
  public readonly params: SsmExports<string>;

  constructor(name: string, args: TaskArgs, opts?: pulumi.ComponentResourceOptions) {
    checkTaskSubscriptions(args);
    super("sec-an:task:Task", name, {}, opts);
    const timeout = checkTimeout("scanTimeout", args.scanTimeout ?? 120);
    const batchSize = args.scanBatchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10)
      throw new Error(`scanBatchSize must be 1..10, got ${batchSize}`);

    const storage = createTaskStorage(name, args, timeout, this);
    const fns = createTaskFunctions(
      name,
      args,
      storage,
      {
        entry: args.scanEntry,
        timeout,
        memorySize: args.scanMemory ?? 512,
        batchSize,
        description: `Runs ${args.task} scans from its task queue`,
        environment: args.scanEnvironment ?? {},
        vpcConfig: args.scanVpcConfig,
        statements: [
          // makeScanHandler reads the bucket name late when RESULTS_BUCKET is not set.
          ssmReadStatement(args.deployment, [taskParams(args.task).resultsBucketName], {
            parent: this,
          }),
          storage.bucket.arn.apply((arn): PolicyStatement => putRawStatement(arn, args.task)),
          // Requests that can never succeed, and those failing on their last attempt, go to the task DLQ
          // with their reason (makeScanHandler; the queue's consumer environment names it).
          storage.queue.deadLetterStatement("DeadLetterFailures"),
          ...(args.scanStatements ?? []),
        ],
      },
      this,
    );
    this.queue = storage.queue;
    this.bucket = storage.bucket;
    this.topic = storage.topic;
    this.scanFunction = fns.scan;
    this.parserFunction = fns.parser;
    this.parserDeadLetters = fns.parserDeadLetters;
    this.ingestSubscription = fns.ingestSubscription;
    this.scanInitiatorSubscription = fns.scanInitiatorSubscription;
    this.subscriptions = fns.subscriptions;
    this.params = fns.exports;
    this.registerOutputs({
      queueUrl: this.queue.url,
      queueArn: this.queue.arn,
      bucketName: this.bucket.bucket,
      topicArn: this.topic.arn,
      scanFunctionName: this.scanFunction.name,
      parserFunctionName: this.parserFunction.name,
    });
  }
}
