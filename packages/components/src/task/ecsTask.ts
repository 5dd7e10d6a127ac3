import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Env, Params, TaskBatch } from "@sec-an/contracts";
import { LAUNCHER_CONFIG_ENV, readLauncherConfig, type LauncherConfig } from "@sec-an/runtime";
import { repoRelative as repoRelativeOrUndefined } from "@sec-an/contracts/registry";
import {
  assertNoSecretEnv,
  policyDocument,
  ssmParam,
  type DeadLetterRecorder,
  type LambdaFunction,
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
import {
  checkFargateSize,
  checkNonRoot,
  containerDefinition,
  ecrLifecyclePolicy,
  ecsTasksTrustPolicy,
  scratchVolume,
} from "./fargate";
import { taskNames } from "./names";
import { executionStatements, launcherStatements, putRawStatement } from "./statements";
import { TaskStopRecorder, eventRuleArn } from "./stops";

/** A full image URI, or one derived from the task's own repository (e.g. an `awsx.ecr.Image` pushed to it). */
export type ImageSource = pulumi.Input<string> | ((repository: aws.ecr.Repository) => pulumi.Input<string>);

/** One container/task definition the launcher can run (seed 002's "providers"). */
export interface EcsProvider {
  readonly image: ImageSource;
  /** Fargate CPU units (256..16384) and memory (MiB) — a size Fargate offers. */
  readonly cpu: number;
  readonly memory: number;
  readonly command?: readonly string[];
  /** Static, non-secret environment; the request arrives in `SCAN_REQUEST` at run time. */
  readonly environment?: Record<string, string>;
  /** Writable paths on the read-only root filesystem (default ["/tmp"]). */
  readonly scratchPaths?: readonly string[];
  /** `uid:gid` (default "1000:1000"); root is refused. */
  readonly user?: string;
  readonly architecture?: "X86_64" | "ARM64";
  /**
   * Absolute path of the container entrypoint's TypeScript source. Tagged `sec-an:entry`
   * (repository-relative) so `sec-an local` can run the "container" as a child process.
   */
  readonly entry?: string;
}

export interface EcsTaskArgs extends TaskCommonArgs {
  /** Containers by provider name (`[a-z][a-z0-9_-]*`); selected by the `Provider` attribute or request field. */
  readonly providers: Record<string, EcsProvider>;
  /** Provider for requests that name none (default: the only provider, or the one named like the task). */
  readonly defaultProvider?: string;
  /** Launcher entry (default the runtime's generic launcher); a task may validate/extend with `makeLauncherHandler`. */
  readonly launcherEntry?: string;
  /** Tasks started per launcher invocation, 1..10 (default 5): the batch holds this many × targetsPerTask requests. */
  readonly launcherBatchSize?: number;
  /**
   * Requests one Fargate task scans, 1..TaskBatch.maxTargets (default 1: one task per request). Above 1
   * the container must read `SCAN_REQUESTS`; it gets the task queue's DLQ to dead-letter a failed target
   * alone, and the stop handler lists the results bucket to dead-letter only the unstored requests.
   */
  readonly targetsPerTask?: number;
  readonly launcherTimeout?: number;
  /** Cluster ARN (default task-execution's SSM export `/ecs/cluster`). */
  readonly clusterArn?: pulumi.Input<string>;
  /** Subnets tasks run in (default shared-infra's `/vpc/subnets/instance`). */
  readonly subnetIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** Default: public IP only when shared-infra says workloads are not in private subnets. */
  readonly assignPublicIp?: pulumi.Input<boolean>;
  /** VPC of the security group (default shared-infra's `/vpc/id`). */
  readonly vpcId?: pulumi.Input<string>;
  /** Outbound rules (default: all egress — a scanner must reach arbitrary targets). No inbound, ever. */
  readonly egress?: aws.types.input.ec2.SecurityGroupEgress[];
  /** Images kept in the repository (default 20). */
  readonly keepImages?: number;
  /** Immutable image tags (default true): tag images by content (git sha/digest), never `latest`. */
  readonly immutableTags?: boolean;
  /** Days container logs are kept (default 90). */
  readonly logRetentionDays?: number;
  /** Extra permissions of the containers' task role. */
  readonly taskStatements?: Statements;
}

const PROVIDER = /^[a-z][a-z0-9_-]{0,40}$/;
/** Unprivileged uid:gid containers run as unless a provider says otherwise. */
const DEFAULT_USER = "1000:1000";

/** Tag the local runner reads to find a task definition's container entrypoint. */
export const ENTRY_TAG = "sec-an:entry";

/** `file` relative to the repository root; throws outside a checkout (the local run needs the path). */
export function repoRelative(file: string): string {
  const rel = repoRelativeOrUndefined(file);
  if (rel === undefined) throw new Error(`${file} is not inside the sec-an repository`);
  return rel;
}

/** Statements computed together at deploy time, as the list of inputs policy documents take. */
function spread(statements: pulumi.Output<PolicyStatement[]>, count = 3): pulumi.Output<PolicyStatement>[] {
  return Array.from({ length: count }, (_, i) =>
    statements.apply((s) => {
      if (s.length !== count) throw new Error(`expected ${count} statements, got ${s.length}`);
      return s[i];
    }),
  );
}

/** Path of the runtime's generic launcher handler. */
export function defaultLauncherEntry(): string {
  return require.resolve("@sec-an/runtime/launcher/default-handler");
}

/** Seconds the launcher's event source waits to gather requests for full tasks. */
export const LAUNCHER_BATCHING_WINDOW_SECONDS = 10;

/**
 * The launcher's event source for tasks of `targetsPerTask` requests: `tasksPerBatch` tasks' worth of
 * requests per invocation. Requests the planner sends together arrive within seconds of each other,
 * so a short window lets them land in one batch and share tasks; a batch above 10 records needs one
 * anyway. One request per task keeps today's source exactly (no window).
 */
export function launcherBatching(tasksPerBatch: number, targetsPerTask: number) {
  if (!Number.isInteger(targetsPerTask) || targetsPerTask < 1 || targetsPerTask > TaskBatch.maxTargets)
    throw new Error(
      `targetsPerTask must be a whole number 1..${TaskBatch.maxTargets}, got ${targetsPerTask}`,
    );
  return {
    targetsPerTask,
    batchSize: tasksPerBatch * targetsPerTask,
    windowSeconds: targetsPerTask > 1 ? LAUNCHER_BATCHING_WINDOW_SECONDS : undefined,
  };
}

/** The provider used when a request names none; throws when it cannot be decided. */
export function pickDefaultProvider(task: string, providers: readonly string[], explicit?: string): string {
  if (providers.length === 0) throw new Error(`${task}: at least one provider is required`);
  for (const p of providers)
    if (!PROVIDER.test(p)) throw new Error(`${task}: invalid provider name ${JSON.stringify(p)}`);
  const chosen =
    explicit ?? (providers.length === 1 ? providers[0] : providers.includes(task) ? task : undefined);
  if (chosen === undefined)
    throw new Error(`${task}: several providers and none named "${task}": set defaultProvider`);
  if (!providers.includes(chosen))
    throw new Error(
      `${task}: defaultProvider ${JSON.stringify(chosen)} is not one of ${providers.join(", ")}`,
    );
  return chosen;
}

/**
 * A scanner that runs as Fargate tasks: everything a Task has, with the scan Lambda replaced by the
 * launcher (one RunTask per request, failures retried, permanent errors dead-lettered with a reason),
 * plus the image repository, one task definition per provider, execution and task roles, a log group,
 * an ingress-free security group, and a rule that dead-letters tasks which stop without success.
 */
export class EcsTask extends pulumi.ComponentResource {
  public readonly queue: ServiceQueue;
  public readonly bucket: aws.s3.Bucket;
  public readonly topic: Topic;
  public readonly launcher: LambdaFunction;
  public readonly parserFunction: LambdaFunction;
  public readonly parserDeadLetters: DeadLetterRecorder;
  public readonly repository: aws.ecr.Repository;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly executionRole: aws.iam.Role;
  public readonly taskRole: aws.iam.Role;
  public readonly taskDefinitions: Record<string, aws.ecs.TaskDefinition>;
  public readonly defaultProvider: string;
  public readonly ingestSubscription?: aws.sns.TopicSubscription;
  public readonly scanInitiatorSubscription?: aws.sns.TopicSubscription;
  /** The task queue's subscriptions by name (`subscribeTo`, and `scan-initiator`). */
  public readonly subscriptions: Record<string, aws.sns.TopicSubscription>;
  public readonly params: SsmExports<string>;
  /** Tasks that stopped without success → dead letters in the task queue's DLQ. */
  public readonly stops: TaskStopRecorder;

  constructor(name: string, args: EcsTaskArgs, opts?: pulumi.ComponentResourceOptions) {
    checkTaskSubscriptions(args);
    super("sec-an:task:EcsTask", name, {}, opts);
    const providerNames = Object.keys(args.providers);
    const defaultProvider = pickDefaultProvider(args.task, providerNames, args.defaultProvider);
    for (const [p, spec] of Object.entries(args.providers)) {
      checkFargateSize(`${args.task} provider ${p}`, spec.cpu, spec.memory);
      checkNonRoot(p, spec.user ?? DEFAULT_USER);
    }
    const timeout = checkTimeout("launcherTimeout", args.launcherTimeout ?? 30);
    const tasksPerBatch = args.launcherBatchSize ?? 5;
    if (!Number.isInteger(tasksPerBatch) || tasksPerBatch < 1 || tasksPerBatch > 10)
      throw new Error(`launcherBatchSize must be 1..10, got ${tasksPerBatch}`);
    const batching = launcherBatching(tasksPerBatch, args.targetsPerTask ?? 1);
    const parent = { parent: this };
    const { deployment } = args;

    const names = taskNames(deployment, args.task);
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const region = aws.getRegionOutput({}, parent).region;
    const stopRuleArn = pulumi
      .all([aws.getPartitionOutput({}, parent).partition, region, account])
      .apply(([partition, r, a]) => eventRuleArn(partition, r, a, names.stopRule));
    // The stop rule's target dead-letters undeliverable events to the task DLQ, so its policy names it.
    const storage = createTaskStorage(
      name,
      args,
      timeout,
      this,
      { eventRuleArns: [stopRuleArn] },
      batching.windowSeconds,
    );
    const { bucket } = storage;

    this.repository = new aws.ecr.Repository(
      `${name}-repo`,
      {
        name: names.repository,
        imageTagMutability: args.immutableTags === false ? "MUTABLE" : "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS" }],
        forceDelete: args.forceDestroy ?? false,
        tags: args.tags,
      },
      parent,
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-repo-lifecycle`,
      { repository: this.repository.name, policy: ecrLifecyclePolicy(args.keepImages ?? 20) },
      parent,
    );
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-task-logs`,
      { name: names.logGroup, retentionInDays: args.logRetentionDays ?? 90, tags: args.tags },
      parent,
    );

    const trust = account.apply(ecsTasksTrustPolicy);
    this.executionRole = new aws.iam.Role(
      `${name}-execution-role`,
      {
        assumeRolePolicy: trust,
        description: `ECS agent role of ${names.base}: image pull and logs only`,
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      {
        role: this.executionRole.id,
        policy: policyDocument(
          spread(
            pulumi
              .all([this.repository.arn, this.logGroup.arn])
              .apply(([repo, logs]) => executionStatements(repo, logs)),
          ),
        ),
      },
      parent,
    );
    this.taskRole = new aws.iam.Role(
      `${name}-task-role`,
      {
        assumeRolePolicy: trust,
        description: `Role of ${names.base} containers: write raw results only`,
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-task-policy`,
      {
        role: this.taskRole.id,
        policy: policyDocument([
          bucket.arn.apply((arn): PolicyStatement => putRawStatement(arn, args.task)),
          // A task of several targets dead-letters a failed target itself, with its reason.
          ...(batching.targetsPerTask > 1
            ? [
                storage.queue.deadLetters.arn.apply((arn): PolicyStatement => ({
                  Sid: "DeadLetterFailedTargets",
                  Action: "sqs:SendMessage",
                  Resource: arn,
                })),
              ]
            : []),
          ...(args.taskStatements ?? []),
        ]),
      },
      parent,
    );

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        name: names.securityGroup,
        description: `${names.base} Fargate tasks: no inbound traffic`,
        vpcId: args.vpcId ?? ssmParam(deployment, Params.vpcId, parent),
        ingress: [],
        egress: args.egress ?? [
          {
            description: "Scan targets and AWS APIs",
            protocol: "-1",
            fromPort: 0,
            toPort: 0,
            cidrBlocks: ["0.0.0.0/0"],
            ipv6CidrBlocks: ["::/0"],
          },
        ],
        revokeRulesOnDelete: true,
        tags: args.tags,
      },
      parent,
    );

    this.taskDefinitions = {};
    for (const [provider, spec] of Object.entries(args.providers)) {
      const image = typeof spec.image === "function" ? spec.image(this.repository) : spec.image;
      const environment = {
        ...(spec.environment ?? {}),
        [Env.app]: deployment.app,
        [Env.stage]: deployment.stage,
        [Env.task]: args.task,
      };
      assertNoSecretEnv(environment);
      const scratchPaths = spec.scratchPaths ?? ["/tmp"];
      this.taskDefinitions[provider] = new aws.ecs.TaskDefinition(
        `${name}-${provider}-taskdef`,
        {
          family: names.family(provider),
          cpu: String(spec.cpu),
          memory: String(spec.memory),
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: spec.architecture ?? "X86_64" },
          executionRoleArn: this.executionRole.arn,
          taskRoleArn: this.taskRole.arn,
          // Fargate ephemeral storage: a volume without a host path is a private writable directory.
          volumes: scratchPaths.map((_, i) => ({ name: scratchVolume(i) })),
          containerDefinitions: pulumi
            .all([pulumi.output(image), this.logGroup.name, region, storage.queue.deadLetters.url])
            .apply(([img, logGroup, r, dlq]) =>
              JSON.stringify([
                containerDefinition({
                  name: provider,
                  image: img,
                  command: spec.command,
                  // Explicit, so SDK clients in the container never depend on the platform injecting it.
                  environment: {
                    ...environment,
                    // A task of several targets dead-letters a failed target alone, with its reason.
                    ...(batching.targetsPerTask > 1 ? { [Env.deadLetterQueueUrl]: dlq } : {}),
                    AWS_REGION: r,
                  },
                  user: spec.user ?? DEFAULT_USER,
                  scratchPaths,
                  logGroup,
                  region: r,
                  streamPrefix: provider,
                }),
              ]),
            ),
          tags: spec.entry ? { ...(args.tags ?? {}), [ENTRY_TAG]: repoRelative(spec.entry) } : args.tags,
        },
        parent,
      );
    }
    this.defaultProvider = defaultProvider;

    const clusterArn = pulumi.output(args.clusterArn ?? ssmParam(deployment, Params.ecsCluster, parent));
    const subnets = args.subnetIds
      ? pulumi.output(args.subnetIds)
      : ssmParam(deployment, Params.vpcSubnetsInstance, parent).apply((v) => v.split(",").filter(Boolean));
    const assignPublicIp =
      args.assignPublicIp !== undefined
        ? pulumi.output(args.assignPublicIp)
        : ssmParam(deployment, Params.vpcUsingPrivateSubnets, parent).apply((v) => v !== "true");
    const providerRefs = pulumi.all(
      Object.fromEntries(
        Object.entries(this.taskDefinitions).map(([p, td]) => [
          p,
          td.arn.apply((arn) => ({ taskDefinition: arn, container: p })),
        ]),
      ),
    );
    const launcherConfig = pulumi
      .all([
        clusterArn,
        subnets,
        this.securityGroup.id,
        assignPublicIp,
        bucket.bucket,
        storage.queue.deadLetters.url,
        providerRefs,
      ])
      .apply(([cluster, subnetIds, sg, publicIp, resultsBucket, dlq, providers]) => {
        const config: LauncherConfig = {
          task: args.task,
          cluster,
          subnets: subnetIds,
          securityGroups: [sg],
          assignPublicIp: publicIp,
          resultsBucket,
          deadLetterQueueUrl: dlq,
          providers,
          defaultProvider,
          ...(batching.targetsPerTask > 1 ? { targetsPerTask: batching.targetsPerTask } : {}),
        };
        const text = JSON.stringify(config);
        readLauncherConfig({ [LAUNCHER_CONFIG_ENV]: text }); // the launcher's own check, at deploy time
        // Lambda allows 4 KB of environment in all; leave room for the other variables.
        if (text.length > 3500)
          throw new Error(
            `${args.task}: launcher config is ${text.length} bytes; too many providers/subnets for a Lambda environment`,
          );
        return text;
      });
    const launcherPolicy = pulumi
      .all([
        clusterArn,
        pulumi.all(Object.values(this.taskDefinitions).map((td) => td.arn)),
        this.executionRole.arn,
        this.taskRole.arn,
        storage.queue.deadLetters.arn,
      ])
      .apply(([cluster, tds, exec, taskRole, dlqArn]) =>
        launcherStatements({
          clusterArn: cluster,
          taskDefinitionArns: tds,
          passRoleArns: [exec, taskRole],
          deadLetterQueueArn: dlqArn,
        }),
      );

    const fns = createTaskFunctions(
      name,
      args,
      storage,
      {
        entry: args.launcherEntry ?? defaultLauncherEntry(),
        timeout,
        memorySize: 256,
        batchSize: batching.batchSize,
        batchingWindowSeconds: batching.windowSeconds,
        description:
          batching.targetsPerTask > 1
            ? `Starts a Fargate task for every ${batching.targetsPerTask} ${args.task} scan requests`
            : `Starts a Fargate task for each ${args.task} scan request`,
        environment: { [LAUNCHER_CONFIG_ENV]: launcherConfig },
        statements: spread(launcherPolicy),
      },
      this,
      {
        securityGroupId: this.securityGroup.id,
        imageId: pulumi.interpolate`${this.taskDefinitions[defaultProvider].family}:${this.taskDefinitions[defaultProvider].revision}`,
      },
    );
    this.stops = new TaskStopRecorder(
      `${name}-stops`,
      {
        deployment,
        task: args.task,
        functionName: names.stopFunction,
        ruleName: names.stopRule,
        ruleArn: stopRuleArn,
        clusterArn,
        taskDefinitionArns: Object.values(this.taskDefinitions).map((td) => td.arn),
        deadLetterQueueArn: storage.queue.deadLetters.arn,
        deadLetterQueueUrl: storage.queue.deadLetters.url,
        taskQueueArn: storage.queue.arn,
        resultsBucket: batching.targetsPerTask > 1 ? { name: bucket.bucket, arn: bucket.arn } : undefined,
        tags: args.tags,
      },
      parent,
    );
    this.queue = storage.queue;
    this.bucket = bucket;
    this.topic = storage.topic;
    this.launcher = fns.scan;
    this.parserFunction = fns.parser;
    this.parserDeadLetters = fns.parserDeadLetters;
    this.ingestSubscription = fns.ingestSubscription;
    this.scanInitiatorSubscription = fns.scanInitiatorSubscription;
    this.subscriptions = fns.subscriptions;
    this.params = fns.exports;
    this.registerOutputs({
      queueUrl: this.queue.url,
      bucketName: bucket.bucket,
      topicArn: this.topic.arn,
      repositoryUrl: this.repository.repositoryUrl,
      taskDefinitionArns: pulumi.all(
        Object.fromEntries(Object.entries(this.taskDefinitions).map(([p, td]) => [p, td.arn])),
      ),
      securityGroupId: this.securityGroup.id,
      launcherName: this.launcher.name,
      parserFunctionName: this.parserFunction.name,
    });
  }
}
