import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Env, type Deployment } from "@sec-an/contracts";
import { alarmTargets, jsonLogPattern, LambdaFunction, logPatternAlarm } from "../core";
import { TASK_STOP_FAILED_LOG, TaskStopEnv } from "./names";

/** Path of the stop handler, beside the component that deploys it. */
export function taskStopHandlerEntry(): string {
  return require.resolve("./task-stop-handler");
}

/** The stop handler's log events for failed scan tasks, which the failed-tasks alarm counts. */
export const TASK_FAILED_LOG = { message: TASK_STOP_FAILED_LOG };

/** ARN of a rule with a physical name, known before the rule exists (its DLQ's policy must name it). */
export function eventRuleArn(partition: string, region: string, account: string, ruleName: string): string {
  return `arn:${partition}:events:${region}:${account}:rule/${ruleName}`;
}

/**
 * Every stop of a task of these families on this cluster. The handler, not the pattern, decides what a
 * failure is: "any container exited non-zero, or none exited at all" is not expressible as one pattern,
 * and one invocation per finished scan costs nothing.
 */
export function taskStoppedPattern(clusterArn: string, taskDefinitionArns: readonly string[]) {
  return {
    source: ["aws.ecs"],
    "detail-type": ["ECS Task State Change"],
    detail: {
      clusterArn: [clusterArn],
      lastStatus: ["STOPPED"],
      // Every revision of each family: `…:task-definition/<family>:<revision>`.
      taskDefinitionArn: [...new Set(taskDefinitionArns.map((a) => a.replace(/:\d+$/, ":")))]
        .sort()
        .map((prefix) => ({ prefix })),
    },
  };
}

export interface TaskStopRecorderArgs {
  readonly deployment: Deployment;
  readonly task: string;
  readonly functionName: string;
  /** Physical rule name; `ruleArn` must be its ARN (see {@link eventRuleArn}). */
  readonly ruleName: string;
  readonly ruleArn: pulumi.Input<string>;
  readonly clusterArn: pulumi.Input<string>;
  readonly taskDefinitionArns: pulumi.Input<pulumi.Input<string>[]>;
  /** The task queue's DLQ: stop dead letters, failed invocations and undeliverable events all end there. */
  readonly deadLetterQueueArn: pulumi.Input<string>;
  readonly deadLetterQueueUrl: pulumi.Input<string>;
  readonly taskQueueArn: pulumi.Input<string>;
  /**
   * The raw-results bucket, when tasks scan several targets: the handler then lists it to dead-letter
   * only the requests of a stopped task whose results are not stored.
   */
  readonly resultsBucket?: { readonly name: pulumi.Input<string>; readonly arn: pulumi.Input<string> };
  readonly tags?: Record<string, string>;
}

/** Listing the task's own raw results only: enough to see whether a scan id's result is stored. */
export const listRawStatement = (bucketArn: string, task: string) => ({
  Sid: "ListStoredResults",
  Action: "s3:ListBucket",
  Resource: bucketArn,
  Condition: { StringLike: { "s3:prefix": [`${task}/*`] } },
});

/**
 * Turns ECS task stops without success into dead letters of the task queue's DLQ: an EventBridge rule
 * on "ECS Task State Change" for the task's own cluster and families, targeting a small Lambda.
 */
export class TaskStopRecorder extends pulumi.ComponentResource {
  public readonly handler: LambdaFunction;
  public readonly rule: aws.cloudwatch.EventRule;
  public readonly target: aws.cloudwatch.EventTarget;
  public readonly failedAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: TaskStopRecorderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:task:TaskStopRecorder", name, {}, opts);
    const parent = { parent: this };
    this.handler = new LambdaFunction(
      `${name}-handler`,
      {
        entry: taskStopHandlerEntry(),
        functionName: args.functionName,
        description: `Dead-letters ${args.task} Fargate tasks that stopped without success`,
        timeout: 30,
        memorySize: 256,
        deployment: args.deployment,
        environment: {
          [Env.task]: args.task,
          [TaskStopEnv.deadLetterQueueUrl]: args.deadLetterQueueUrl,
          [TaskStopEnv.taskQueueArn]: args.taskQueueArn,
          ...(args.resultsBucket ? { [Env.resultsBucket]: args.resultsBucket.name } : {}),
        },
        statements: args.resultsBucket
          ? [pulumi.output(args.resultsBucket.arn).apply((arn) => listRawStatement(arn, args.task))]
          : undefined,
        // Besides logs: sqs:SendMessage on this DLQ, for its own dead letters and for Lambda's, when an
        // invocation still fails after the async retries; and, for tasks of several targets, a list of
        // the task's own raw results.
        deadLetterTargetArn: args.deadLetterQueueArn,
        asyncRetryAttempts: 2,
        tags: args.tags,
      },
      parent,
    );
    this.rule = new aws.cloudwatch.EventRule(
      `${name}-rule`,
      {
        name: args.ruleName,
        description: `${args.task} Fargate tasks that stopped`,
        eventPattern: pulumi
          .all([args.clusterArn, args.taskDefinitionArns])
          .apply(([cluster, tds]) => JSON.stringify(taskStoppedPattern(cluster, tds))),
        tags: args.tags,
      },
      parent,
    );
    const permission = this.handler.allowInvoke("rule", {
      principal: "events.amazonaws.com",
      sourceArn: args.ruleArn,
    });
    this.target = new aws.cloudwatch.EventTarget(
      `${name}-target`,
      {
        rule: this.rule.name,
        arn: this.handler.arn,
        // EventBridge retries a failed delivery for up to a day, then parks the event in the DLQ.
        retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
        deadLetterConfig: { arn: args.deadLetterQueueArn },
      },
      { parent: this, dependsOn: [permission] },
    );
    // Counted from the handler's log, not the rule's TriggeredRules metric: the rule matches every stop,
    // successful scans included, and only the handler tells a failure.
    this.failedAlarm = logPatternAlarm(
      `${name}-failed`,
      {
        logGroupName: this.handler.logGroup.name,
        pattern: jsonLogPattern(TASK_FAILED_LOG),
        metricName: "ScanTasksFailed",
        description: `${args.task} scan tasks stopped without success (each is a dead letter of the task queue)`,
        actions: alarmTargets(args.deployment, undefined, parent),
        tags: args.tags,
      },
      parent,
    ).alarm;
    this.registerOutputs({ functionName: this.handler.name, ruleName: this.rule.name });
  }
}
