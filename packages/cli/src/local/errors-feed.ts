import { SubscribeCommand, type SNSClient } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import {
  ErrorChannelEnv,
  PlatformErrorEvent,
  errorsTopicName,
  isValid,
  type Deployment,
} from "@sec-an/contracts";
import type { Translation } from "./provision";
import type { LocalTopology } from "./topology";

/**
 * `sec-an local` shows the error channel as it happens: a queue of its own subscribes to the local
 * errors topic (the one shared-infra's program declares), each platform error event is printed as it
 * arrives, and the run ends with the list.
 */
export interface ErrorsFeed {
  readonly events: readonly PlatformErrorEvent[];
  /** Stop polling, print the list, delete the feed's queue. */
  stop(): Promise<void>;
}

// Terminal control characters in a hostile value (a target, a reason) must not reach the operator's terminal.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const clean = (v: string, max = 300) => {
  const s = v.replace(CONTROL, " ");
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

/** One line for an event: what failed, why, and where the input went. */
export function formatErrorEvent(e: PlatformErrorEvent): string {
  const where = [e.task, e.container, e.scanId && `scan ${e.scanId}`].filter(Boolean).join(", ");
  return clean(
    `${e.service} [${where}] ${e.code}: ${e.message}${e.dlq ? ` (→ ${e.dlq.split("/").pop()})` : ""}`,
    500,
  );
}

/** The emulator ARN of the deployment's errors topic, when the local topology has one. */
export function localErrorsTopic(t: LocalTopology, tr: Translation, d: Deployment): string | undefined {
  const topic = t.topics.find((x) => x.name === errorsTopicName(d));
  return topic && tr.get(topic.mockArn);
}

export interface ErrorsFeedOptions {
  clients: { sqs: SQSClient; sns: SNSClient };
  /** The errors topic on the emulator; without one the feed only says so. */
  topicArn: string | undefined;
  log: (line: string) => void;
}

/** Subscribe a fresh queue to the errors topic and print each event as it arrives, until `stop()`. */
export async function startErrorsFeed(o: ErrorsFeedOptions): Promise<ErrorsFeed> {
  const events: PlatformErrorEvent[] = [];
  if (!o.topicArn) {
    o.log("error channel: no errors topic in the local topology; error events are not shown");
    return { events, stop: async () => undefined };
  }
  const { sqs, sns } = o.clients;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `sec-an-local-errors-feed-${process.pid}-${Date.now()}` }),
  );
  const url = QueueUrl!;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: o.topicArn,
      Protocol: "sqs",
      Endpoint: Attributes!.QueueArn!,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );
  // Reports from the local runner itself (a refused target, a failed asynchronous invocation) go there too.
  const previous = process.env[ErrorChannelEnv.topicArn];
  process.env[ErrorChannelEnv.topicArn] = o.topicArn;

  let stopping = false;
  const ac = new AbortController();
  /** One receive; what it gets is recorded, printed and deleted. Returns how many messages came. */
  const receive = async (waitSeconds: number, signal?: AbortSignal): Promise<number> => {
    const r = await sqs.send(
      // Visibility 0: a message a cut-short poll took stays visible for the final read (one reader,
      // which deletes what it lists before it receives again, so nothing is listed twice).
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: 0,
      }),
      { abortSignal: signal },
    );
    for (const m of r.Messages ?? []) {
      let event: unknown;
      try {
        event = JSON.parse(m.Body ?? "");
      } catch {
        event = undefined;
      }
      if (isValid(PlatformErrorEvent, event)) {
        events.push(event);
        o.log(`error event: ${formatErrorEvent(event)}`);
      } else o.log(`error channel: a message that is not an error event: ${clean(m.Body ?? "", 200)}`);
    }
    if (r.Messages?.length)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    return r.Messages?.length ?? 0;
  };
  const poll = async () => {
    while (!stopping) {
      try {
        await receive(1, ac.signal);
      } catch (e) {
        if (stopping) break;
        o.log(`error channel: ${(e as Error).message}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    }
  };
  const loop = poll();

  return {
    events,
    stop: async () => {
      // The long poll is cut short (the run has settled: waiting it out only delays the exit), then the
      // queue is read without waiting until empty, so an event published at the very end is still listed.
      stopping = true;
      ac.abort();
      await loop;
      for (let i = 0; i < 10; i++) if (!(await receive(0).catch(() => 0))) break;
      if (previous === undefined) delete process.env[ErrorChannelEnv.topicArn];
      else process.env[ErrorChannelEnv.topicArn] = previous;
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      o.log(`error events during the run: ${events.length}`);
      for (const e of events) o.log(`  ${e.time}  ${formatErrorEvent(e)}`);
    },
  };
}
