import * as path from "node:path";
import Module from "node:module";
import { bundleEntry } from "../../src/core";
import { resourceNamed, resources, settle, type ResourceRecord } from "@sec-an/testing";

export const fixture = (f: string) => path.join(__dirname, "fixtures", f);
export const deployment = { app: "sec-an", stage: "test" };
export const ACCOUNT = "123456789012";
export const INIT_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-scan-initiator`;
export const INGEST_QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:test-sec-an-ingest`;
export const DL_BUCKET = "arn:aws:s3:::test-sec-an-dead-letters";
export const BUCKET = `test-sec-an-nmap-results-${ACCOUNT}-us-east-1`;
export const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;

/** SSM values other projects publish, as the mock answers them. */
export const SSM = {
  "/sec-an/test/scheduler/scan_initiator_topic/arn": INIT_TOPIC,
  "/sec-an/test/analytics/elastic/ingest_queue/arn": INGEST_QUEUE,
  "/sec-an/test/s3/dead_letters/arn": DL_BUCKET,
  "/sec-an/test/ecs/cluster": `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/test-sec-an-scanning-cluster`,
  "/sec-an/test/vpc/id": "vpc-123",
  "/sec-an/test/vpc/subnets/instance": "subnet-a,subnet-b",
  "/sec-an/test/vpc/using_private_subnets": "true",
};

export async function record(type: string, name: string): Promise<ResourceRecord> {
  await settle();
  return resourceNamed(type, name);
}

/** `type::name` of every custom (non-component) resource, sorted. */
export async function inventory(): Promise<string[]> {
  await settle();
  return resources()
    .map((r) => `${r.type}::${r.name}`)
    .sort();
}

/** A role policy's statements, parsed. */
export async function statementsOf(policyName: string): Promise<unknown[]> {
  const p = await record("aws:iam/rolePolicy:RolePolicy", policyName);
  return (JSON.parse(p.inputs.policy) as { Statement: unknown[] }).Statement;
}

/** The plain value of an input the provider may have marked secret. */
export function plain(v: unknown): unknown {
  return v && typeof v === "object" && "value" in (v as Record<string, unknown>)
    ? (v as { value: unknown }).value
    : v;
}

export const LOG_AND_TRACE = (logGroup: string) => [
  {
    Sid: "OwnLogGroup",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${logGroup}:*`,
  },
  {
    Sid: "XRay",
    Effect: "Allow",
    Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    Resource: "*",
  },
  // Every function of a deployment reports its handled failures on the errors topic.
  {
    Sid: "PublishErrors",
    Effect: "Allow",
    Action: "sns:Publish",
    Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-errors`,
  },
];

/** Every resource a Task creates whatever its options (the two DLQ recorders' insides included). */
export const TASK_BASE = [
  "aws:cloudwatch/logGroup:LogGroup::nmap-parser-dlq-recorder-logs",
  "aws:cloudwatch/logGroup:LogGroup::nmap-parser-logs",
  "aws:cloudwatch/logGroup:LogGroup::nmap-queue-dlq-recorder-logs",
  "aws:cloudwatch/logGroup:LogGroup::nmap-scan-logs",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-parser-dlq-alarm",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-parser-dlq-recorder-errors",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-parser-dlq-recorder-throttles",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-parser-dlq-stuck",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-parser-errors",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-parser-throttles",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-queue-dlq-alarm",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-queue-dlq-recorder-errors",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-queue-dlq-recorder-throttles",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-queue-dlq-stuck",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-scan-errors",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-scan-throttles",
  "aws:iam/role:Role::nmap-parser-dlq-recorder-role",
  "aws:iam/role:Role::nmap-parser-role",
  "aws:iam/role:Role::nmap-queue-dlq-recorder-role",
  "aws:iam/role:Role::nmap-scan-role",
  "aws:iam/rolePolicy:RolePolicy::nmap-parser-dlq-recorder-policy",
  "aws:iam/rolePolicy:RolePolicy::nmap-parser-dlq-records-consume",
  "aws:iam/rolePolicy:RolePolicy::nmap-parser-policy",
  "aws:iam/rolePolicy:RolePolicy::nmap-queue-dlq-recorder-policy",
  "aws:iam/rolePolicy:RolePolicy::nmap-queue-dlq-records-consume",
  "aws:iam/rolePolicy:RolePolicy::nmap-queue-to-test-sec-an-nmap-scan-consume",
  "aws:iam/rolePolicy:RolePolicy::nmap-scan-policy",
  "aws:lambda/eventSourceMapping:EventSourceMapping::nmap-parser-dlq-records",
  "aws:lambda/eventSourceMapping:EventSourceMapping::nmap-queue-dlq-records",
  "aws:lambda/eventSourceMapping:EventSourceMapping::nmap-queue-to-test-sec-an-nmap-scan",
  "aws:lambda/function:Function::nmap-parser-dlq-recorder-function",
  "aws:lambda/function:Function::nmap-parser-function",
  "aws:lambda/function:Function::nmap-queue-dlq-recorder-function",
  "aws:lambda/function:Function::nmap-scan-function",
  "aws:lambda/permission:Permission::nmap-parser-invoke",
  "aws:s3/bucket:Bucket::nmap-results",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::nmap-results-lifecycle",
  "aws:s3/bucketNotification:BucketNotification::nmap-results-created",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls::nmap-results-ownership",
  "aws:s3/bucketPolicy:BucketPolicy::nmap-results-policy",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::nmap-results-public-access",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::nmap-results-sse",
  "aws:s3/bucketVersioning:BucketVersioning::nmap-results-versioning",
  "aws:sns/topic:Topic::nmap-results-topic",
  "aws:sqs/queue:Queue::nmap-parser-dlq",
  "aws:sqs/queue:Queue::nmap-queue",
  "aws:sqs/queue:Queue::nmap-queue-dlq",
  "aws:ssm/parameter:Parameter::nmap-params-parserRoleArn",
  "aws:ssm/parameter:Parameter::nmap-params-resultsBucketArn",
  "aws:ssm/parameter:Parameter::nmap-params-resultsBucketName",
  "aws:ssm/parameter:Parameter::nmap-params-resultsTopicArn",
  "aws:ssm/parameter:Parameter::nmap-params-scanRoleArn",
  "aws:ssm/parameter:Parameter::nmap-params-taskQueueArn",
  "aws:ssm/parameter:Parameter::nmap-params-taskQueueUrl",
  "sec-an:core:DeadLetterRecorder::nmap-parser-dlq",
  "sec-an:core:DeadLetterRecorder::nmap-queue-dlq",
  "sec-an:core:LambdaFunction::nmap-parser",
  "sec-an:core:LambdaFunction::nmap-parser-dlq-recorder",
  "sec-an:core:LambdaFunction::nmap-queue-dlq-recorder",
  "sec-an:core:LambdaFunction::nmap-scan",
  "sec-an:core:ServiceQueue::nmap-queue",
  "sec-an:core:SsmExports::nmap-params",
  "sec-an:core:Topic::nmap-results-topic",
  "sec-an:task:Task::nmap",
];

/**
 * The artifact a component deploys, not the source: `entry` bundled exactly as LambdaFunction bundles it
 * and loaded as CommonJS next to the entry (so the external `@aws-sdk/*` resolve as on nodejs22.x).
 * Returns its exports and the real process environment the bundle sees (jest's sandbox has its own).
 */
export function loadBundle<T>(entry: string): { exports: T; env: NodeJS.ProcessEnv } {
  const code = bundleEntry(entry);
  const file = path.join(path.dirname(entry), `bundled-${path.basename(entry, ".ts")}.js`);
  const mod = new Module(file) as Module & { _compile(code: string, file: string): void };
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(
    path.dirname(file),
  );
  mod._compile(code, file);
  return { exports: mod.exports as T, env: (mod.require("process") as NodeJS.Process).env };
}
