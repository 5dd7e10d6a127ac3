import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { TSchema } from "@sinclair/typebox";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { ECSClient } from "@aws-sdk/client-ecs";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { ScanRequest } from "@sec-an/contracts";
import { readLauncherConfig, type LauncherConfig } from "./config";
import { launchRecord, type LauncherOptions } from "./launch";

export interface LauncherHandlerOptions<S extends TSchema> extends LauncherOptions<S> {
  /** Injected for tests and local runs; by default read from the environment on first use. */
  readonly config?: () => LauncherConfig;
  readonly ecs?: () => ECSClient;
  readonly sqs?: () => SQSClient;
}

/**
 * An SQS handler that starts one Fargate task per record, with partial batch failures so one bad
 * record never fails its siblings. A task's own handler file is one line:
 * `export const handler = makeLauncherHandler({ requestSchema, toEnvironment })`.
 */
export function makeLauncherHandler<S extends TSchema = typeof ScanRequest>(opts: LauncherHandlerOptions<S> = {}) {
  const processor = new BatchProcessor(EventType.SQS);
  let deps: { ecs: ECSClient; sqs: SQSClient; config: LauncherConfig } | undefined;
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    // Created on first use, not at import: a bad config fails invocations loudly (records retried).
    deps ??= {
      config: opts.config?.() ?? readLauncherConfig(),
      ecs: opts.ecs?.() ?? new ECSClient({}),
      sqs: opts.sqs?.() ?? new SQSClient({}),
    };
    const d = deps;
    return processPartialResponse(event, (record: SQSRecord) => launchRecord(record, d, opts), processor, {
      context,
      // Report every failure the same way, even when the whole batch failed.
      throwOnFullBatchFailure: false,
    });
  };
}
