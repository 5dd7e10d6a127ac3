import { Env } from "@sec-an/contracts";
import { sqsClient } from "@sec-an/runtime";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ingestBatch } from "../ingest";
import { openSearchStore } from "../store/resolve";

/**
 * Ingest queue → OpenSearch. One bulk request per SQS batch; partial batch failures (the event source
 * mapping sets ReportBatchItemFailures); rejected input goes to the ingest DLQ (`SEC_AN_DLQ_URL`) with
 * its reason, where the dead-letter recorder archives it.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const store = await openSearchStore();
  const queueUrl = process.env[Env.deadLetterQueueUrl];
  return ingestBatch(event.Records, {
    store,
    deadLetter: queueUrl ? { sqs: sqsClient(), queueUrl } : undefined,
    refreshKnown: () => store.invalidateAliases?.(),
  });
};
