import { ReceiveMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";

export interface DrainOptions {
  /** Stop once this many messages arrived (default: all there are). */
  count?: number;
  /** Stop after this many polls have returned nothing (default 2): bounds the wait. */
  maxEmptyPolls?: number;
  /** Long-poll wait per receive, seconds (default 1; 0 for what is there now). */
  waitSeconds?: number;
}

/** Receive from a queue until `count` messages arrived or `maxEmptyPolls` empty polls passed (bounded in time). */
export async function drainQueue(sqs: SQSClient, url: string, opts: DrainOptions = {}): Promise<Message[]> {
  const { count = Infinity, maxEmptyPolls = 2, waitSeconds = 1 } = opts;
  const out: Message[] = [];
  let empty = 0;
  while (out.length < count && empty < maxEmptyPolls) {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    if (!r.Messages?.length) empty += 1;
    else out.push(...r.Messages);
  }
  return out;
}

/** The Lambda event record SQS would deliver for a received message. */
export function toSqsRecord(m: Message, queueArn: string): SQSRecord {
  const messageAttributes: SQSRecord["messageAttributes"] = {};
  for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
    messageAttributes[k] = {
      dataType: v.DataType!,
      stringValue: v.StringValue,
      binaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString("base64") : undefined,
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body!,
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
      SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
      SenderId: m.Attributes?.SenderId ?? "AIDATEST",
      ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes,
    md5OfBody: m.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(":")[3] || "us-east-1",
  };
}
