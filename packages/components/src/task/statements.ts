import { REQUEST_SIDECAR_PREFIX } from "@sec-an/runtime";
import type { PolicyStatement } from "../core";

/**
 * IAM statements of a task's roles, as pure functions of resolved ARNs so tests can assert them exactly.
 * Raw results live under `${task}/` and, for requests too large for S3 metadata, `_requests/${task}/`
 * (the runtime's sidecar prefix): a role touches only its own task's objects, never the whole bucket.
 */
export function rawObjectArns(bucketArn: string, task: string): string[] {
  return [`${bucketArn}/${task}/*`, `${bucketArn}/${REQUEST_SIDECAR_PREFIX}${task}/*`];
}

export const putRawStatement = (bucketArn: string, task: string) => ({
  Sid: "PutRawResults",
  Action: "s3:PutObject",
  Resource: rawObjectArns(bucketArn, task),
});

export const getRawStatement = (bucketArn: string, task: string) => ({
  Sid: "GetRawResults",
  Action: "s3:GetObject",
  Resource: rawObjectArns(bucketArn, task),
});

export const publishStatement = (topicArn: string) => ({
  Sid: "PublishResults",
  Action: "sns:Publish",
  Resource: topicArn,
});

/**
 * The launcher may run exactly its task definitions, only on its cluster, and pass exactly the two
 * roles those definitions name, only to ECS tasks.
 */
export function launcherStatements(a: {
  clusterArn: string;
  taskDefinitionArns: string[];
  passRoleArns: string[];
  deadLetterQueueArn: string;
}): PolicyStatement[] {
  return [
    {
      Sid: "RunOwnTaskDefinitions",
      Action: "ecs:RunTask",
      Resource: [...a.taskDefinitionArns].sort(),
      Condition: { ArnEquals: { "ecs:cluster": a.clusterArn } },
    },
    {
      Sid: "PassTaskRoles",
      Action: "iam:PassRole",
      Resource: [...new Set(a.passRoleArns)].sort(),
      Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    },
    // Permanent errors (bad request, unknown provider) go straight to the DLQ with their reason.
    { Sid: "DeadLetterPermanentErrors", Action: "sqs:SendMessage", Resource: a.deadLetterQueueArn },
  ];
}

/** What the ECS agent needs to start a container: pull from the task's repository, write its log group. */
export function executionStatements(repositoryArn: string, logGroupArn: string): PolicyStatement[] {
  return [
    // GetAuthorizationToken has no resource-level permissions: AWS requires Resource "*".
    { Sid: "EcrLogin", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "PullTaskImage",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
      Resource: repositoryArn,
    },
    {
      Sid: "WriteTaskLogs",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${logGroupArn}:*`,
    },
  ];
}
