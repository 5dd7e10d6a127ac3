import { Env } from "@sec-an/contracts";
import { resourceKeys, resources, resourcesOfType, settle, setupPulumiMocks, unwrap } from "@sec-an/testing";
import { checkResources } from "@sec-an/policy";
import { DeadLetterRecorder, LambdaFunction, redrivePolicy, ServiceQueue } from "../../src/core";
import { ACCOUNT, deployment, FIXTURE, json, record, urnOf } from "./helpers";

const BUCKET_ARN = "arn:aws:s3:::test-sec-an-dead-letters";
const ssm = {
  "/sec-an/test/s3/dead_letters/arn": BUCKET_ARN,
};
const sqsArn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:results`;

describe("ServiceQueue", () => {
  beforeEach(() => setupPulumiMocks({ ssm }));

  it("creates an encrypted queue redriving to a recorded, 14-day DLQ, all parented to the component", async () => {
    const q = new ServiceQueue("work", { deployment, consumerTimeout: 60, deadLetterHandlerEntry: FIXTURE });
    await settle();
    expect(resourceKeys()).toEqual([
      "aws:cloudwatch/logGroup:LogGroup::work-dlq-recorder-logs",
      "aws:cloudwatch/metricAlarm:MetricAlarm::work-dlq-alarm",
      "aws:cloudwatch/metricAlarm:MetricAlarm::work-dlq-recorder-errors",
      "aws:cloudwatch/metricAlarm:MetricAlarm::work-dlq-recorder-throttles",
      "aws:cloudwatch/metricAlarm:MetricAlarm::work-dlq-stuck",
      "aws:iam/role:Role::work-dlq-recorder-role",
      "aws:iam/rolePolicy:RolePolicy::work-dlq-recorder-policy",
      "aws:iam/rolePolicy:RolePolicy::work-dlq-records-consume",
      "aws:lambda/eventSourceMapping:EventSourceMapping::work-dlq-records",
      "aws:lambda/function:Function::work-dlq-recorder-function",
      "aws:sqs/queue:Queue::work",
      "aws:sqs/queue:Queue::work-dlq",
      "sec-an:core:DeadLetterRecorder::work-dlq",
      "sec-an:core:LambdaFunction::work-dlq-recorder",
      "sec-an:core:ServiceQueue::work",
    ]);

    const main = await record("aws:sqs/queue:Queue", "work");
    expect(main.inputs).toEqual({
      name: "work",
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 4 * 86400,
      visibilityTimeoutSeconds: 360,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: sqsArn("work-dlq"), maxReceiveCount: 3 }),
    });
    const dlq = await record("aws:sqs/queue:Queue", "work-dlq");
    expect(dlq.inputs).toEqual({
      name: "work-dlq",
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 1209600,
      visibilityTimeoutSeconds: 180,
      redriveAllowPolicy: '{"redrivePermission":"allowAll"}',
    });
    expect(resourcesOfType("aws:sqs/queuePolicy:QueuePolicy")).toEqual([]); // redrive needs no queue policy

    expect(await urnOf(q.queue)).toContain("sec-an:core:ServiceQueue$aws:sqs/queue:Queue::work");
    expect(await urnOf(q.deadLetters)).toContain(
      "sec-an:core:ServiceQueue$sec-an:core:DeadLetterRecorder::work-dlq",
    );
    expect(await urnOf(q.deadLetters.queue)).toContain(
      "sec-an:core:DeadLetterRecorder$aws:sqs/queue:Queue::work-dlq",
    );
    expect(await unwrap(q.url)).toBe(`https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/work`);
    expect(await checkResources(resources())).toEqual([]);
  });

  it("lets only the given SNS topics send, and delays and keeps messages as configured", async () => {
    new ServiceQueue("ingest", {
      deployment,
      snsTopicArns: [TOPIC, `arn:aws:sns:us-east-1:${ACCOUNT}:other`],
      delaySeconds: 120,
      maxReceiveCount: 5,
      messageRetentionSeconds: 86400,
      deadLetterBucketArn: BUCKET_ARN,
      deadLetterHandlerEntry: FIXTURE,
      deadLetterAlarmActions: [TOPIC],
    });
    const main = await record("aws:sqs/queue:Queue", "ingest");
    expect(
      (await record("aws:cloudwatch/metricAlarm:MetricAlarm", "ingest-dlq-stuck")).inputs.dimensions,
    ).toEqual({ QueueName: "ingest-dlq" });
    expect(main.inputs).toMatchObject({
      delaySeconds: 120,
      messageRetentionSeconds: 86400,
      visibilityTimeoutSeconds: 180,
    });
    expect(json(main.inputs.redrivePolicy)).toEqual({
      deadLetterTargetArn: sqsArn("ingest-dlq"),
      maxReceiveCount: 5,
    });
    const policy = await record("aws:sqs/queuePolicy:QueuePolicy", "ingest-policy");
    expect(policy.inputs.queueUrl).toBe(`https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/ingest`);
    expect(json(policy.inputs.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowSnsTopics",
          Effect: "Allow",
          Principal: { Service: "sns.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: sqsArn("ingest"),
          Condition: { ArnEquals: { "aws:SourceArn": [`arn:aws:sns:us-east-1:${ACCOUNT}:other`, TOPIC] } },
        },
      ],
    });
    expect(await checkResources(resources())).toEqual([]);
  });

  it("lets services deliver straight to its DLQ through the DLQ's one policy (deadLetterSenders)", async () => {
    const rule = `arn:aws:events:us-east-1:${ACCOUNT}:rule/task-stopped`;
    new ServiceQueue("work", {
      deployment,
      snsTopicArns: [TOPIC],
      deadLetterSenders: { eventRuleArns: [rule] },
      deadLetterHandlerEntry: FIXTURE,
    });
    await settle();
    const policies = resourcesOfType("aws:sqs/queuePolicy:QueuePolicy").map((p) => [
      p.name,
      json(p.inputs.policy) as { Statement: { Resource: string; Condition: unknown }[] },
    ]);
    expect(
      policies.map(([name, doc]) => [
        name,
        (doc as { Statement: { Resource: string }[] }).Statement[0].Resource,
      ]),
    ).toEqual([
      ["work-dlq-policy", sqsArn("work-dlq")],
      ["work-policy", sqsArn("work")],
    ]);
    expect((policies[0][1] as { Statement: { Condition: unknown }[] }).Statement[0].Condition).toEqual({
      ArnEquals: { "aws:SourceArn": [rule] },
    });
    expect(await checkResources(resources())).toEqual([]);
  });

  it("eventSource maps the consumer with partial batch failures and grants it this queue only", async () => {
    const q = new ServiceQueue("tasks", {
      deployment,
      consumerTimeout: 120,
      deadLetterHandlerEntry: FIXTURE,
    });
    const fn = new LambdaFunction("scanner", {
      entry: FIXTURE,
      timeout: 120,
      environment: q.consumerEnvironment,
      statements: [q.deadLetterStatement()],
    });
    const source = q.eventSource(fn, { batchSize: 5, maximumConcurrency: 4 });
    const mapping = await record("aws:lambda/eventSourceMapping:EventSourceMapping", "tasks-to-scanner");
    expect(mapping.inputs).toEqual({
      eventSourceArn: sqsArn("tasks"),
      functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:scanner`,
      batchSize: 5,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 4 },
    });
    const grant = await record("aws:iam/rolePolicy:RolePolicy", "tasks-to-scanner-consume");
    expect(grant.inputs.role).toBe("scanner-role");
    expect(json(grant.inputs.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ConsumeQueue",
          Effect: "Allow",
          Action: [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility",
          ],
          Resource: sqsArn("tasks"),
        },
      ],
    });
    expect(await urnOf(source.mapping)).toContain(
      "sec-an:core:ServiceQueue$aws:lambda/eventSourceMapping:EventSourceMapping::tasks-to-scanner",
    );
    // The consumer can dead-letter a record on its last attempt, with the error, to this DLQ only.
    const fnRecord = await record("aws:lambda/function:Function", "scanner-function");
    expect(fnRecord.inputs.environment.variables).toEqual({
      POWERTOOLS_SERVICE_NAME: "scanner",
      [Env.deadLetterQueueUrl]: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/tasks-dlq`,
      [Env.maxReceiveCount]: "3",
    });
    const own = json((await record("aws:iam/rolePolicy:RolePolicy", "scanner-policy")).inputs.policy) as {
      Statement: unknown[];
    };
    expect(own.Statement.slice(2)).toEqual([
      {
        Sid: "DeadLetterFailures",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: sqsArn("tasks-dlq"),
      },
    ]);
    expect(await checkResources(resources())).toEqual([]);
  });

  it("refuses a consumer not built with its consumer environment (its dead letters would lose their reason)", async () => {
    const q = new ServiceQueue("jobs", { deployment, maxReceiveCount: 4, deadLetterHandlerEntry: FIXTURE });
    const other = new ServiceQueue("other", {
      deployment,
      maxReceiveCount: 4,
      deadLetterHandlerEntry: FIXTURE,
    });
    const bare = new LambdaFunction("bare", { entry: FIXTURE });
    const wrongDlq = new LambdaFunction("wrong", { entry: FIXTURE, environment: other.consumerEnvironment });
    expect(() => q.eventSource(bare)).toThrow(
      `bare must be built with jobs's consumerEnvironment (${Env.deadLetterQueueUrl})`,
    );
    expect(() => q.eventSource(wrongDlq)).toThrow("wrong must be built with jobs's consumerEnvironment");
    expect(q.consumerEnvironment[Env.maxReceiveCount]).toBe("4");
    await settle();
  });

  it("refuses a consumer whose timeout the visibility timeout does not cover 6 times, and bad settings", async () => {
    const q = new ServiceQueue("short", { deployment, consumerTimeout: 10, deadLetterHandlerEntry: FIXTURE });
    const ok = new ServiceQueue("big", {
      deployment,
      visibilityTimeoutSeconds: 900,
      deadLetterHandlerEntry: FIXTURE,
    });
    const slow = new LambdaFunction("slow", {
      entry: FIXTURE,
      timeout: 11,
      environment: ok.consumerEnvironment,
    });
    expect(() => q.eventSource(slow)).toThrow("visibility timeout 60s is under 6 × slow timeout = 66s");
    expect(() => q.eventSource(slow, { batchSize: 50 })).toThrow();
    expect(() => ok.eventSource(slow, { batchSize: 50 })).toThrow(
      "needs maximumBatchingWindowInSeconds >= 1",
    );
    expect(() => ok.eventSource(slow, { batchSize: 50, maximumBatchingWindowInSeconds: 5 })).not.toThrow();
    expect(
      () => new ServiceQueue("a", { deployment, consumerTimeout: 1, visibilityTimeoutSeconds: 6 }),
    ).toThrow("only one of");
    expect(() => new ServiceQueue("b", { deployment, maxReceiveCount: 6 })).toThrow(
      "maxReceiveCount must be 1..5",
    );
    expect(() => new ServiceQueue("c", { deployment, delaySeconds: 901 })).toThrow(
      "delaySeconds must be 0..900",
    );
    expect(() => new ServiceQueue("d", { deployment, consumerTimeout: 7201 })).toThrow("12 h");
    expect(() => new ServiceQueue("bad.name", { deployment })).toThrow("invalid SQS queue name");
    // Bad args fail before anything is registered.
    await settle();
    setupPulumiMocks({ ssm });
    expect(() => new ServiceQueue("e", { deployment, maxReceiveCount: 0 })).toThrow("maxReceiveCount");
    expect(() => new ServiceQueue("x".repeat(77), { deployment })).toThrow("invalid SQS queue name"); // its DLQ name would be too long
    await settle();
    expect(resources()).toEqual([]);
    expect(redrivePolicy("arn:x", 2)).toBe('{"deadLetterTargetArn":"arn:x","maxReceiveCount":2}');
    await settle();
  });
});

describe("DeadLetterRecorder", () => {
  beforeEach(() => setupPulumiMocks({ ssm }));

  it("records with a batch-10 partial-failure mapping, PutObject on its own prefix, and reads the bucket name late", async () => {
    const r = new DeadLetterRecorder("ingest-dead", {
      deployment,
      queueName: "test-sec-an-ingest-dead",
      snsTopicArns: [TOPIC],
      eventRuleArns: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/daily`],
      handlerEntry: FIXTURE,
    });
    expect(r.queueName).toBe("test-sec-an-ingest-dead");
    const mapping = await record("aws:lambda/eventSourceMapping:EventSourceMapping", "ingest-dead-records");
    expect(mapping.inputs).toEqual({
      eventSourceArn: sqsArn("test-sec-an-ingest-dead"),
      functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ingest-dead-recorder`,
      batchSize: 10,
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
    const q = await record("aws:sqs/queue:Queue", "ingest-dead");
    expect(q.inputs.redrivePolicy).toBeUndefined(); // its own failures stay here: no loop
    const policy = await record("aws:iam/rolePolicy:RolePolicy", "ingest-dead-recorder-policy");
    expect((json(policy.inputs.policy) as { Statement: unknown[] }).Statement.slice(2)).toEqual([
      {
        Sid: "PublishErrors",
        Effect: "Allow",
        Action: "sns:Publish",
        Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-errors`,
      },
      {
        Sid: "FileDeadLetters",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${BUCKET_ARN}/test-sec-an-ingest-dead/*`,
      },
      {
        Sid: "ReadOwnParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:GetParameters"],
        Resource: [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/sec-an/test/s3/dead_letters/name`],
      },
    ]);
    const fn = await record("aws:lambda/function:Function", "ingest-dead-recorder-function");
    expect(fn.inputs.environment.variables).toMatchObject({ SEC_AN_APP: "sec-an", SEC_AN_STAGE: "test" });
    const qp = await record("aws:sqs/queuePolicy:QueuePolicy", "ingest-dead-policy");
    expect((json(qp.inputs.policy) as { Statement: unknown[] }).Statement).toEqual([
      {
        Sid: "AllowSnsTopics",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: sqsArn("test-sec-an-ingest-dead"),
        Condition: { ArnEquals: { "aws:SourceArn": [TOPIC] } },
      },
      {
        Sid: "AllowEventRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: sqsArn("test-sec-an-ingest-dead"),
        Condition: { ArnEquals: { "aws:SourceArn": [`arn:aws:events:us-east-1:${ACCOUNT}:rule/daily`] } },
      },
    ]);
    expect(await checkResources(resources())).toEqual([]);
  });

  it("alarms on every dead letter and on dead letters left unrecorded, to given targets or the notifications topic", async () => {
    const alarmTopic = `arn:aws:sns:us-east-1:${ACCOUNT}:ops`;
    new DeadLetterRecorder("watched", {
      deployment,
      bucketArn: BUCKET_ARN,
      handlerEntry: FIXTURE,
      alarmActions: [alarmTopic],
      stuckAfterSeconds: 900,
    });
    new DeadLetterRecorder("plain", { deployment, bucketArn: BUCKET_ARN, handlerEntry: FIXTURE });
    expect((await record("aws:cloudwatch/metricAlarm:MetricAlarm", "watched-stuck")).inputs).toEqual({
      alarmDescription: "Dead letters in watched are not being recorded to the dead-letter bucket",
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: "watched" },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 900,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      actionsEnabled: true,
      alarmActions: [alarmTopic],
    });
    const notifications = `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-notifications`;
    const actions = Object.fromEntries(
      resourcesOfType("aws:cloudwatch/metricAlarm:MetricAlarm").map((r) => [r.name, r.inputs.alarmActions]),
    );
    expect(actions).toEqual({
      "watched-alarm": [alarmTopic],
      "watched-stuck": [alarmTopic],
      "watched-recorder-errors": [notifications],
      "watched-recorder-throttles": [notifications],
      "plain-alarm": [notifications],
      "plain-stuck": [notifications],
      "plain-recorder-errors": [notifications],
      "plain-recorder-throttles": [notifications],
    });
    expect(await checkResources(resources())).toEqual([]);
  });

  it("refuses empty alarm targets before registering anything", () => {
    expect(
      () =>
        new DeadLetterRecorder("deaf", {
          deployment,
          bucketArn: BUCKET_ARN,
          handlerEntry: FIXTURE,
          alarmActions: [],
        }),
    ).toThrow("alarmActions is empty");
    expect(() => new ServiceQueue("deaf", { deployment, deadLetterAlarmActions: [] })).toThrow(
      "alarmActions is empty",
    );
    expect(resources()).toEqual([]);
  });

  it("rejects a source ARN of the wrong service (the original wired the wrong sender)", async () => {
    expect(
      () =>
        new DeadLetterRecorder("wrong", {
          deployment,
          bucketArn: BUCKET_ARN,
          snsTopicArns: [sqsArn("not-a-topic")],
          handlerEntry: FIXTURE,
        }),
    ).toThrow('snsTopicArns: "arn:aws:sqs:us-east-1:123456789012:not-a-topic" is not an sns ARN');
    expect(
      () =>
        new DeadLetterRecorder("wrong2", {
          deployment,
          bucketArn: BUCKET_ARN,
          eventRuleArns: [TOPIC],
          handlerEntry: FIXTURE,
        }),
    ).toThrow("is not an events ARN");
    await settle();
  });
});
