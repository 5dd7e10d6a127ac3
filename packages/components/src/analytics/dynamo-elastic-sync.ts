import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Env, Params, type Deployment } from "@sec-an/contracts";
import { DeadLetterRecorder } from "../core/deadLetterRecorder";
import { LambdaFunction } from "../core/lambdaFunction";
import { ssmParam, ssmReadStatement } from "../core/ssm";
import { SyncEnv } from "./sync-logic";

export interface DynamoElasticSyncArgs {
  deployment: Deployment;
  /** The table's stream ARN (stream view type NEW_AND_OLD_IMAGES when `diffColumn` is used). */
  streamArn: pulumi.Input<string>;
  /** Index task part, e.g. "address_info": documents go to `{task}_{docType}_snapshot` (+ `_history`). */
  task: string;
  /** Default "data". */
  docType?: string;
  /** The item's key attribute(s). */
  keyFields: string[];
  temporalKeyField?: string;
  diffColumn?: string;
  /** Physical function name (default: the component name). */
  functionName?: string;
  /** Ingest queue ARN (default: analytics-platform's SSM export). */
  ingestQueueArn?: pulumi.Input<string>;
  /** Records per invocation (default 100). */
  batchSize?: number;
  /** Where a new mapping starts reading (default LATEST, as the original). */
  startingPosition?: "LATEST" | "TRIM_HORIZON";
  /** Dead-letter bucket ARN for the recorder (default shared-infra's SSM export). */
  deadLetterBucketArn?: pulumi.Input<string>;
  tags?: Record<string, string>;
}

/** Path of the sync handler, for projects that bundle it themselves. */
export const SYNC_HANDLER_ENTRY = path.join(__dirname, "sync-handler.ts");

/**
 * Keeps an OpenSearch view of a DynamoDB table: its stream → a Lambda that turns each change into a
 * DocumentCollection on the analytics ingest queue. Failures never block or vanish: records that can
 * never convert go to a dead-letter queue with their reason; transient failures retry from the failed
 * record (ReportBatchItemFailures, bisect), and a batch that exhausts its retries is described on the
 * same DLQ (the mapping's on-failure destination), which the recorder files to the dead-letter bucket.
 */
export class DynamoElasticSync extends pulumi.ComponentResource {
  readonly function: LambdaFunction;
  readonly deadLetters: DeadLetterRecorder;
  readonly mapping: aws.lambda.EventSourceMapping;

  constructor(name: string, args: DynamoElasticSyncArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:analytics:DynamoElasticSync", name, {}, opts);
    if (args.keyFields.length === 0) throw new Error("DynamoElasticSync needs at least one key field");
    const parent = { parent: this };
    const ingestQueueArn = args.ingestQueueArn ?? ssmParam(args.deployment, Params.ingestQueueArn, parent);
    this.deadLetters = new DeadLetterRecorder(
      `${name}-dlq`,
      { deployment: args.deployment, bucketArn: args.deadLetterBucketArn, tags: args.tags },
      parent,
    );
    const streamArn = pulumi.output(args.streamArn);
    // ListStreams is authorised on the table's streams, the rest on this stream.
    const tableStreams = streamArn.apply((arn) => `${arn.split("/stream/")[0]}/stream/*`);
    this.function = new LambdaFunction(
      name,
      {
        entry: SYNC_HANDLER_ENTRY,
        functionName: args.functionName,
        description: `Syncs DynamoDB changes into ${args.task}_${args.docType ?? "data"} in OpenSearch`,
        timeout: 60,
        deployment: args.deployment,
        environment: {
          [SyncEnv.task]: args.task,
          [SyncEnv.docType]: args.docType ?? "data",
          [SyncEnv.keyFields]: args.keyFields.join(","),
          ...(args.temporalKeyField ? { [SyncEnv.temporalKeyField]: args.temporalKeyField } : {}),
          ...(args.diffColumn ? { [SyncEnv.diffColumn]: args.diffColumn } : {}),
          [Env.deadLetterQueueUrl]: this.deadLetters.url,
        },
        statements: [
          {
            Sid: "ReadStream",
            Action: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            Resource: streamArn,
          },
          { Sid: "ListStreams", Action: "dynamodb:ListStreams", Resource: tableStreams },
          { Sid: "SendToIngest", Action: "sqs:SendMessage", Resource: ingestQueueArn },
          { Sid: "SendDeadLetters", Action: "sqs:SendMessage", Resource: this.deadLetters.arn },
          ssmReadStatement(args.deployment, [Params.ingestQueueUrl], parent),
        ],
        tags: args.tags,
      },
      parent,
    );
    this.mapping = new aws.lambda.EventSourceMapping(
      `${name}-stream`,
      {
        eventSourceArn: streamArn,
        functionName: this.function.arn,
        startingPosition: args.startingPosition ?? "LATEST",
        batchSize: args.batchSize ?? 100,
        functionResponseTypes: ["ReportBatchItemFailures"],
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 5,
        maximumRecordAgeInSeconds: 24 * 60 * 60,
        destinationConfig: { onFailure: { destinationArn: this.deadLetters.arn } },
      },
      { parent: this, dependsOn: [this.function] },
    );
    this.registerOutputs({ function: this.function, deadLetters: this.deadLetters, mapping: this.mapping });
  }
}
