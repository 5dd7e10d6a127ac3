import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { ErrorChannelEnv } from "@sec-an/contracts";
import {
  awsClientConfig,
  captureErrorsTopic,
  createTestQueue,
  drainQueue,
  restoreEnvAfterEach,
  subscribedQueue,
  topicWithQueue,
} from "../src";

const c = { sqs: new SQSClient(awsClientConfig()), sns: new SNSClient(awsClientConfig()) };
afterAll(() => {
  c.sqs.destroy();
  c.sns.destroy();
});
restoreEnvAfterEach([ErrorChannelEnv.topicArn]);

const publish = (TopicArn: string, Message: string, kind?: string) =>
  c.sns.send(
    new PublishCommand({
      TopicArn,
      Message,
      MessageAttributes: kind ? { kind: { DataType: "String", StringValue: kind } } : undefined,
    }),
  );
const bodies = async (url: string) => (await drainQueue(c.sqs, url)).map((m) => m.Body);

describe("topics and queues on fauxqs", () => {
  it("createTestQueue makes distinct queues and reads back their ARNs", async () => {
    const a = await createTestQueue(c.sqs, "a");
    const b = await createTestQueue(c.sqs, "a");
    expect(a.url).not.toBe(b.url);
    expect(a.arn).toMatch(new RegExp(`^arn:aws:sqs:.*:${a.name}$`));
  });

  it("createTestQueue and subscribedQueue set the queue attributes they are given", async () => {
    const { queue } = await topicWithQueue(c, { queueAttributes: { VisibilityTimeout: "43200" } });
    const attrs = await c.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["VisibilityTimeout"] }),
    );
    expect(attrs.Attributes?.VisibilityTimeout).toBe("43200");
  });

  it("topicWithQueue delivers raw by default, and wrapped in the SNS envelope when raw is false", async () => {
    const raw = await topicWithQueue(c);
    const wrapped = await subscribedQueue(c, raw.topicArn, { raw: false });
    await publish(raw.topicArn, "hello");
    expect(await bodies(raw.queue.url)).toEqual(["hello"]);
    const [envelope] = await bodies(wrapped.url);
    expect(JSON.parse(envelope!)).toMatchObject({ Type: "Notification", Message: "hello" });
  });

  it("subscribedQueue applies a filter policy", async () => {
    const { topicArn, queue } = await topicWithQueue(c, { filterPolicy: { kind: ["keep"] } });
    await publish(topicArn, "dropped", "other");
    await publish(topicArn, "kept", "keep");
    expect(await bodies(queue.url)).toEqual(["kept"]);
  });

  it("captureErrorsTopic names its topic as the errors topic and parses what arrives", async () => {
    const errors = await captureErrorsTopic(c);
    expect(process.env[ErrorChannelEnv.topicArn]).toBe(errors.topicArn);
    await publish(errors.topicArn, JSON.stringify({ code: "internal", message: "boom" }));
    expect(await errors.events()).toEqual([{ code: "internal", message: "boom" }]);
    expect(await errors.events({ maxEmptyPolls: 1, waitSeconds: 0 })).toEqual([]);
  });
});
