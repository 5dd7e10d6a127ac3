import { qArn, r, violationsOf } from "./fixtures";

const P = "cloudwatch-dlq-depth-alarmed";
const Q = "aws:sqs/queue:Queue";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:dev-sec-an-notifications";

const queue = (name: string, props: Record<string, unknown> = {}) =>
  r(Q, name, { name, arn: qArn(name), sqsManagedSseEnabled: true, ...props });
const work = queue("work", {
  redrivePolicy: JSON.stringify({ deadLetterTargetArn: qArn("work-dlq"), maxReceiveCount: 3 }),
});
const MARK = { redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }) };
const workDlq = queue("work-dlq", { messageRetentionSeconds: 1209600, ...MARK });
const depthAlarm = (queueName: string, props: Record<string, unknown> = {}) =>
  r(ALARM, `${queueName}-alarm`, {
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: queueName },
    alarmActions: [TOPIC],
    ...props,
  });
/** The metric-math form the components use: depth and receives summed. */
const mathAlarm = (queueName: string) =>
  r(ALARM, `${queueName}-math`, {
    metricQueries: [
      {
        id: "waiting",
        metric: {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: queueName },
        },
      },
      {
        id: "received",
        metric: {
          namespace: "AWS/SQS",
          metricName: "NumberOfMessagesReceived",
          dimensions: { QueueName: queueName },
        },
      },
      { id: "letters", expression: "FILL(waiting, 0) + FILL(received, 0)", returnData: true },
    ],
    alarmActions: [TOPIC],
  });

describe(P, () => {
  test("passes when every DLQ has a depth alarm with an action (plain metric or metric math)", async () => {
    expect(await violationsOf(P, [work, workDlq, depthAlarm("work-dlq")])).toEqual([]);
    expect(await violationsOf(P, [work, workDlq, mathAlarm("work-dlq")])).toEqual([]);
    // A work queue is not a DLQ: it needs no depth alarm.
    expect(await violationsOf(P, [work, workDlq, depthAlarm("work-dlq")])).not.toContain(
      expect.stringMatching(/^work:/),
    );
  });

  test("fails a DLQ without an alarm, with an alarm on another metric or queue, or with no action", async () => {
    expect(await violationsOf(P, [work, workDlq])).toEqual([
      "work-dlq: dead-letter queue work-dlq has no alarm on ApproximateNumberOfMessagesVisible",
    ]);
    expect(
      await violationsOf(P, [
        work,
        workDlq,
        depthAlarm("work-dlq", { metricName: "ApproximateAgeOfOldestMessage" }),
        depthAlarm("work"),
      ]),
    ).toEqual(["work-dlq: dead-letter queue work-dlq has no alarm on ApproximateNumberOfMessagesVisible"]);
    const deaf = "work-dlq: dead-letter queue work-dlq: no alarm on its depth has an alarm action";
    expect(await violationsOf(P, [work, workDlq, depthAlarm("work-dlq", { alarmActions: [] })])).toEqual([
      deaf,
    ]);
    expect(
      await violationsOf(P, [work, workDlq, depthAlarm("work-dlq", { alarmActions: undefined })]),
    ).toEqual([deaf]);
    expect(await violationsOf(P, [work, workDlq, depthAlarm("work-dlq", { actionsEnabled: false })])).toEqual(
      [deaf],
    );
  });

  test("finds DLQs by every way they are named: Lambda and EventBridge dead-letter configs, redrive-allow marks", async () => {
    const fnDlq = queue("fn-failed", { messageRetentionSeconds: 1209600, ...MARK });
    const ruleDlq = queue("rule-failed", { messageRetentionSeconds: 1209600, ...MARK });
    const marked = queue("marked-dlq", {
      messageRetentionSeconds: 1209600,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }),
    });
    const fn = r("aws:lambda/function:Function", "fn", {
      deadLetterConfig: { targetArn: qArn("fn-failed") },
    });
    const target = r("aws:cloudwatch/eventTarget:EventTarget", "t", {
      deadLetterConfig: { arn: qArn("rule-failed") },
    });
    expect(await violationsOf(P, [fnDlq, ruleDlq, marked, fn, target])).toEqual([
      "fn-failed: dead-letter queue fn-failed has no alarm on ApproximateNumberOfMessagesVisible",
      "rule-failed: dead-letter queue rule-failed has no alarm on ApproximateNumberOfMessagesVisible",
      "marked-dlq: dead-letter queue marked-dlq has no alarm on ApproximateNumberOfMessagesVisible",
    ]);
    expect(
      await violationsOf(P, [
        fnDlq,
        ruleDlq,
        marked,
        fn,
        target,
        depthAlarm("fn-failed"),
        mathAlarm("rule-failed"),
        depthAlarm("marked-dlq"),
      ]),
    ).toEqual([]);
  });

  test("a queue known to be a dead-letter target must carry a redriveAllowPolicy", async () => {
    const bare = queue("work-dlq", { messageRetentionSeconds: 1209600 });
    expect(await violationsOf(P, [work, bare, depthAlarm("work-dlq")])).toEqual([
      "work-dlq: dead-letter queue work-dlq has no redriveAllowPolicy: before deployment nothing else marks it as one",
    ]);
  });

  describe("in a preview, where the ARNs of new resources are unknown", () => {
    // What a preview shows: no queue ARN, and a redrive policy or dead-letter config whose ARN is unknown.
    const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const preview = (q: ReturnType<typeof queue>) => ({ ...q, inputs: { ...q.inputs, arn: undefined } });
    const newWork = preview(queue("work", { redrivePolicy: UNKNOWN_STRING }));
    const fn = r("aws:lambda/function:Function", "fn", { deadLetterConfig: { targetArn: UNKNOWN_STRING } });

    test("marked DLQs are still found and checked for an alarm", async () => {
      expect(await violationsOf(P, [newWork, preview(workDlq), fn])).toEqual([
        "work-dlq: dead-letter queue work-dlq has no alarm on ApproximateNumberOfMessagesVisible",
      ]);
      expect(await violationsOf(P, [newWork, preview(workDlq), fn, depthAlarm("work-dlq")])).toEqual([]);
    });

    test("an unknown target while some queue is unmarked is flagged on the resource naming it", async () => {
      const unmarked = preview(queue("fn-failed", { messageRetentionSeconds: 1209600 }));
      expect(
        await violationsOf(P, [newWork, preview(workDlq), fn, unmarked, depthAlarm("work-dlq")]),
      ).toEqual([
        "work: work's dead-letter target is not known yet and queue(s) fn-failed have no redriveAllowPolicy: mark every dead-letter queue with one so its alarm can be checked",
        "fn: fn's dead-letter target is not known yet and queue(s) fn-failed have no redriveAllowPolicy: mark every dead-letter queue with one so its alarm can be checked",
      ]);
    });
  });
});
