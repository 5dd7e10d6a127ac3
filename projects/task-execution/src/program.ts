/**
 * sec-an-task-execution: the ECS cluster scanners run in, and the scheduler — the daily DNS ingest from
 * Route53 that plans one scan per address per period, and the initiator that every 15 minutes queues
 * the due scans onto the delay queue, from where the glue publishes them to the scan-initiator topic
 * every task queue subscribes to. Everything is published to SSM under the catalogue names.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Params, ScanPlan, SchedulerEnv, resourcePrefix, scanInitiatorTopicName } from "@sec-an/contracts";
import {
  DeadLetterRecorder,
  LambdaFunction,
  ServiceQueue,
  SqsSnsGlue,
  SsmExports,
  Topic,
  ssmParam,
  ssmReadStatement,
} from "@sec-an/components";
import { ScanCluster } from "./infra/cluster";
import { FunctionSchedule } from "./infra/schedule";
import { DnsTables } from "./infra/tables";
import { DnsViews } from "./views/dns-views";
import { parseConfig, type TaskExecutionConfig } from "./stack-config";

const handler = (file: string) => path.join(__dirname, "handlers", file);

/** SSM parameters each Lambda reads late. */
const TABLE_IDS = [
  Params.scansPlannedTableId,
  Params.resolvedHostsTableId,
  Params.resolvedAddressesTableId,
  Params.addressInfoTableId,
];
const INGEST_PARAMS = [
  ...TABLE_IDS,
  Params.route53RoleArn,
  Params.schedulerPeriod,
  Params.schedulerBuckets,
  Params.schedulerRateLimit,
  Params.schedulerLogUnhandled,
  // nmap's: optional (1 until nmap is deployed), so not a deploy-order read (see handlers/settings.ts).
  Params.nmapTargetsPerTask,
];
const INITIATOR_PARAMS = [...TABLE_IDS, Params.scanDelayQueueUrl];

export function program(config: TaskExecutionConfig) {
  const d = config.deployment;
  const prefix = resourcePrefix(d);
  const tags = { app: d.app, stage: d.stage, project: "task-execution" };

  const cluster = new ScanCluster(`${prefix}-cluster`, { clusterName: `${prefix}-cluster`, tags });
  const tables = new DnsTables(`${prefix}-dns`, { prefix, tags });

  // Scan requests wait on the delay queue until their planned time, then the glue publishes them.
  const topic = new Topic(`${prefix}-scan-initiator`, { topicName: scanInitiatorTopicName(prefix), tags });
  const delayQueue = new ServiceQueue(`${prefix}-scan-delay-queue`, {
    deployment: d,
    consumerTimeout: 30,
    tags,
  });
  const glue = new SqsSnsGlue(`${prefix}-scan-initiator-glue`, {
    deployment: d,
    queue: delayQueue,
    topicArn: topic.arn,
    tags,
  });

  const ingestDlq = new DeadLetterRecorder(`${prefix}-ingest-dns-dlq`, { deployment: d, tags });
  const ingestor = new LambdaFunction(`${prefix}-dns-ingestor`, {
    entry: handler("ingest-dns.ts"),
    description: "Daily: reads Route53, resolves names, plans one scan per address",
    timeout: 900,
    memorySize: 1024,
    deployment: d,
    deadLetterTargetArn: ingestDlq.arn,
    environment: config.dnsServers.length
      ? { [SchedulerEnv.dnsServers]: config.dnsServers.join(",") }
      : undefined,
    statements: [
      { Sid: "AssumeRoute53ReadRole", Action: "sts:AssumeRole", Resource: config.route53RoleArn },
      {
        Sid: "WriteDnsTables",
        Action: "dynamodb:UpdateItem",
        Resource: [
          tables.scanPlan.arn,
          tables.resolvedHosts.arn,
          tables.resolvedAddresses.arn,
          tables.addressInfo.arn,
        ],
      },
      ssmReadStatement(d, INGEST_PARAMS),
    ],
    tags,
  });

  const initiatorDlq = new DeadLetterRecorder(`${prefix}-scan-initiator-dlq`, { deployment: d, tags });
  const initiator = new LambdaFunction(`${prefix}-scan-initiator`, {
    entry: handler("scan-initiator.ts"),
    description: "Every 15 minutes: queues the scans due before the next run",
    timeout: 600,
    memorySize: 512,
    deployment: d,
    deadLetterTargetArn: initiatorDlq.arn,
    // One run at a time: two overlapping runs would queue the same plans twice.
    reservedConcurrency: 1,
    statements: [
      {
        Sid: "ReadDuePlans",
        Action: "dynamodb:Scan",
        Resource: pulumi.interpolate`${tables.scanPlan.arn}/index/${ScanPlan.index}`,
      },
      { Sid: "DeleteQueuedPlans", Action: "dynamodb:DeleteItem", Resource: tables.scanPlan.arn },
      { Sid: "RecordQueued", Action: "dynamodb:UpdateItem", Resource: tables.addressInfo.arn },
      { Sid: "QueueScans", Action: "sqs:SendMessage", Resource: delayQueue.arn },
      ssmReadStatement(d, INITIATOR_PARAMS),
    ],
    tags,
  });

  new FunctionSchedule(`${prefix}-ingest-dns-schedule`, {
    function: ingestor,
    expression: config.ingestSchedule,
    timezone: config.ingestTimezone,
    description: "Daily DNS ingest",
    tags,
  });
  new FunctionSchedule(`${prefix}-scan-initiator-schedule`, {
    function: initiator,
    expression: "cron(0/15 * * * ? *)",
    description: "Queue due scans every 15 minutes",
    tags,
  });

  if (config.views) {
    new DnsViews(`${prefix}-views`, {
      deployment: d,
      prefix,
      tables: {
        addressInfo: tables.addressInfo,
        resolvedAddresses: tables.resolvedAddresses,
        resolvedHosts: tables.resolvedHosts,
      },
      adminFunctionName: ssmParam(d, Params.esAdminFunctionName),
      deadLetterVisId: ssmParam(d, Params.deadLetterVisId),
      tags,
    });
  }

  const s = config.scheduler;
  const exports = new SsmExports(`${prefix}-task-execution-exports`, {
    deployment: d,
    tags,
    values: {
      ecsCluster: { def: Params.ecsCluster, value: cluster.arn },
      scansPlannedTableId: { def: Params.scansPlannedTableId, value: tables.scanPlan.name },
      scansPlannedTableArn: { def: Params.scansPlannedTableArn, value: tables.scanPlan.arn },
      scansPlannedPlanIndex: { def: Params.scansPlannedPlanIndex, value: ScanPlan.index },
      resolvedHostsTableId: { def: Params.resolvedHostsTableId, value: tables.resolvedHosts.name },
      resolvedHostsTableArn: { def: Params.resolvedHostsTableArn, value: tables.resolvedHosts.arn },
      resolvedAddressesTableId: {
        def: Params.resolvedAddressesTableId,
        value: tables.resolvedAddresses.name,
      },
      resolvedAddressesTableArn: {
        def: Params.resolvedAddressesTableArn,
        value: tables.resolvedAddresses.arn,
      },
      addressInfoTableId: { def: Params.addressInfoTableId, value: tables.addressInfo.name },
      addressInfoTableArn: { def: Params.addressInfoTableArn, value: tables.addressInfo.arn },
      route53RoleArn: { def: Params.route53RoleArn, value: config.route53RoleArn },
      schedulerPeriod: { def: Params.schedulerPeriod, value: String(s.period) },
      schedulerBuckets: { def: Params.schedulerBuckets, value: String(s.buckets) },
      schedulerLogUnhandled: { def: Params.schedulerLogUnhandled, value: String(s.logUnhandled) },
      schedulerRateLimit: { def: Params.schedulerRateLimit, value: String(s.rateLimit) },
      scanDelayQueueUrl: { def: Params.scanDelayQueueUrl, value: delayQueue.url },
      scanInitiatorTopicArn: { def: Params.scanInitiatorTopicArn, value: topic.arn },
    },
  });

  return {
    clusterArn: cluster.arn,
    scanInitiatorTopicArn: topic.arn,
    scanDelayQueueUrl: delayQueue.url,
    dnsIngestorFunction: ingestor.name,
    scanInitiatorFunction: initiator.name,
    glueFunction: glue.function.name,
    parameters: exports.values,
  };
}

/** The program as index.ts runs it: stack config parsed and validated first (also used by the local run). */
export function runFromConfig(stack: string = pulumi.getStack()) {
  return program(parseConfig(new pulumi.Config("sec-an-task-execution"), stack));
}
