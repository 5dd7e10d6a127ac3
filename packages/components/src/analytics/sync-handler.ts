import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { Attr, Env, Limits, Params, type DocumentCollection } from "@sec-an/contracts";
import { deadLetterOnFailure, dlqBody, getParam, logger, sqsClient } from "@sec-an/runtime";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { checkMessageSize, recordToCollection, syncConfigFromEnv, type SyncConfig } from "./sync-logic";

export interface SyncDeps {
  sqs: SQSClient;
  ingestQueueUrl: string;
  /** Where records that can never convert go, with their reason (the component's DeadLetterRecorder). */
  deadLetterQueueUrl?: string;
  now?: Date;
}

/**
 * Convert and send a stream batch in order. A record that can never convert (a PermanentFailure, a
 * schema miss or a stack overflow) goes to the DLQ with its code and reason; any other error, and a
 * send failure, reports the first unsent record's sequence number, so Lambda retries the shard from
 * exactly there (ReportBatchItemFailures; bisect and the on-failure destination cover the rest).
 */
export async function syncRecords(
  records: readonly DynamoDBRecord[],
  cfg: SyncConfig,
  deps: SyncDeps,
): Promise<DynamoDBBatchResponse> {
  const pending: Array<{ record: DynamoDBRecord; body: string; collection: DocumentCollection }> = [];
  for (const record of records) {
    try {
      const collection = recordToCollection(record, cfg, deps.now);
      if (!collection) continue;
      const body = JSON.stringify(collection);
      checkMessageSize(body);
      pending.push({ record, body, collection });
    } catch (e) {
      // One way to say "permanent failure → DLQ with a reason"; anything else retries the shard from here.
      const target = deps.deadLetterQueueUrl
        ? { sqs: deps.sqs, queueUrl: deps.deadLetterQueueUrl }
        : undefined;
      const letter = () => ({
        body: dlqBody(record),
        requestId: record.eventID ?? "unknown",
        source: record.eventSourceARN,
      });
      if (!(await deadLetterOnFailure(e, letter, { target })))
        return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? "" }] };
    }
  }
  for (let i = 0; i < pending.length; i += Limits.batchEntries) {
    const chunk = pending.slice(i, i + Limits.batchEntries);
    const firstUnsent = (idx: number) => ({
      batchItemFailures: [{ itemIdentifier: chunk[idx].record.dynamodb?.SequenceNumber ?? "" }],
    });
    try {
      const out = await deps.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: deps.ingestQueueUrl,
          Entries: chunk.map((p, k) => ({
            Id: String(k),
            MessageBody: p.body,
            MessageAttributes: {
              [Attr.task]: { DataType: "String", StringValue: p.collection.task },
              [Attr.parentKey]: { DataType: "String", StringValue: p.collection.parentKey },
            },
          })),
        }),
      );
      if (out.Failed?.length) {
        logger.error("ingest queue refused messages", { failed: out.Failed });
        return firstUnsent(Math.min(...out.Failed.map((f) => Number(f.Id))));
      }
    } catch (e) {
      logger.error("sending to the ingest queue failed", { error: e as Error });
      return firstUnsent(0);
    }
  }
  return { batchItemFailures: [] };
}

/** DynamoDB stream → analytics ingest queue (URL from SSM, read late). */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const cfg = syncConfigFromEnv();
  const ingestQueueUrl = await getParam(Params.ingestQueueUrl);
  return syncRecords(event.Records, cfg, {
    sqs: sqsClient(),
    ingestQueueUrl,
    deadLetterQueueUrl: process.env[Env.deadLetterQueueUrl],
  });
};
