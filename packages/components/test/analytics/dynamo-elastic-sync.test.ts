import { checkResources } from "@sec-an/policy";
import { resources, resourcesOfType, runProgram, setupPulumiMocks } from "@sec-an/testing";

setupPulumiMocks();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DynamoElasticSync } = require("../../src/analytics") as typeof import("../../src/analytics");

const STREAM =
  "arn:aws:dynamodb:us-east-1:123456789012:table/dev-sec-an-address-info/stream/2026-11-23T00:00:00.000";
const INGEST = "arn:aws:sqs:us-east-1:123456789012:dev-sec-an-analytics-ingest";

describe("DynamoElasticSync", () => {
  beforeEach(() => setupPulumiMocks());

  it("wires the stream to the sync Lambda with bisect, partial failures and an on-failure DLQ, least privilege", async () => {
    await runProgram(() => {
      new DynamoElasticSync("dev-sec-an-sync-address-info", {
        deployment: { app: "sec-an", stage: "dev" },
        streamArn: STREAM,
        task: "address_info",
        keyFields: ["Address"],
        diffColumn: "Hosts",
        ingestQueueArn: INGEST,
        deadLetterBucketArn: "arn:aws:s3:::dev-sec-an-dead-letters",
      });
    });
    expect(resourcesOfType("sec-an:analytics:DynamoElasticSync").map((r) => r.name)).toEqual([
      "dev-sec-an-sync-address-info",
    ]);
    const mappings = resourcesOfType("aws:lambda/eventSourceMapping:EventSourceMapping");
    const stream = mappings.find((m) => m.name === "dev-sec-an-sync-address-info-stream")!;
    const dlq = resourcesOfType("aws:sqs/queue:Queue").find(
      (q) => q.name === "dev-sec-an-sync-address-info-dlq",
    )!;
    expect(stream.inputs).toMatchObject({
      eventSourceArn: STREAM,
      startingPosition: "LATEST",
      batchSize: 100,
      functionResponseTypes: ["ReportBatchItemFailures"],
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 5,
      destinationConfig: { onFailure: { destinationArn: dlq.state.arn } },
    });
    expect(dlq.inputs.sqsManagedSseEnabled).toBe(true);
    const fn = resourcesOfType("aws:lambda/function:Function").find(
      (f) => f.name === "dev-sec-an-sync-address-info-function",
    )!;
    expect(fn.inputs.environment.variables).toMatchObject({
      SEC_AN_SYNC_TASK: "address_info",
      SEC_AN_SYNC_DOC_TYPE: "data",
      SEC_AN_SYNC_KEY_FIELDS: "Address",
      SEC_AN_SYNC_DIFF_COLUMN: "Hosts",
      SEC_AN_DLQ_URL: dlq.state.url,
      SEC_AN_STAGE: "dev",
    });
    const policy = JSON.parse(
      resourcesOfType("aws:iam/rolePolicy:RolePolicy").find(
        (p) => p.name === "dev-sec-an-sync-address-info-policy",
      )!.inputs.policy,
    );
    const bySid = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, s]));
    expect(bySid.ReadStream.Resource).toBe(STREAM);
    expect(bySid.ListStreams.Resource).toBe(
      "arn:aws:dynamodb:us-east-1:123456789012:table/dev-sec-an-address-info/stream/*",
    );
    expect(bySid.SendToIngest).toMatchObject({ Action: "sqs:SendMessage", Resource: INGEST });
    expect(bySid.SendDeadLetters.Resource).toBe(dlq.state.arn);
    expect(await checkResources(resources())).toEqual([]);
    for (const s of policy.Statement)
      expect(s.Action === "*" || (Array.isArray(s.Action) && s.Action.includes("*"))).toBe(false);
  });

  it("needs a key field", () => {
    expect(
      () =>
        new DynamoElasticSync("x", {
          deployment: { app: "sec-an", stage: "dev" },
          streamArn: STREAM,
          task: "t",
          keyFields: [],
          ingestQueueArn: INGEST,
        }),
    ).toThrow(/key field/);
  });
});
