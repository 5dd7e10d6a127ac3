import { SendMessageBatchCommand, type MessageAttributeValue, type SQSClient } from "@aws-sdk/client-sqs";
import { sqsClient } from "../aws";
import { batches, type OutgoingMessage, type Publisher } from "../publisher";

/**
 * Publishes straight to an SQS queue (the analytics ingest queue), in SendMessageBatch calls within
 * SQS's entry-count and size limits. Re-ingestion uses it so replays reach OpenSearch without going
 * through a task's results topic, whose other subscribers (cascades) must not see old results again.
 */
export class SqsPublisher implements Publisher {
  constructor(
    private readonly queueUrl: string | (() => Promise<string>),
    private readonly sqs: () => SQSClient = sqsClient,
  ) {}

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const url = typeof this.queueUrl === "string" ? this.queueUrl : await this.queueUrl();
    for (const batch of batches(messages)) {
      const attrs = (a: Readonly<Record<string, string>>): Record<string, MessageAttributeValue> =>
        Object.fromEntries(Object.entries(a).map(([k, v]) => [k, { DataType: "String", StringValue: v }]));
      const out = await this.sqs().send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: batch.map((m, i) => ({
            Id: String(i),
            MessageBody: m.body,
            MessageAttributes: attrs(m.attributes),
          })),
        }),
      );
      if (out.Failed?.length) {
        throw new Error(
          `SQS SendMessageBatch to ${url} failed for ${out.Failed.length} of ${batch.length}: ${out.Failed.map((f) => `${f.Id}: ${f.Code} ${f.Message ?? ""}`).join("; ")}`,
        );
      }
    }
  }
}
