import { qArn, r, violationsOf } from "./fixtures";

const Q = "aws:sqs/queue:Queue";
const dlq = (props: Record<string, unknown> = {}) =>
  r(Q, "work-dlq", {
    arn: qArn("work-dlq"),
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: 1209600,
    ...props,
  });
const work = (props: Record<string, unknown> = {}) =>
  r(Q, "work", {
    arn: qArn("work"),
    sqsManagedSseEnabled: true,
    visibilityTimeoutSeconds: 180,
    redrivePolicy: JSON.stringify({ deadLetterTargetArn: qArn("work-dlq"), maxReceiveCount: 3 }),
    ...props,
  });
const fn = (props: Record<string, unknown> = {}) =>
  r("aws:lambda/function:Function", "consumer", {
    name: "consumer",
    arn: "arn:aws:lambda:us-east-1:123456789012:function:consumer",
    timeout: 30,
    ...props,
  });
const esm = (props: Record<string, unknown> = {}) =>
  r("aws:lambda/eventSourceMapping:EventSourceMapping", "consumer-esm", {
    eventSourceArn: qArn("work"),
    functionName: "arn:aws:lambda:us-east-1:123456789012:function:consumer",
    functionResponseTypes: ["ReportBatchItemFailures"],
    ...props,
  });

describe("sqs-queue-encrypted", () => {
  test("passes SSE-SQS and KMS, catches unencrypted", async () => {
    expect(
      await violationsOf("sqs-queue-encrypted", [
        work(),
        dlq({ sqsManagedSseEnabled: undefined, kmsMasterKeyId: "alias/k" }),
      ]),
    ).toEqual([]);
    expect(await violationsOf("sqs-queue-encrypted", [work({ sqsManagedSseEnabled: false })])).toEqual([
      "work: queue is not encrypted: set sqsManagedSseEnabled: true or kmsMasterKeyId",
    ]);
  });
});

describe("sqs-redrive-and-dlq-retention", () => {
  const P = "sqs-redrive-and-dlq-retention";
  test("passes a queue with a redrive to a 14-day DLQ", async () => {
    expect(await violationsOf(P, [work(), dlq()])).toEqual([]);
  });
  test("catches a queue without redrive, a too-high maxReceiveCount and a short-lived DLQ", async () => {
    expect(await violationsOf(P, [work({ redrivePolicy: undefined })])).toEqual([
      "work: queue work has no redrivePolicy to a dead-letter queue",
    ]);
    const tooMany = work({
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: qArn("work-dlq"), maxReceiveCount: 10 }),
    });
    expect(await violationsOf(P, [tooMany, dlq()])).toEqual([
      "work: queue work redrive maxReceiveCount must be 1..5 (has 10)",
    ]);
    expect(await violationsOf(P, [work(), dlq({ messageRetentionSeconds: 345600 })])).toEqual([
      "work-dlq: dead-letter queue work-dlq must set messageRetentionSeconds: 1209600 (has 345600)",
    ]);
  });
  test("recognises DLQs of SNS subscriptions and Lambda functions", async () => {
    const sub = r("aws:sns/topicSubscription:TopicSubscription", "sub", {
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: qArn("work-dlq") }),
    });
    expect(await violationsOf(P, [sub, dlq()])).toEqual([]);
    const f = fn({ deadLetterConfig: { targetArn: qArn("work-dlq") } });
    expect(await violationsOf(P, [f, dlq({ messageRetentionSeconds: 60 })])).toEqual([
      "work-dlq: dead-letter queue work-dlq must set messageRetentionSeconds: 1209600 (has 60)",
    ]);
  });
});

describe("sqs-visibility-covers-lambda-timeout", () => {
  const P = "sqs-visibility-covers-lambda-timeout";
  test("passes visibility >= 6 x timeout", async () => {
    expect(await violationsOf(P, [work(), fn(), esm()])).toEqual([]);
  });
  test("catches a short visibility, joining by function name or ARN", async () => {
    const expected = ["work: queue work visibility 120s < 6 x timeout 30s of consumer (need >= 180s)"];
    expect(await violationsOf(P, [work({ visibilityTimeoutSeconds: 120 }), fn(), esm()])).toEqual(expected);
    expect(
      await violationsOf(P, [
        work({ visibilityTimeoutSeconds: 120 }),
        fn(),
        esm({ functionName: "consumer" }),
      ]),
    ).toEqual(expected);
    // defaults: 30 s visibility vs a 10 s function
    expect(
      await violationsOf(P, [work({ visibilityTimeoutSeconds: undefined }), fn({ timeout: 10 }), esm()]),
    ).toEqual(["work: queue work visibility 30s < 6 x timeout 10s of consumer (need >= 60s)"]);
  });
  test("skips mappings whose queue or function lives in another stack", async () => {
    expect(await violationsOf(P, [fn(), esm({ eventSourceArn: qArn("elsewhere") })])).toEqual([]);
  });
});

describe("sqs-event-source-reports-batch-item-failures", () => {
  const P = "sqs-event-source-reports-batch-item-failures";
  test("passes ReportBatchItemFailures, ignores non-SQS sources, catches a missing setting", async () => {
    expect(await violationsOf(P, [esm()])).toEqual([]);
    expect(
      await violationsOf(P, [
        esm({
          eventSourceArn: "arn:aws:dynamodb:us-east-1:1:table/t/stream/x",
          functionResponseTypes: undefined,
        }),
      ]),
    ).toEqual([]);
    expect(await violationsOf(P, [esm({ functionResponseTypes: [] })])).toEqual([
      'consumer-esm: SQS event source mapping must set functionResponseTypes: ["ReportBatchItemFailures"]',
    ]);
  });
});
