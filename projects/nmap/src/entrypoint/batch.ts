import type { SQSClient } from "@aws-sdk/client-sqs";
import { Attr, Env, ScanRequest, TaskBatch, parseJson } from "@sec-an/contracts";
import { mapLimit, requestsOfTask, sendDeadLetter, sqsClient } from "@sec-an/runtime";
import type { EntrypointConfig, ScanDeps, ScanResult } from "./index";

/**
 * A task that scans several targets (the launcher's `SCAN_REQUESTS`). Each request keeps its own scan
 * id, its own raw object and metadata, exactly as if it had run alone. A target that fails is
 * dead-lettered alone, with its reason, to the task queue's DLQ; the others are stored. The exit code
 * is non-zero only when some request was neither stored nor dead-lettered: the task-stop handler then
 * dead-letters each request whose result is not in the lake.
 */

export interface BatchEntry {
  readonly scanId: string;
  /** The request as it arrived: what a dead letter carries, so it can be redriven as is. */
  readonly body: string;
  /** The validated request, or why it is not one. */
  readonly request: ScanRequest | Error;
}

export type BatchConfig = Omit<EntrypointConfig, "request" | "scanId"> & {
  readonly entries: readonly BatchEntry[];
  /** The task queue's DLQ (`SEC_AN_DLQ_URL`); without it a failed target fails the task instead. */
  readonly deadLetterQueueUrl?: string;
};

/** Parse each request on its own: one malformed request never stops its siblings. */
export function batchEntries(env: NodeJS.ProcessEnv): BatchEntry[] {
  const carried = requestsOfTask(env);
  if (carried.length > TaskBatch.maxTargets)
    throw new Error(
      `${Env.scanRequests} carries ${carried.length} requests; at most ${TaskBatch.maxTargets}`,
    );
  return carried.map(({ scanId, body }) => {
    let request: ScanRequest | Error;
    try {
      request = parseJson(ScanRequest, body, "scan request");
    } catch (e) {
      request = e as Error;
    }
    return { scanId: scanId!, body, request };
  });
}

export interface TargetOutcome {
  readonly scanId: string;
  readonly stored?: ScanResult;
  /** Why the target failed (set when it was not stored). */
  readonly error?: Error;
  readonly deadLettered?: boolean;
}

export interface BatchDeps extends ScanDeps {
  readonly sqs?: SQSClient;
  /** Scans at once (default min(targets, TaskBatch.scansAtOnce)). */
  readonly concurrency?: number;
  readonly clock?: () => number;
}

export type ScanOne = (config: EntrypointConfig, deps: ScanDeps) => Promise<ScanResult>;

/**
 * Scan every entry, at most `concurrency` at once, all inside one budget: each nmap run gets the time
 * left of the task's `timeoutSeconds`, so the whole task is bounded as a single scan is.
 */
export async function scanBatch(
  config: BatchConfig,
  scanOne: ScanOne,
  deps: BatchDeps = {},
  classify: (e: unknown) => { reason: string },
): Promise<TargetOutcome[]> {
  const clock = deps.clock ?? Date.now;
  const deadline = clock() + config.timeoutSeconds * 1000;
  const limit = deps.concurrency ?? Math.min(config.entries.length, TaskBatch.scansAtOnce);
  return mapLimit(config.entries, limit, async (entry): Promise<TargetOutcome> => {
    let error: Error;
    try {
      if (entry.request instanceof Error) throw entry.request;
      const left = Math.floor((deadline - clock()) / 1000);
      if (left < 1) throw new BudgetSpentError(config.timeoutSeconds);
      const stored = await scanOne(
        {
          ...config,
          request: entry.request,
          scanId: entry.scanId,
          timeoutSeconds: left,
          hostTimeoutSeconds: Math.min(config.hostTimeoutSeconds, left),
        },
        deps,
      );
      return { scanId: entry.scanId, stored };
    } catch (e) {
      error = e as Error;
    }
    // Stopped by ECS or a signal: no dead letter here; the task-stop handler sees what was not stored.
    if (deps.signal?.aborted || !config.deadLetterQueueUrl) return { scanId: entry.scanId, error };
    try {
      await sendDeadLetter(
        {
          body: entry.body,
          requestId: entry.scanId,
          attributes: { [Attr.scanId]: { DataType: "String", StringValue: entry.scanId } },
        },
        { code: classify(error).reason, message: `${error.name}: ${error.message}` },
        { sqs: deps.sqs ?? sqsClient(), queueUrl: config.deadLetterQueueUrl },
      );
      return { scanId: entry.scanId, error, deadLettered: true };
    } catch (e) {
      return {
        scanId: entry.scanId,
        error: new Error(`${error.message}; dead letter failed: ${(e as Error).message}`),
      };
    }
  });
}

/** The task's time ran out before this target's turn. */
export class BudgetSpentError extends Error {
  override name = "BudgetSpentError";
  constructor(seconds: number) {
    super(`the task's ${seconds} s budget was spent before this target's scan could start`);
  }
}
