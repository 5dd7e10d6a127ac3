/**
 * Queues and topics on fauxqs for tests that need to see what was published: a fresh queue, a queue
 * subscribed to a topic, and the errors topic captured for a handler under test.
 */
import { CreateTopicCommand, SubscribeCommand, type SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { ErrorChannelEnv, type PlatformErrorEvent } from "@sec-an/contracts";
import { uniqueName } from "./aws";
import { drainQueue, type DrainOptions } from "./sqs";

export interface TestQueue {
  url: string;
  arn: string;
  name: string;
}

/** Clients a topic test needs; the callers own (and destroy) them. */
export interface TopicClients {
  sqs: SQSClient;
  sns: SNSClient;
}

/** A new queue under a unique name (the ARN is read back, as a subscription needs it). */
export async function createTestQueue(
  sqs: SQSClient,
  prefix = "q",
  attributes?: Record<string, string>,
): Promise<TestQueue> {
  const name = uniqueName(prefix);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  return { url: QueueUrl!, arn: attrs.Attributes!.QueueArn!, name };
}

export interface SubscribeOptions {
  /** Raw delivery (the published message is the body, its attributes the message's); default true. */
  raw?: boolean;
  filterPolicy?: Record<string, unknown>;
  /** Where the filter policy applies; SNS's default (message attributes) when unset. */
  filterPolicyScope?: "MessageAttributes" | "MessageBody";
  /** Name prefix of the new queue (default "q"). */
  queuePrefix?: string;
  /** Attributes of the new queue (e.g. a long `VisibilityTimeout` so a message read once stays hidden). */
  queueAttributes?: Record<string, string>;
}

/** A new queue subscribed to `topicArn`, so a test reads what the topic delivers. */
export async function subscribedQueue(
  c: TopicClients,
  topicArn: string,
  opts: SubscribeOptions = {},
): Promise<TestQueue> {
  const queue = await createTestQueue(c.sqs, opts.queuePrefix, opts.queueAttributes);
  const Attributes: Record<string, string> = { RawMessageDelivery: opts.raw === false ? "false" : "true" };
  if (opts.filterPolicy) Attributes.FilterPolicy = JSON.stringify(opts.filterPolicy);
  if (opts.filterPolicyScope) Attributes.FilterPolicyScope = opts.filterPolicyScope;
  await c.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queue.arn, Attributes }),
  );
  return queue;
}

/** A new topic under a unique name. */
export async function createTestTopic(sns: SNSClient, prefix = "t"): Promise<string> {
  return (await sns.send(new CreateTopicCommand({ Name: uniqueName(prefix) }))).TopicArn!;
}

/** A new topic with one new queue subscribed to it (raw delivery unless told otherwise). */
export async function topicWithQueue(
  c: TopicClients,
  opts: SubscribeOptions & { topicPrefix?: string } = {},
): Promise<{ topicArn: string; queue: TestQueue }> {
  const topicArn = await createTestTopic(c.sns, opts.topicPrefix);
  return { topicArn, queue: await subscribedQueue(c, topicArn, opts) };
}

export interface CapturedErrors {
  topicArn: string;
  queue: TestQueue;
  /** The error events delivered so far, parsed (bounded wait: see `DrainOptions`, default two empty polls). */
  events(opts?: DrainOptions): Promise<PlatformErrorEvent[]>;
}

/**
 * A fresh errors topic whose deliveries are captured on a raw-delivery queue, named to this process as
 * the function's errors topic (`ErrorChannelEnv.topicArn`). The variable stays set: restore it with
 * `restoreEnvAfterEach([ErrorChannelEnv.topicArn])` or in the suite's own clean-up. The error channel
 * publishes through the runtime's SNS client, so point that (`setClients({ sns })`) at the emulator too.
 */
export async function captureErrorsTopic(
  c: TopicClients,
  opts: Pick<SubscribeOptions, "filterPolicy"> = {},
): Promise<CapturedErrors> {
  const t = await topicWithQueue(c, { ...opts, topicPrefix: "errors", queuePrefix: "errors" });
  process.env[ErrorChannelEnv.topicArn] = t.topicArn;
  return {
    ...t,
    events: async (drain) =>
      (await drainQueue(c.sqs, t.queue.url, drain)).map((m) => JSON.parse(m.Body!) as PlatformErrorEvent),
  };
}
