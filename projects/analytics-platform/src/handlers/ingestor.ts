import { deadLetterTargetFromEnv, maxReceiveCountFromEnv } from "@sec-an/runtime";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ingestBatch } from "../ingest";
import { openSearchStore } from "../store/resolve";

/**
 * Time kept back from the invocation's remaining time: the batch answer (and the DLQ sends already
 * under way) must reach Lambda before it kills the function, or partial-batch reporting never runs.
 */
export const DEADLINE_MARGIN_MS = 3_000;

/** Epoch ms by which the ingestor must answer, from the Lambda context (undefined without one). */
export function invocationDeadline(
  context: Pick<Context, "getRemainingTimeInMillis"> | undefined,
  now = Date.now(),
) {
  if (!context?.getRemainingTimeInMillis) return undefined;
  const remaining = context.getRemainingTimeInMillis();
  // Short invocations keep a proportional margin so some work is still attempted.
  return now + remaining - Math.min(DEADLINE_MARGIN_MS, remaining / 4);
}

/**
 * Ingest queue → OpenSearch. One bulk request per SQS batch; partial batch failures (the event source
 * mapping sets ReportBatchItemFailures); rejected input, and a record failing on its last attempt
 * (`SEC_AN_MAX_RECEIVE_COUNT`), go to the ingest DLQ (`SEC_AN_DLQ_URL`) with their reason, where the
 * dead-letter recorder archives them. Request timeouts and retries are bounded by the invocation's
 * remaining time.
 */
export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  const base = await openSearchStore();
  const deadline = invocationDeadline(context);
  const store = deadline !== undefined && base.withDeadline ? base.withDeadline(deadline) : base;
  return ingestBatch(event.Records, {
    store,
    deadLetter: deadLetterTargetFromEnv(),
    maxReceiveCount: maxReceiveCountFromEnv(),
    refreshKnown: () => base.invalidateAliases?.(),
    deadline,
  });
};
