import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Env, Params, taskParams, type Deployment, type ProjectName } from "@sec-an/contracts";
import {
  DeadLetterRecorder,
  LambdaFunction,
  type LambdaFunctionArgs,
  ServiceQueue,
  SsmExports,
  type QueueSenders,
  Topic,
  queueSubscription,
  ssmParam,
  ssmReadStatement,
  type PolicyStatement,
  type Statements,
} from "../core";
import { visibilityForConsumer } from "../core/names";
import { resultsBucket, type RawRetention, type ResultsBucket } from "./bucket";
import { resultsBucketName, taskNames } from "./names";
import { getRawStatement, publishStatement } from "./statements";

const SUBSCRIPTION = /^[a-z][a-z0-9-]{0,40}$/;
/** Name of the subscription `subscribeToScanInitiator` adds. */
const SCAN_INITIATOR = "scan-initiator";

/** One SNS topic the task queue subscribes to (raw delivery). */
export interface TaskSubscription {
  /** Names the subscription resource `<component>-<name>-to-queue`: stable when the list is reordered. */
  readonly name: string;
  /** Topic ARN (often another project's SSM export). */
  readonly topic: pulumi.Input<string>;
  /** Message-attribute filter policy (`filterPolicyScope` MessageAttributes). */
  readonly filterPolicy?: Record<string, unknown>;
}

/** Arguments shared by Task and EcsTask. */
export interface TaskCommonArgs {
  readonly deployment: Deployment;
  /** Task name: names resources, SSM parameters (`/tasks/${task}/…`) and indices. */
  readonly task: string;
  /** The project that owns the task and publishes its SSM parameters. */
  readonly project: ProjectName;
  /** Absolute path of the results-parser entry (`export const handler = makeParseHandler({...})`). */
  readonly parseEntry: string;
  /** Results-parser timeout in seconds (default 60). */
  readonly parseTimeout?: number;
  readonly parseMemory?: number;
  /** Receives of a scan request before it is dead-lettered (default 3). */
  readonly maxReceiveCount?: number;
  /** Dead-letter bucket ARN (default: shared-infra's SSM export). */
  readonly deadLetterBucketArn?: pulumi.Input<string>;
  /** Dead-letter recorder handler override (default: the runtime's recorder). */
  readonly deadLetterHandlerEntry?: string;
  /** Role SNS uses to log delivery status of the results topic (shared-infra's `snsLoggingRoleArn`). */
  readonly resultsDeliveryLoggingRoleArn?: pulumi.Input<string>;
  /** Subscribe the analytics ingest queue to the results topic (raw delivery). */
  readonly subscribeToIngest?: boolean;
  /** Ingest queue ARN (default: analytics-platform's SSM export, read at deploy time). */
  readonly ingestQueueArn?: pulumi.Input<string>;
  /**
   * Topics the task queue subscribes to. The queue gets ONE policy allowing all of them: AWS keeps a
   * single policy per queue, so a second policy resource would silently cut off the first's topics.
   */
  readonly subscribeTo?: readonly TaskSubscription[];
  /** Sugar for a `subscribeTo` entry named `scan-initiator` on task-execution's scan-initiator topic. */
  readonly subscribeToScanInitiator?: boolean;
  /** Scan-initiator topic ARN (default: task-execution's SSM export, read at deploy time). */
  readonly scanInitiatorTopicArn?: pulumi.Input<string>;
  /** Message-attribute filter on the scan-initiator subscription. */
  readonly scanInitiatorFilterPolicy?: Record<string, unknown>;
  /** Extra permissions of the results parser (e.g. address-info UpdateItem). */
  readonly parseStatements?: Statements;
  readonly parseEnvironment?: Record<string, pulumi.Input<string>>;
  readonly rawRetention?: RawRetention;
  /** Physical bucket name (default `${stage}-${app}-${task}-results-${account}-${region}`). */
  readonly bucketName?: string;
  /** Let `pulumi destroy` delete a non-empty bucket (ephemeral stacks only). */
  readonly forceDestroy?: boolean;
  readonly tags?: Record<string, string>;
}

export interface TaskStorage {
  readonly names: ReturnType<typeof taskNames>;
  readonly results: ResultsBucket;
  readonly bucket: aws.s3.Bucket;
  readonly topic: Topic;
  readonly queue: ServiceQueue;
  /** Every subscription of the task queue, the scan-initiator one included. */
  readonly subscriptions: readonly TaskSubscription[];
}

/** The scan side: a Lambda that consumes the task queue (the scanner itself, or the Fargate launcher). */
export interface ScanFunctionSpec {
  readonly entry: string;
  readonly timeout: number;
  readonly memorySize?: number;
  readonly batchSize: number;
  /** Seconds the event source may wait to fill a batch (needed above 10 records). */
  readonly batchingWindowSeconds?: number;
  readonly environment: Record<string, pulumi.Input<string>>;
  readonly statements: Statements;
  readonly description: string;
  readonly vpcConfig?: LambdaFunctionArgs["vpcConfig"];
}

export interface TaskFunctions {
  readonly scan: LambdaFunction;
  readonly parser: LambdaFunction;
  readonly parserDeadLetters: DeadLetterRecorder;
  readonly ingestSubscription?: aws.sns.TopicSubscription;
  readonly scanInitiatorSubscription?: aws.sns.TopicSubscription;
  /** The task queue's subscriptions by `TaskSubscription.name`. */
  readonly subscriptions: Record<string, aws.sns.TopicSubscription>;
  readonly exports: SsmExports<string>;
}

/** Bucket, results topic and task queue (the queue's visibility follows the scan function's timeout). */
export function createTaskStorage(
  name: string,
  args: TaskCommonArgs,
  scanTimeout: number,
  parent: pulumi.Resource,
  deadLetterSenders?: QueueSenders,
  batchingWindowSeconds = 0,
): TaskStorage {
  const names = taskNames(args.deployment, args.task);
  const opts = { parent };
  const bucketName =
    args.bucketName ??
    pulumi
      .all([aws.getCallerIdentityOutput({}, opts).accountId, aws.getRegionOutput({}, opts).region])
      .apply(([account, region]) => resultsBucketName(args.deployment, args.task, account, region));
  const results = resultsBucket(
    `${name}-results`,
    { bucketName, retention: args.rawRetention, forceDestroy: args.forceDestroy, tags: args.tags },
    parent,
  );
  const topic = new Topic(
    `${name}-results-topic`,
    {
      topicName: names.resultsTopic,
      deliveryLoggingRoleArn: args.resultsDeliveryLoggingRoleArn,
      tags: args.tags,
    },
    opts,
  );
  const subscriptions = taskSubscriptions(args, opts);
  const queue = new ServiceQueue(
    `${name}-queue`,
    {
      deployment: args.deployment,
      queueName: names.taskQueue,
      // AWS's guidance: 6 × the consumer's timeout, plus the batching window a message may wait in.
      ...(batchingWindowSeconds > 0
        ? { visibilityTimeoutSeconds: visibilityForConsumer(scanTimeout) + batchingWindowSeconds }
        : { consumerTimeout: scanTimeout }),
      maxReceiveCount: args.maxReceiveCount ?? 3,
      snsTopicArns: subscriptions.map((s) => s.topic),
      deadLetterSenders,
      deadLetterBucketArn: args.deadLetterBucketArn,
      deadLetterHandlerEntry: args.deadLetterHandlerEntry,
      tags: args.tags,
    },
    opts,
  );
  return { names, results, bucket: results.bucket, topic, queue, subscriptions };
}

type SubscriptionArgs = Pick<
  TaskCommonArgs,
  | "deployment"
  | "subscribeTo"
  | "subscribeToScanInitiator"
  | "scanInitiatorTopicArn"
  | "scanInitiatorFilterPolicy"
>;

/** Throws on a bad or repeated subscription name; called before a task registers anything. */
export function checkTaskSubscriptions(args: SubscriptionArgs): void {
  const names = [
    ...(args.subscribeToScanInitiator ? [SCAN_INITIATOR] : []),
    ...(args.subscribeTo ?? []).map((s) => s.name),
  ];
  const seen = new Set<string>();
  for (const n of names) {
    if (!SUBSCRIPTION.test(n))
      throw new Error(`subscribeTo: invalid name ${JSON.stringify(n)} (lower-case letters, digits, -)`);
    if (seen.has(n))
      throw new Error(`subscribeTo: ${JSON.stringify(n)} is given twice (or with subscribeToScanInitiator)`);
    seen.add(n);
  }
}

/** The task queue's subscriptions: the scan-initiator one when its flag is set, then `subscribeTo`. */
export function taskSubscriptions(
  args: SubscriptionArgs,
  opts: pulumi.InvokeOutputOptions = {},
): TaskSubscription[] {
  checkTaskSubscriptions(args);
  // The original ignored this flag in the Lambda task; here both kinds honour it.
  const initiator: TaskSubscription[] = args.subscribeToScanInitiator
    ? [
        {
          name: SCAN_INITIATOR,
          topic: args.scanInitiatorTopicArn ?? ssmParam(args.deployment, Params.scanInitiatorTopicArn, opts),
          filterPolicy: args.scanInitiatorFilterPolicy,
        },
      ]
    : [];
  return [...initiator, ...(args.subscribeTo ?? [])];
}

/**
 * The scan function on the task queue, the results parser on the bucket's ObjectCreated events (async
 * failures recorded as dead letters), the optional subscriptions, and the task's SSM exports.
 */
export function createTaskFunctions(
  name: string,
  args: TaskCommonArgs,
  storage: TaskStorage,
  scanSpec: ScanFunctionSpec,
  parent: pulumi.Resource,
  extraExports: Partial<Record<keyof ReturnType<typeof taskParams>, pulumi.Input<string>>> = {},
): TaskFunctions {
  const { names, bucket, topic, queue } = storage;
  const opts = { parent };
  const params = taskParams(args.task);
  const taskEnv = { [Env.task]: args.task };

  const scan = new LambdaFunction(
    `${name}-scan`,
    {
      entry: scanSpec.entry,
      functionName: names.scanFunction,
      description: scanSpec.description,
      timeout: scanSpec.timeout,
      memorySize: scanSpec.memorySize,
      deployment: args.deployment,
      // The bucket name is not a secret and is fixed at deploy time: no SSM round trip per cold start.
      // The queue's consumer environment lets the handler dead-letter failures with their reason.
      environment: {
        ...taskEnv,
        [Env.resultsBucket]: bucket.bucket,
        ...scanSpec.environment,
        ...queue.consumerEnvironment,
      },
      statements: scanSpec.statements,
      vpcConfig: scanSpec.vpcConfig,
      tags: args.tags,
    },
    opts,
  );
  queue.eventSource(scan, {
    batchSize: scanSpec.batchSize,
    maximumBatchingWindowInSeconds: scanSpec.batchingWindowSeconds,
  });

  const parserDeadLetters = new DeadLetterRecorder(
    `${name}-parser-dlq`,
    {
      deployment: args.deployment,
      queueName: names.parserDeadLetters,
      bucketArn: args.deadLetterBucketArn,
      handlerEntry: args.deadLetterHandlerEntry,
      tags: args.tags,
    },
    opts,
  );
  const parser = new LambdaFunction(
    `${name}-parser`,
    {
      entry: args.parseEntry,
      functionName: names.parserFunction,
      description: `Parses ${args.task} raw results into documents on the results topic`,
      timeout: args.parseTimeout ?? 60,
      memorySize: args.parseMemory ?? 512,
      deployment: args.deployment,
      environment: { ...taskEnv, ...(args.parseEnvironment ?? {}) },
      // S3 invokes the parser asynchronously: after Lambda's retries a failed event is a dead letter.
      deadLetterTargetArn: parserDeadLetters.arn,
      statements: [
        bucket.arn.apply((arn): PolicyStatement => getRawStatement(arn, args.task)),
        topic.arn.apply((arn): PolicyStatement => publishStatement(arn)),
        ssmReadStatement(args.deployment, [params.resultsTopicArn, params.resultsBucketName], opts),
        ...(args.parseStatements ?? []),
      ],
      tags: args.tags,
    },
    opts,
  );
  const permission = new aws.lambda.Permission(
    `${name}-parser-invoke`,
    {
      action: "lambda:InvokeFunction",
      function: parser.name,
      principal: "s3.amazonaws.com",
      // The BUCKET's ARN (the original passed an IAM policy ARN), and the account against bucket squatting.
      sourceArn: bucket.arn,
      sourceAccount: aws.getCallerIdentityOutput({}, opts).accountId,
    },
    opts,
  );
  new aws.s3.BucketNotification(
    `${name}-results-created`,
    {
      bucket: bucket.id,
      // Only raw results: request sidecars (`_requests/…`) are read by the parser, never parsed alone.
      lambdaFunctions: [
        { lambdaFunctionArn: parser.arn, events: ["s3:ObjectCreated:*"], filterPrefix: `${args.task}/` },
      ],
    },
    { parent, dependsOn: [permission] },
  );

  const ingestSubscription = args.subscribeToIngest
    ? topic.subscribeQueue(
        "ingest",
        args.ingestQueueArn ?? ssmParam(args.deployment, Params.ingestQueueArn, opts),
        {
          rawMessageDelivery: true,
        },
      )
    : undefined;
  const subscriptions = Object.fromEntries(
    storage.subscriptions.map((s) => [
      s.name,
      queueSubscription(`${name}-${s.name}-to-queue`, s.topic, queue, { filterPolicy: s.filterPolicy }, opts),
    ]),
  );

  const exports = new SsmExports(
    `${name}-params`,
    {
      deployment: args.deployment,
      values: {
        taskQueueArn: { def: params.taskQueueArn, value: queue.arn },
        taskQueueUrl: { def: params.taskQueueUrl, value: queue.url },
        resultsTopicArn: { def: params.resultsTopicArn, value: topic.arn },
        resultsBucketName: { def: params.resultsBucketName, value: bucket.bucket },
        resultsBucketArn: { def: params.resultsBucketArn, value: bucket.arn },
        scanRoleArn: { def: params.scanRoleArn, value: scan.role.arn },
        parserRoleArn: { def: params.parserRoleArn, value: parser.role.arn },
        ...Object.fromEntries(
          Object.entries(extraExports).map(([k, v]) => [
            k,
            { def: params[k as keyof typeof params], value: v },
          ]),
        ),
      },
      tags: args.tags,
    },
    opts,
  );
  return {
    scan,
    parser,
    parserDeadLetters,
    ingestSubscription,
    scanInitiatorSubscription: subscriptions[SCAN_INITIATOR],
    subscriptions,
    exports,
  };
}

/** Checks a Lambda timeout in seconds. */
export function checkTimeout(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 900) throw new Error(`${what} must be 1..900 seconds, got ${v}`);
  return v;
}
