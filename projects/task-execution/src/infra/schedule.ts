import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument, type LambdaFunction } from "@sec-an/components";

export interface FunctionScheduleArgs {
  readonly function: LambdaFunction;
  /** EventBridge Scheduler expression, e.g. `cron(0 3 * * ? *)`. */
  readonly expression: string;
  readonly timezone?: string;
  readonly description?: string;
  readonly tags?: Record<string, string>;
}

/**
 * Invokes a function on a schedule (EventBridge Scheduler: cron with a time zone, no "time of apply"
 * trick). The scheduler's role may invoke that one function only; failures of the run itself go to
 * the function's own dead-letter target.
 */
export class FunctionSchedule extends pulumi.ComponentResource {
  public readonly role: aws.iam.Role;
  public readonly schedule: aws.scheduler.Schedule;

  constructor(name: string, args: FunctionScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:task-execution:FunctionSchedule", name, {}, opts);
    const parent = { parent: this };
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: assumeRolePolicy("scheduler.amazonaws.com"),
        description: `Invokes ${args.function.functionName} on schedule`,
        tags: args.tags,
      },
      parent,
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: policyDocument([
          { Sid: "InvokeTarget", Action: "lambda:InvokeFunction", Resource: args.function.arn },
        ]),
      },
      parent,
    );
    this.schedule = new aws.scheduler.Schedule(
      name,
      {
        name,
        description: args.description,
        scheduleExpression: args.expression,
        scheduleExpressionTimezone: args.timezone ?? "UTC",
        flexibleTimeWindow: { mode: "OFF" },
        target: {
          arn: args.function.arn,
          roleArn: this.role.arn,
          // Runs are idempotent and the next one comes anyway: retry briefly, then let it go.
          retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
        },
      },
      { parent: this, dependsOn: [policy] },
    );
    this.registerOutputs({});
  }
}
