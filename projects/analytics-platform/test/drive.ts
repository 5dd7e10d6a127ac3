import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { toSqsRecord } from "@sec-an/testing";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";

/** An SQS message as the Lambda event source hands it to a function (the bench's soak imports it here). */
export const lambdaRecord = toSqsRecord;

export async function sendAll(sqs: SQSClient, queueUrl: string, bodies: readonly string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10)
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((MessageBody, k) => ({ Id: `m${i + k}`, MessageBody })),
      }),
    );
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const a = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Every message of a queue (received, then deleted). */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    if (!got.Messages?.length) return out;
    out.push(...got.Messages);
    for (const m of got.Messages)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  }
}

/**
 * What Lambda's SQS event source does, in a loop: receive a batch, invoke, delete what succeeded, and
 * make the reported failures visible again at once (instead of after the visibility timeout). Stops when
 * the queue is empty, or after `maxRounds` (a record still failing then is left in the queue).
 */
export async function driveQueue(
  sqs: SQSClient,
  queue: { url: string; arn: string },
  invoke: (records: SQSRecord[]) => Promise<SQSBatchResponse>,
  maxRounds = 50,
): Promise<{ rounds: number; invocations: number }> {
  let invocations = 0;
  for (let round = 0; round < maxRounds; round++) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const msgs = got.Messages ?? [];
    if (msgs.length === 0) {
      if ((await queueDepth(sqs, queue.url)) === 0) return { rounds: round, invocations };
      continue;
    }
    invocations += 1;
    const res = await invoke(msgs.map((m) => lambdaRecord(m, queue.arn)));
    const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of msgs) {
      const ReceiptHandle = m.ReceiptHandle!;
      if (failed.has(m.MessageId!))
        await sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle, VisibilityTimeout: 0 }),
        );
      else await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle }));
    }
  }
  return { rounds: maxRounds, invocations };
}
