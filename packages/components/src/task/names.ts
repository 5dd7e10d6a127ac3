import { resourcePrefix, type Deployment } from "@sec-an/contracts";

const TASK = /^[a-z][a-z0-9_-]{0,30}$/;

/** Environment of an EcsTask's stop handler: where dead letters go, and the queue requests came from. */
export const TaskStopEnv = {
  deadLetterQueueUrl: "DEAD_LETTER_QUEUE_URL",
  taskQueueArn: "TASK_QUEUE_ARN",
} as const;

/** What the stop handler logs for each failed scan task (a metric filter counts it for the alarm). */
export const TASK_STOP_FAILED_LOG = "scan task stopped without success: dead-lettered";

/** Physical names of one task's resources, `${stage}-${app}-${task}-…` as the original named them. */
export function taskNames(deployment: Deployment, task: string) {
  if (!TASK.test(task))
    throw new Error(
      `invalid task name ${JSON.stringify(task)}: lower-case letters, digits, _ and -, at most 31`,
    );
  const base = `${resourcePrefix(deployment)}-${task}`;
  const fn = (suffix: string) => {
    const n = `${base}-${suffix}`;
    if (n.length > 64)
      throw new Error(
        `name ${n} is longer than the 64 characters Lambda and EventBridge allow: shorten stage, app or task`,
      );
    return n;
  };
  return {
    base,
    taskQueue: `${base}-task-queue`,
    scanFunction: fn("scan"),
    parserFunction: fn("results-parser"),
    /** EcsTask: the Lambda that dead-letters Fargate tasks that stopped without success, and its rule. */
    stopFunction: fn("task-stops"),
    stopRule: fn("task-stopped"),
    parserDeadLetters: `${base}-results-parser-dlq`,
    resultsTopic: `${base}-results`,
    repository: base.toLowerCase(),
    logGroup: `/aws/ecs/${resourcePrefix(deployment)}/${task}`,
    securityGroup: `${base}-task`,
    /** Task definition family of a provider: the task's own name for the provider named like the task. */
    family: (provider: string) => (provider === task ? base : `${base}-${provider}`),
  };
}

/**
 * Raw-results bucket name: S3 names are global, so the account and region make it unique without a
 * random suffix (and readable in the console). At most 63 characters.
 */
export function resultsBucketName(
  deployment: Deployment,
  task: string,
  account: string,
  region: string,
): string {
  const n = `${taskNames(deployment, task).base}-results-${account}-${region}`.toLowerCase();
  if (n.length > 63 || !/^[a-z0-9][a-z0-9.-]+[a-z0-9]$/.test(n)) {
    throw new Error(`derived bucket name ${n} is not a valid S3 name (≤ 63 of a-z 0-9 . -): pass bucketName`);
  }
  return n;
}
