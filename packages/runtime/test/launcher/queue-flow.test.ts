import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { Attr, Env } from "@sec-an/contracts";
import { awsClientConfig, uniqueName } from "@sec-an/testing";
import { makeLauncherHandler, type LauncherConfig } from "../../src/launcher";

/**
 * The launcher behind a real task queue (fauxqs) with a redrive policy, driven the way the Lambda
 * event source mapping drives it: receive, invoke, delete what succeeded, let failures become visible
 * again. Proves the whole promise: started scans are consumed, failed launches are retried and on
 * their last attempt dead-lettered with the error, permanent errors are dead-lettered at once with
 * their reason — nothing is lost, and nothing reaches the DLQ without a reason.
 */
describe("launcher on a real queue with redrive", () => {
  const sqs = new SQSClient(awsClientConfig());
  const ecs = new ECSClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  const ecsMock = mockClient(ecs);
  const created: string[] = [];

  const saved = process.env[Env.maxReceiveCount];
  afterAll(async () => {
    if (saved === undefined) delete process.env[Env.maxReceiveCount];
    else process.env[Env.maxReceiveCount] = saved;
    for (const url of created) await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    sqs.destroy();
    ecsMock.restore();
  });

  async function queue(name: string, attributes: Record<string, string> = {}) {
    const url = (
      await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(name), Attributes: attributes }))
    ).QueueUrl!;
    created.push(url);
    const arn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))
    ).Attributes!.QueueArn!;
    return { url, arn };
  }

  const toRecord = (m: Message, arn: string): SQSRecord => ({
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body!,
    attributes: m.Attributes as unknown as SQSRecord["attributes"],
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        { dataType: v.DataType!, stringValue: v.StringValue, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: m.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: arn,
    awsRegion: "us-east-1",
  });

  it("consumes started scans, retries failed launches then dead-letters them with the error, dead-letters unknown providers at once", async () => {
    const dlq = await queue("flow-dlq");
    const tq = await queue("flow-task", {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    const config: LauncherConfig = {
      task: "nmap",
      cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/c",
      subnets: ["subnet-a"],
      securityGroups: ["sg-1"],
      assignPublicIp: false,
      resultsBucket: "raw",
      deadLetterQueueUrl: dlq.url,
      providers: {
        nmap: { taskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/n:1", container: "nmap" },
      },
      defaultProvider: "nmap",
    };
    // What EcsTask puts in the launcher's environment: the task queue's maxReceiveCount.
    process.env[Env.maxReceiveCount] = "2";
    const handler = makeLauncherHandler({ config: () => config, ecs: () => ecs, sqs: () => sqs });
    // The target decides the ECS outcome: 127.0.0.99 never gets capacity.
    ecsMock.on(RunTaskCommand).callsFake((input) => {
      const env = input.overrides.containerOverrides[0].environment as { name: string; value: string }[];
      const req = JSON.parse(env.find((e) => e.name === "SCAN_REQUEST")!.value);
      return req.target === "127.0.0.99"
        ? { failures: [{ reason: "RESOURCE:ENI" }] }
        : { tasks: [{ taskArn: "arn:task/1" }] };
    });

    const send = (target: string, attrs: Record<string, string> = {}) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: tq.url,
          MessageBody: JSON.stringify({ target, requestedAt: "2026-11-23T10:00:00Z" }),
          MessageAttributes: Object.fromEntries(
            Object.entries(attrs).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
          ),
        }),
      );
    await send("127.0.0.1");
    await send("127.0.0.2", { [Attr.provider]: "sonar" });
    await send("127.0.0.99");

    // Poll like the event source mapping, bounded: at most 6 rounds.
    for (let round = 0; round < 6; round++) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: tq.url,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ["All"],
          AttributeNames: ["All"],
          WaitTimeSeconds: 0,
        }),
      );
      const messages = got.Messages ?? [];
      if (messages.length === 0) break;
      const { batchItemFailures } = await handler({ Records: messages.map((m) => toRecord(m, tq.arn)) });
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of messages) {
        if (failed.has(m.MessageId!)) {
          await sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: tq.url,
              ReceiptHandle: m.ReceiptHandle!,
              VisibilityTimeout: 0,
            }),
          );
        } else {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: tq.url, ReceiptHandle: m.ReceiptHandle! }));
        }
      }
    }

    const dead =
      (
        await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlq.url,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ["All"],
            WaitTimeSeconds: 0,
          }),
        )
      ).Messages ?? [];
    const byTarget = Object.fromEntries(
      dead.map((m) => [
        JSON.parse(m.Body!).target,
        [
          m.MessageAttributes?.[Attr.errorCode]?.StringValue ?? "redriven",
          m.MessageAttributes?.[Attr.errorMessage]?.StringValue?.slice(0, 47),
        ],
      ]),
    );
    expect(byTarget).toEqual({
      "127.0.0.2": ["UnknownProvider", expect.any(String)],
      "127.0.0.99": ["retries-exhausted", "LaunchFailedError: RunTask started no task for "],
    });
    // One launch for the good request, two attempts (maxReceiveCount) for the failing one, none for the unknown provider.
    const targets = ecsMock.commandCalls(RunTaskCommand).map((c) => {
      const env = c.args[0].input.overrides!.containerOverrides![0].environment!;
      return JSON.parse(env.find((e) => e.name === "SCAN_REQUEST")!.value!).target;
    });
    expect(targets.sort()).toEqual(["127.0.0.1", "127.0.0.99", "127.0.0.99"]);
  });
});
