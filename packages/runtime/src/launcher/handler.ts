import type { SQSRecord } from "aws-lambda";
import type { TSchema } from "@sinclair/typebox";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { ScanRequest } from "@sec-an/contracts";
import { ecsClient, sqsClient } from "../aws";
import { sqsBatchHandler, type SqsBatchHandler } from "../batch";
import { readLauncherConfig, type LauncherConfig } from "./config";
import { launchBatch, type LauncherDeps, type LauncherOptions } from "./launch";

export interface LauncherHandlerOptions<S extends TSchema> extends LauncherOptions<S> {
  /** Injected for tests and local runs; by default read from the environment / runtime clients on first use. */
  readonly config?: () => LauncherConfig;
  readonly ecs?: () => ECSClient;
  readonly sqs?: () => SQSClient;
}

/**
 * An SQS handler that starts Fargate tasks for a batch of records, `targetsPerTask` records per task,
 * with partial batch failures so one bad record (or one failed RunTask) never fails the others. A task's
 * own launcher entry file is one line:
 * `export const handler = makeLauncherHandler({ requestSchema, toEnvironment })`.
 */
export function makeLauncherHandler<S extends TSchema = typeof ScanRequest>(
  opts: LauncherHandlerOptions<S> = {},
): SqsBatchHandler {
  let deps: LauncherDeps | undefined;
  // Resolved on first use, not at import: a bad config fails the records loudly (and they are retried).
  const resolve = (): LauncherDeps =>
    (deps ??= {
      config: opts.config?.() ?? readLauncherConfig(),
      ecs: opts.ecs?.() ?? ecsClient(),
      sqs: opts.sqs?.() ?? sqsClient(),
    });
  const deadLetter = () => ({
    sqs: resolve().sqs,
    queueUrl: resolve().config.deadLetterQueueUrl,
    task: resolve().config.task,
  });
  return (event, context) => {
    // The whole batch is grouped first; the batch layer then settles each record from its task's
    // outcome, so dead letters, retries and the last-attempt rule stay in one place.
    const outcomes = launchBatch(event.Records, resolve, opts);
    const settle = (record: SQSRecord) =>
      outcomes.get(record.messageId) ??
      Promise.reject(new Error(`record ${record.messageId} was not launched`));
    return sqsBatchHandler(settle, { deadLetter })(event, context);
  };
}
