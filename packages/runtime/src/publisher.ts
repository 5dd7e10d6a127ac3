import {
  PublishBatchCommand,
  PublishCommand,
  type MessageAttributeValue,
  type SNSClient,
} from "@aws-sdk/client-sns";
import { Limits } from "@sec-an/contracts";
import { snsClient } from "./aws";

/** A message ready to send: the exact body text and its String message attributes. */
export interface OutgoingMessage<T = unknown> {
  readonly message: T;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Where results go. SNS in Lambdas; an in-memory collector in tests and the local runner. */
export interface Publisher {
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
}

/**
 * Bytes SNS/SQS count against their 256 KiB limit: the UTF-8 body plus, per attribute, its name,
 * data type and value.
 */
export function messageBytes(body: string, attributes: Readonly<Record<string, string>> = {}): number {
  let n = Buffer.byteLength(body, "utf8");
  for (const [k, v] of Object.entries(attributes))
    n += Buffer.byteLength(k) + "String".length + Buffer.byteLength(v);
  return n;
}

function snsAttributes(attributes: Readonly<Record<string, string>>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
  );
}

/** Publishes to one SNS topic, in PublishBatch calls of at most 10 entries and 256 KiB in total. */
export class SnsPublisher implements Publisher {
  constructor(
    private readonly topic: string | (() => Promise<string>),
    private readonly sns: () => SNSClient = snsClient,
  ) {}

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const topicArn = typeof this.topic === "string" ? this.topic : await this.topic();
    for (const batch of batches(messages)) {
      if (batch.length === 1) {
        const [m] = batch;
        await this.sns().send(
          new PublishCommand({
            TopicArn: topicArn,
            Message: m.body,
            MessageAttributes: snsAttributes(m.attributes),
          }),
        );
        continue;
      }
      const out = await this.sns().send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: batch.map((m, i) => ({
            Id: String(i),
            Message: m.body,
            MessageAttributes: snsAttributes(m.attributes),
          })),
        }),
      );
      if (out.Failed?.length) {
        const reasons = out.Failed.map((f) =>
          `entry ${f.Id}: ${f.Code ?? "error"} ${f.Message ?? ""}`.trim(),
        ).join("; ");
        throw new Error(
          `SNS PublishBatch to ${topicArn} failed for ${out.Failed.length} of ${batch.length} messages: ${reasons}`,
        );
      }
    }
  }
}

/** Group messages so each PublishBatch stays within SNS's entry-count and aggregate-size limits. */
export function batches<T extends OutgoingMessage>(messages: readonly T[]): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const m of messages) {
    const b = messageBytes(m.body, m.attributes);
    if (cur.length > 0 && (cur.length >= Limits.batchEntries || bytes + b > Limits.snsMessageBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Keeps what it is given: for tests, `sec-an parse`, and the local runner. */
export class CollectingPublisher implements Publisher {
  readonly messages: OutgoingMessage[] = [];
  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
  }
}

/**
 * Hands messages to a send function a full batch at a time (`Limits.batchEntries` messages, or fewer
 * when the next would pass SNS's aggregate size), as a streamed parse produces them; `flush` sends the
 * rest. Awaiting `add` is the back-pressure: the producer reads on only once a full batch is out.
 */
export class BatchQueue<T extends OutgoingMessage> {
  private pending: T[] = [];
  private bytes = 0;
  sent = 0;

  constructor(private readonly send: (batch: T[]) => Promise<void>) {}

  async add(messages: readonly T[]): Promise<void> {
    for (const m of messages) {
      const b = messageBytes(m.body, m.attributes);
      if (this.pending.length && this.bytes + b > Limits.snsMessageBytes) await this.flush();
      this.pending.push(m);
      this.bytes += b;
      if (this.pending.length >= Limits.batchEntries) await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.bytes = 0;
    await this.send(batch);
    this.sent += batch.length;
  }
}
