import { ACCT, qArn, r, violationsOf } from "./fixtures";

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

describe("sqs-one-policy-per-queue", () => {
  const P = "sqs-one-policy-per-queue";
  const topic = (n: string) => `arn:aws:sns:us-east-1:${ACCT}:${n}`;
  const url = `https://sqs.us-east-1.amazonaws.com/${ACCT}/work`;
  const queuePolicy = (name: string, topics: string[], condition = "ArnEquals") =>
    r("aws:sqs/queuePolicy:QueuePolicy", name, {
      queueUrl: url,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: qArn("work"),
            Condition: { [condition]: { "aws:SourceArn": topics } },
          },
        ],
      }),
    });
  const sub = (name: string, t: string, endpoint = qArn("work")) =>
    r("aws:sns/topicSubscription:TopicSubscription", name, { topic: t, protocol: "sqs", endpoint });
  const queue = work({ url });

  test("passes one policy allowing every subscribed topic (exact or by pattern)", async () => {
    const both = [topic("scan-initiator"), topic("ports")];
    expect(
      await violationsOf(P, [
        queue,
        dlq(),
        queuePolicy("work-policy", both),
        sub("init", both[0]),
        sub("ports", both[1]),
      ]),
    ).toEqual([]);
    expect(
      await violationsOf(P, [
        queue,
        queuePolicy("work-policy", [topic("*")], "ArnLike"),
        sub("init", topic("scan-initiator")),
      ]),
    ).toEqual([]);
  });

  test("catches two policies on one queue, as a task subscribed to two topics through two components made", async () => {
    expect(
      await violationsOf(P, [
        queue,
        queuePolicy("work-policy", [topic("scan-initiator")]),
        queuePolicy("ports-queue-policy", [topic("ports")]),
        sub("init", topic("scan-initiator")),
        sub("ports", topic("ports")),
      ]),
    ).toEqual([
      `ports-queue-policy: queue ${qArn("work")} has 2 QueuePolicy resources (work-policy, ports-queue-policy); AWS keeps one, so the others' senders stop delivering: merge them into one`,
    ]);
  });

  test("catches a subscription whose topic the queue's policy does not allow, or a queue with no policy", async () => {
    expect(
      await violationsOf(P, [
        queue,
        queuePolicy("work-policy", [topic("scan-initiator")]),
        sub("ports", topic("ports")),
      ]),
    ).toEqual([
      `ports: subscription ports: no policy of queue ${qArn("work")} lets topic ${topic("ports")} send, so SNS delivers nothing`,
    ]);
    expect(await violationsOf(P, [queue, sub("ports", topic("ports"))])).toEqual([
      `ports: subscription ports: no policy of queue ${qArn("work")} lets topic ${topic("ports")} send, so SNS delivers nothing`,
    ]);
  });

  test("leaves queues of other stacks to their own stack", async () => {
    expect(await violationsOf(P, [sub("ingest", topic("results"), qArn("elsewhere"))])).toEqual([]);
  });
});
