import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { Attr } from "@sec-an/contracts";
import { emulatorEndpoints, awsClientConfig, uniqueName } from "@sec-an/testing";
import { LAUNCHER_CONFIG_ENV } from "@sec-an/runtime";
import { defaultLauncherEntry } from "../../src/task";
import { loadBundle } from "./helpers";

/**
 * The artifact EcsTask deploys, not the source: the runtime's default launcher bundled exactly as
 * LambdaFunction bundles it, loaded as CommonJS (with `@aws-sdk/*` external, as on nodejs22.x), and
 * invoked with the environment the component sets. A malformed request must reach the DLQ on fauxqs.
 */
describe("bundled default launcher", () => {
  const sqs = new SQSClient(awsClientConfig());
  // The bundle runs outside jest's sandbox: it sees the real process, whose environment jest does not share.
  let realEnv: NodeJS.ProcessEnv;
  let saved: NodeJS.ProcessEnv;
  let dlqUrl: string;

  beforeAll(async () => {
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("launcher-bundle-dlq") })))
      .QueueUrl!;
  });
  afterAll(async () => {
    if (realEnv) {
      for (const k of Object.keys(realEnv)) if (!(k in saved)) delete realEnv[k];
      Object.assign(realEnv, saved);
    }
    await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
    sqs.destroy();
  });

  it("loads, reads its config from the environment and dead-letters a malformed request", async () => {
    const bundle = loadBundle<{ handler: (e: SQSEvent) => Promise<SQSBatchResponse> }>(
      defaultLauncherEntry(),
    );
    const handler = bundle.exports.handler;
    expect(typeof handler).toBe("function");

    realEnv = bundle.env;
    saved = { ...realEnv };
    Object.assign(realEnv, {
      AWS_ENDPOINT_URL: emulatorEndpoints().aws,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      [LAUNCHER_CONFIG_ENV]: JSON.stringify({
        task: "nmap",
        cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/c",
        subnets: ["subnet-a"],
        securityGroups: ["sg-1"],
        assignPublicIp: false,
        resultsBucket: "raw",
        deadLetterQueueUrl: dlqUrl,
        providers: {
          nmap: {
            taskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/n:1",
            container: "nmap",
          },
        },
        defaultProvider: "nmap",
      }),
    });
    const record = {
      messageId: "11111111-2222-4333-8444-555555555555",
      receiptHandle: "rh",
      body: "not json",
      attributes: {} as SQSEvent["Records"][number]["attributes"],
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:task-queue",
      awsRegion: "us-east-1",
    };
    expect(await handler({ Records: [record] })).toEqual({ batchItemFailures: [] });

    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageAttributeNames: ["All"], WaitTimeSeconds: 0 }),
    );
    expect(got.Messages?.map((m) => [m.Body, m.MessageAttributes?.[Attr.errorCode]?.StringValue])).toEqual([
      ["not json", "MalformedRequest"],
    ]);
  });
});
