import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { resources, runProgram, setupPulumiMocks } from "@sec-an/testing";
import { checkResources } from "../src";

describe("checkResources over mock-recorded resources", () => {
  beforeEach(() => setupPulumiMocks());

  test("joins a real queue/DLQ pair through mock ARNs and reports the unencrypted, redrive-less one", async () => {
    await runProgram(() => {
      const dlq = new aws.sqs.Queue("jobs-dlq", {
        sqsManagedSseEnabled: true,
        messageRetentionSeconds: 1209600,
        redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }),
      });
      new aws.sqs.Queue("jobs", {
        sqsManagedSseEnabled: true,
        redrivePolicy: dlq.arn.apply((deadLetterTargetArn) =>
          JSON.stringify({ deadLetterTargetArn, maxReceiveCount: 5 }),
        ),
      });
      new aws.sqs.Queue("loose", {});
    });
    expect(await checkResources(resources())).toEqual([
      {
        policy: "sqs-queue-encrypted",
        type: "aws:sqs/queue:Queue",
        name: "loose",
        message: "queue is not encrypted: set sqsManagedSseEnabled: true or kmsMasterKeyId",
      },
      {
        policy: "sqs-redrive-and-dlq-retention",
        type: "aws:sqs/queue:Queue",
        name: "loose",
        message: "queue loose has no redrivePolicy to a dead-letter queue",
      },
      {
        policy: "cloudwatch-dlq-depth-alarmed",
        type: "aws:sqs/queue:Queue",
        name: "jobs-dlq",
        message: "dead-letter queue jobs-dlq has no alarm on ApproximateNumberOfMessagesVisible",
      },
    ]);
  });

  test("runs typed @pulumi/policy helpers, skipping other types via notApplicable", async () => {
    const typed: ResourceValidationPolicy = {
      name: "topic-named",
      description: "test",
      enforcementLevel: "mandatory",
      validateResource: validateResourceOfType(aws.sns.Topic, (topic, _args, report) => {
        if (!topic.name) report("no name");
      }),
    };
    const records = [
      { type: "aws:sns/topic:Topic", name: "t", inputs: {} },
      { type: "aws:sqs/queue:Queue", name: "q", inputs: {} },
    ];
    expect(await checkResources(records, [typed])).toEqual([
      { policy: "topic-named", type: "aws:sns/topic:Topic", name: "t", message: "no name" },
    ]);
  });
});

describe("checkResources stack view", () => {
  test("links recorded parents into PolicyResource.parent", async () => {
    const seen: Array<[string, string | undefined]> = [];
    const probe = {
      name: "probe",
      description: "records parents",
      enforcementLevel: "mandatory" as const,
      validateStack: (args: { resources: Array<{ name: string; parent?: { name: string } }> }) => {
        for (const r of args.resources) seen.push([r.name, r.parent?.name]);
      },
    };
    await checkResources(
      [
        { type: "sec-an:x:Box", name: "box", inputs: {} },
        { type: "aws:sqs/queue:Queue", name: "q", inputs: {}, parent: { type: "sec-an:x:Box", name: "box" } },
      ],
      [probe],
    );
    expect(seen).toEqual([
      ["box", undefined],
      ["q", "box"],
    ]);
  });
});
