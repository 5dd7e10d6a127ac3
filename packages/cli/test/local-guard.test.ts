import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { Attr } from "@sec-an/contracts";
import { awsClientConfig, uniqueName } from "@sec-an/testing";
import { sqsPoller } from "../src/local/bridges";
import type { LocalInvoker } from "../src/local/invoker";
import type { LocalClients } from "../src/local/provision";
import { loopbackGuard } from "../src/local/targets";

/**
 * The local run's scan queues (the TLS scanner's among them) refuse a message naming a non-loopback
 * target before any handler sees it, and dead-letter it with the reason; loopback work goes through.
 */
const sqs = new SQSClient(awsClientConfig());
afterAll(() => sqs.destroy());

it("dead-letters a port event for a remote address with its reason, and scans only the loopback one", async () => {
  const queue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("ssl-tasks") }))).QueueUrl!;
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("ssl-tasks-dlq") }))).QueueUrl!;
  const arn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue, AttributeNames: ["QueueArn"] }))
  ).Attributes!.QueueArn!;
  const event = (address: string) =>
    JSON.stringify({ kind: "port-detected", address, port: 443, protocol: "tcp" });
  await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: event("10.20.30.40") }));
  await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: event("127.0.0.1") }));

  const seen: string[] = [];
  const invoker = {
    invoke: async (_ref: string, e: { Records: { body: string }[] }) => {
      seen.push(...e.Records.map((r) => JSON.parse(r.body).address as string));
      return { ok: true, result: { batchItemFailures: [] }, ms: 0 };
    },
  } as unknown as LocalInvoker;
  const poller = sqsPoller({ sqs } as unknown as LocalClients, invoker, "ssl-scan", queue, arn, 10, {
    refuse: loopbackGuard(false),
    deadLetterUrl: dlq,
  });
  const dead = [];
  for (let i = 0; i < 20 && (seen.length < 1 || dead.length < 1); i++) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }),
    );
    dead.push(...(r.Messages ?? []));
  }
  await poller.stop();

  expect(seen).toEqual(["127.0.0.1"]);
  expect(dead).toHaveLength(1);
  expect(JSON.parse(dead[0].Body!).address).toBe("10.20.30.40");
  expect(dead[0].MessageAttributes?.[Attr.errorCode]?.StringValue).toBe("remote-target");
  expect(dead[0].MessageAttributes?.[Attr.errorMessage]?.StringValue).toMatch(/not loopback.*--allow-remote/);
  const left = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, WaitTimeSeconds: 0 }));
  expect(left.Messages ?? []).toEqual([]);
});
