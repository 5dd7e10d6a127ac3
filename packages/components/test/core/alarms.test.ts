import { resourceKeys, resources, resourcesOfType, settle, setupPulumiMocks, unwrap } from "@sec-an/testing";
import {
  AlarmTopic,
  type AlarmSpec,
  alarmTargets,
  deadLetterAlarm,
  domainAlarms,
  jsonLogPattern,
  logPatternAlarm,
  matchesJsonLogPattern,
  metricAlarm,
  notificationsTopicArn,
  notificationsTopicName,
} from "../../src/core";
import { ACCOUNT, deployment, record } from "./helpers";

const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:ops`;

describe("alarms", () => {
  beforeEach(() => setupPulumiMocks());

  it("names the notifications topic from the deployment and derives its ARN in this account and region", async () => {
    expect(notificationsTopicName(deployment)).toBe("test-sec-an-notifications");
    expect(await unwrap(notificationsTopicArn(deployment))).toBe(
      `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-notifications`,
    );
    expect(await unwrap(alarmTargets(deployment, undefined)[0])).toBe(
      `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-notifications`,
    );
    expect(alarmTargets(deployment, [TOPIC])).toEqual([TOPIC]);
    expect(alarmTargets(undefined, undefined)).toEqual([]);
    expect(() => alarmTargets(deployment, [])).toThrow("alarmActions is empty");
  });

  it("refuses an alarm nobody would hear", async () => {
    expect(() => metricAlarm("deaf", deadLetterAlarm("q"), [], undefined, {})).toThrow(
      "alarm deaf has no actions: nobody would hear it",
    );
    const spec = deadLetterAlarm("q");
    const queries = spec.metricQueries as { returnData?: boolean }[];
    const everyOneReturns = {
      ...spec,
      metricQueries: queries.map((q) => ({ ...q, returnData: undefined })),
    } as AlarmSpec;
    expect(() => metricAlarm("noisy", everyOneReturns, [TOPIC], undefined, {})).toThrow(
      "alarm noisy: exactly one metric query must return data, 3 do",
    );
    await settle();
    expect(resources()).toEqual([]);
  });

  it("counts dead letters waiting or received, so a recorder draining its queue between samples still alarms", async () => {
    metricAlarm("q-alarm", deadLetterAlarm("q"), [TOPIC], { app: "sec-an" }, {});
    expect((await record("aws:cloudwatch/metricAlarm:MetricAlarm", "q-alarm")).inputs).toEqual({
      alarmDescription:
        "Dead letters in q: see the Dead Letters view, or the queue itself if nothing consumes it",
      metricQueries: [
        {
          id: "waiting",
          metric: {
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: "q" },
            period: 60,
            stat: "Maximum",
          },
          returnData: false,
        },
        {
          id: "received",
          metric: {
            namespace: "AWS/SQS",
            metricName: "NumberOfMessagesReceived",
            dimensions: { QueueName: "q" },
            period: 60,
            stat: "Sum",
          },
          returnData: false,
        },
        {
          id: "letters",
          expression: "FILL(waiting, 0) + FILL(received, 0)",
          label: "Dead letters waiting or received",
          returnData: true,
        },
      ],
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      actionsEnabled: true,
      alarmActions: [TOPIC],
      tags: { app: "sec-an" },
    });
  });

  it("watches a domain for red, a yellow lasting 5 minutes, and low storage on its emptiest node", async () => {
    const specs = domainAlarms("search", ACCOUNT, 2560);
    for (const [k, spec] of Object.entries(specs)) metricAlarm(`search-${k}`, spec, [TOPIC], undefined, {});
    const inputs = async (n: string) => (await record("aws:cloudwatch/metricAlarm:MetricAlarm", n)).inputs;
    const dims = { DomainName: "search", ClientId: ACCOUNT };
    expect(await inputs("search-red")).toMatchObject({
      namespace: "AWS/ES",
      metricName: "ClusterStatus.red",
      dimensions: dims,
      statistic: "Maximum",
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    expect(await inputs("search-yellow")).toMatchObject({
      metricName: "ClusterStatus.yellow",
      dimensions: dims,
      period: 60,
      evaluationPeriods: 5,
    });
    expect(await inputs("search-lowStorage")).toMatchObject({
      metricName: "FreeStorageSpace",
      dimensions: dims,
      statistic: "Minimum",
      threshold: 2560,
      comparisonOperator: "LessThanOrEqualToThreshold",
      alarmActions: [TOPIC],
    });
    expect(() => domainAlarms("search", ACCOUNT, 0)).toThrow("lowStorageMiB must be above 0");
  });

  it("makes a topic alarms can notify: own rotated key, only this account's alarms in its region publish", async () => {
    const t = new AlarmTopic("ops", { topicName: "ops-alarms", emails: ["a@example.com"] });
    await settle();
    expect(resourceKeys()).toEqual([
      "aws:kms/alias:Alias::ops-key-alias",
      "aws:kms/key:Key::ops-key",
      "aws:sns/topic:Topic::ops",
      "aws:sns/topicPolicy:TopicPolicy::ops-policy",
      // Named by its endpoint's hash, so reordering the list replaces no subscription.
      expect.stringMatching(/^aws:sns\/topicSubscription:TopicSubscription::ops-email-[0-9a-f]{12}$/),
      "sec-an:core:AlarmTopic::ops",
    ]);
    const policy = JSON.parse((await record("aws:sns/topicPolicy:TopicPolicy", "ops-policy")).inputs.policy);
    expect(policy.Statement.map((x: { Principal: unknown }) => x.Principal)).toEqual([
      { Service: "cloudwatch.amazonaws.com" },
    ]);
    expect(policy.Statement[0].Condition.ArnLike["aws:SourceArn"]).toBe(
      `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*`,
    );
    const key = JSON.parse((await record("aws:kms/key:Key", "ops-key")).inputs.policy);
    expect(key.Statement.map((x: { Sid: string }) => x.Sid)).toEqual([
      "AccountAdministersKey",
      "AlarmsEncryptForTopic",
    ]);
    expect(await unwrap(t.arn)).toBe(`arn:aws:sns:us-east-1:${ACCOUNT}:ops-alarms`);
  });

  it("turns a structured log line into a metric filter and an alarm on its count", async () => {
    const pattern = jsonLogPattern({ message: "input sent to the DLQ", code: "rejected" });
    expect(pattern).toBe('{ $.message = "input sent to the DLQ" && $.code = "rejected" }');
    logPatternAlarm(
      "ingest-rejected",
      {
        logGroupName: "/aws/lambda/ingest",
        pattern,
        metricName: "Rejected",
        description: "rejected",
        actions: [TOPIC],
      },
      {},
    );
    await settle();
    expect(resourceKeys({ sorted: false })).toEqual([
      "aws:cloudwatch/logMetricFilter:LogMetricFilter::ingest-rejected-filter",
      "aws:cloudwatch/metricAlarm:MetricAlarm::ingest-rejected",
    ]);
    const filter = await record("aws:cloudwatch/logMetricFilter:LogMetricFilter", "ingest-rejected-filter");
    expect(filter.inputs).toEqual({
      logGroupName: "/aws/lambda/ingest",
      pattern,
      metricTransformation: {
        namespace: "sec-an/aws/lambda/ingest",
        name: "Rejected",
        value: "1",
        unit: "Count",
      },
    });
    expect(resourcesOfType("aws:cloudwatch/metricAlarm:MetricAlarm")[0].inputs).toMatchObject({
      namespace: "sec-an/aws/lambda/ingest",
      metricName: "Rejected",
      statistic: "Sum",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      alarmActions: [TOPIC],
    });
    // A quote would end the pattern's string early; a key with punctuation is not a JSON selector.
    expect(() => jsonLogPattern({ message: 'say "hi"' })).toThrow("cannot hold a quote");
    expect(() => jsonLogPattern({ "a.b": "x" })).toThrow("is not a plain key");
    expect(() => jsonLogPattern({})).toThrow("at least one field");
    const fields = { message: "input sent to the DLQ", code: "rejected" };
    expect(
      matchesJsonLogPattern(fields, '{"level":"WARN","message":"input sent to the DLQ","code":"rejected"}'),
    ).toBe(true);
    expect(matchesJsonLogPattern(fields, '{"message":"input sent to the DLQ","code":"malformed"}')).toBe(
      false,
    );
    expect(matchesJsonLogPattern(fields, "input sent to the DLQ rejected")).toBe(false);
    expect(matchesJsonLogPattern(fields, "null")).toBe(false);
  });
});
