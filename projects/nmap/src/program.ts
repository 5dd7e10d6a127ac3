/**
 * sec-an-nmap: the primary scan. Scan requests from the scan-initiator topic start a Fargate task
 * running nmap (container/); its XML lands in the raw-results bucket, the results parser turns it into
 * document collections for the analytics ingest queue, and every open port becomes a PortDetected
 * event on the ports topic this project owns, which secondary scanners subscribe to by filter policy.
 */
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { CascadeTopics, NmapEnv, Params, resourcePrefix } from "@sec-an/contracts";
import {
  Scanner,
  type EcsTask,
  SsmExports,
  Topic,
  ssmParam,
  ssmReadStatement,
  type ImageSource,
  type PolicyStatement,
} from "@sec-an/components";
import type { ImageContext } from "../container/build";
import { parseConfig, type NmapConfig } from "./config";
import { nmapTask } from "./task";
import { SCAN_MODE_ENV } from "./entrypoint/args";
import { logicalName, savedObjects } from "./views/definitions";

export interface ProgramInputs {
  /** Build context of the image when no prebuilt `image` is configured (container/build.ts). */
  readonly imageContext?: () => ImageContext;
}

export function program(config: NmapConfig, inputs: ProgramInputs = {}) {
  const d = config.deployment;
  const prefix = resourcePrefix(d);
  const tags = { app: d.app, stage: d.stage, project: "nmap" };

  // The cascade source: one event per open port, attributes for subscribers' filter policies.
  const ports = new Topic(`${prefix}-ports-detected`, { topicName: `${prefix}-ports-detected`, tags });

  let builtImage: awsx.ecr.Image | undefined;
  const image: ImageSource =
    config.image ??
    ((repository: aws.ecr.Repository) => {
      if (!inputs.imageContext)
        throw new Error("config sec-an-nmap:image is not set and no image build context was given");
      const ctx = inputs.imageContext();
      builtImage = new awsx.ecr.Image(`${prefix}-nmap-image`, {
        repositoryUrl: repository.repositoryUrl,
        context: ctx.dir,
        dockerfile: path.join(ctx.dir, "Dockerfile"),
        platform: "linux/amd64",
        // Content-addressed: the repository's tags are immutable, and an unchanged image is not rebuilt.
        imageTag: ctx.tag,
      });
      return builtImage.imageUri;
    });

  const addressInfoArn = ssmParam(d, Params.addressInfoTableArn);
  const scanner = new Scanner(`${prefix}-nmap`, {
    deployment: d,
    module: nmapTask,
    parseTimeout: config.parseTimeoutSeconds,
    parseMemory: config.parseMemory,
    providers: {
      nmap: {
        image,
        cpu: config.cpu,
        memory: config.memory,
        environment: {
          [NmapEnv.timeoutSeconds]: String(config.timeoutSeconds),
          [NmapEnv.hostTimeoutSeconds]: String(config.hostTimeoutSeconds),
          [SCAN_MODE_ENV]: config.scanMode,
        },
      },
    },
    targetsPerTask: config.targetsPerTask,
    subscribeToScanInitiator: true,
    subscribeToIngest: true,
    // This program creates the ports topic: its SSM export does not exist before this deploy.
    cascadeTopicArns: { [CascadeTopics.ports.name]: ports.arn },
    parseStatements: [
      addressInfoArn.apply((arn): PolicyStatement => ({
        Sid: "RecordResultsParsed",
        Action: "dynamodb:UpdateItem",
        Resource: arn,
      })),
      { ...ssmReadStatement(d, [Params.addressInfoTableId]), Sid: "ReadAddressInfoTable" },
    ],
    rawRetention: { expireAfterDays: config.rawExpireDays === 0 ? false : config.rawExpireDays },
    forceDestroy: config.forceDestroy,
    tags,
    views: config.views,
    adminFunctionName: ssmParam(d, Params.esAdminFunctionName),
    // Stacks deployed before the Scanner component knew the task at the top level and the views as
    // `NmapViews`, its saved objects by their keys: aliases keep them instead of replacing them.
    taskOptions: { aliases: [{ parent: pulumi.rootStackResource }] },
    viewsOptions: { aliases: [{ type: "sec-an:nmap:NmapViews", parent: pulumi.rootStackResource }] },
    viewsFormerNames: Object.fromEntries(
      savedObjects().map((o) => [
        `${prefix}-nmap-views-${o.type}-${logicalName(o.key)}`,
        `${prefix}-nmap-views-${o.type}-${o.key}`,
      ]),
    ),
  });
  const task = scanner.task as EcsTask;

  const exports = new SsmExports(`${prefix}-nmap-exports`, {
    deployment: d,
    values: {
      portsTopicArn: { def: Params.portsTopicArn, value: ports.arn },
      // The DNS ingest plans this many addresses as one batch, so they reach the launcher together.
      targetsPerTask: { def: Params.nmapTargetsPerTask, value: String(config.targetsPerTask) },
    },
    tags,
  });

  const views = scanner.views;
  const dashboards = views
    ? nmapTask.views.savedObjects
        .filter((o) => o.type === "dashboard")
        .map((o) => views.objects[o.logicalName].objectId)
    : [];

  return {
    portsTopicArn: exports.values.portsTopicArn,
    resultsTopicArn: task.topic.arn,
    taskQueueUrl: task.queue.url,
    resultsBucket: task.bucket.bucket,
    repositoryUrl: task.repository.repositoryUrl,
    imageUri: builtImage ? builtImage.imageUri : pulumi.output(config.image),
    dashboards,
  };
}

/**
 * The stack's entry (index.ts, the local run and the all-in-one stack): validated config → program.
 * Without `imageContext` a prebuilt `image` must be configured (the local run configures one).
 */
export function runFromConfig(stack: string = pulumi.getStack(), inputs: ProgramInputs = {}) {
  return program(parseConfig(new pulumi.Config("sec-an-nmap"), stack), inputs);
}
