import { Env } from "@sec-an/contracts";
import { resources, settle, setupPulumiMocks } from "@sec-an/testing";
import { checkResources } from "@sec-an/policy";
import { GLUE_TOPIC_ENV, ServiceQueue, SqsSnsGlue, Topic } from "../../src/core";
import { ACCOUNT, deployment, FIXTURE, json, record, urnOf } from "./helpers";

const BUCKET_ARN = "arn:aws:s3:::test-sec-an-dead-letters";
const LOGGING_ROLE = `arn:aws:iam::${ACCOUNT}:role/sns-logging`;

describe("Topic", () => {
  beforeEach(() => setupPulumiMocks());

  it("encrypts with the AWS-managed SNS key and logs delivery status when given a role", async () => {
    const t = new Topic("results", {
      topicName: "test-sec-an-results",
      deliveryLoggingRoleArn: LOGGING_ROLE,
    });
    const topic = await record("aws:sns/topic:Topic", "results");
    expect(topic.inputs).toEqual({
      name: "test-sec-an-results",
      kmsMasterKeyId: "alias/aws/sns",
      sqsSuccessFeedbackRoleArn: LOGGING_ROLE,
      sqsFailureFeedbackRoleArn: LOGGING_ROLE,
      sqsSuccessFeedbackSampleRate: 5,
      lambdaSuccessFeedbackRoleArn: LOGGING_ROLE,
      lambdaFailureFeedbackRoleArn: LOGGING_ROLE,
      lambdaSuccessFeedbackSampleRate: 5,
    });
    expect(await urnOf(t.topic)).toContain("sec-an:core:Topic$aws:sns/topic:Topic::results");
  });

  it("subscribes a queue with raw delivery and an attribute filter, and the queue admits only that topic", async () => {
    const t = new Topic("ports");
    const q = new ServiceQueue("tls", {
      deployment,
      snsTopicArns: [t.arn],
      deadLetterBucketArn: BUCKET_ARN,
      deadLetterHandlerEntry: FIXTURE,
    });
    const sub0 = t.subscribeQueue("tls", q, { filterPolicy: { service: ["https", "imaps"] } });
    t.subscribeQueue("elsewhere", "arn:aws:sqs:us-east-1:123456789012:other-stack-queue", {
      rawMessageDelivery: false,
    });
    const sub = await record("aws:sns/topicSubscription:TopicSubscription", "ports-to-tls");
    expect(sub.inputs).toEqual({
      topic: `arn:aws:sns:us-east-1:${ACCOUNT}:ports`,
      protocol: "sqs",
      endpoint: `arn:aws:sqs:us-east-1:${ACCOUNT}:tls`,
      rawMessageDelivery: true,
      filterPolicy: '{"service":["https","imaps"]}',
      filterPolicyScope: "MessageAttributes",
    });
    expect(await urnOf(sub0)).toContain(
      "sec-an:core:Topic$aws:sns/topicSubscription:TopicSubscription::ports-to-tls",
    );
    expect(
      (await record("aws:sns/topicSubscription:TopicSubscription", "ports-to-elsewhere")).inputs,
    ).toEqual({
      topic: `arn:aws:sns:us-east-1:${ACCOUNT}:ports`,
      protocol: "sqs",
      endpoint: "arn:aws:sqs:us-east-1:123456789012:other-stack-queue",
      rawMessageDelivery: false,
    });
    const policy = json((await record("aws:sqs/queuePolicy:QueuePolicy", "tls-policy")).inputs.policy) as {
      Statement: Record<string, unknown>[];
    };
    expect(policy.Statement[0].Condition).toEqual({
      ArnEquals: { "aws:SourceArn": [`arn:aws:sns:us-east-1:${ACCOUNT}:ports`] },
    });
    expect((await record("aws:sns/topic:Topic", "ports")).inputs).toEqual({
      kmsMasterKeyId: "alias/aws/sns",
    });
    expect(await checkResources(resources())).toEqual([]);
  });
});

describe("SqsSnsGlue", () => {
  beforeEach(() => setupPulumiMocks());

  it("drains the queue into the topic with publish rights on that topic only", async () => {
    const topic = new Topic("initiator");
    const delay = new ServiceQueue("delay", {
      deployment,
      delaySeconds: 900,
      deadLetterBucketArn: BUCKET_ARN,
      deadLetterHandlerEntry: FIXTURE,
    });
    const glue = new SqsSnsGlue("delay-glue", {
      deployment,
      queue: delay,
      topicArn: topic.arn,
      handlerEntry: FIXTURE,
    });
    await settle();
    const fn = await record("aws:lambda/function:Function", "delay-glue-function-function");
    expect(fn.inputs.environment.variables).toEqual({
      [Env.app]: "sec-an",
      [Env.stage]: "test",
      POWERTOOLS_SERVICE_NAME: "delay-glue-function",
      SEC_AN_ERRORS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:test-sec-an-errors",
      [GLUE_TOPIC_ENV]: `arn:aws:sns:us-east-1:${ACCOUNT}:initiator`,
      // The handler dead-letters a record itself on its last attempt (3 receives), with the error.
      [Env.deadLetterQueueUrl]: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/delay-dlq`,
      [Env.maxReceiveCount]: "3",
    });
    expect(fn.inputs.timeout).toBe(30);
    const policy = json(
      (await record("aws:iam/rolePolicy:RolePolicy", "delay-glue-function-policy")).inputs.policy,
    ) as { Statement: Record<string, unknown>[] };
    // After its logs, X-Ray and the errors-topic grant every platform function has.
    expect(policy.Statement.slice(3)).toEqual([
      {
        Sid: "PublishToTopic",
        Effect: "Allow",
        Action: "sns:Publish",
        Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:initiator`,
      },
      {
        Sid: "DeadLetterFailures",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:delay-dlq`,
      },
    ]);
    const mapping = await record(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "delay-to-delay-glue-function",
    );
    expect(mapping.inputs).toEqual({
      eventSourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:delay`,
      functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:delay-glue-function`,
      batchSize: 10,
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
    expect(await urnOf(glue.function)).toContain(
      "sec-an:core:SqsSnsGlue$sec-an:core:LambdaFunction::delay-glue-function",
    );
    expect(await checkResources(resources())).toEqual([]);
  });

  it("refuses a glue slower than the queue's visibility timeout allows", async () => {
    const queue = new ServiceQueue("q", {
      deployment,
      consumerTimeout: 10,
      deadLetterBucketArn: BUCKET_ARN,
      deadLetterHandlerEntry: FIXTURE,
    });
    expect(
      () =>
        new SqsSnsGlue("g", {
          deployment,
          queue,
          topicArn: "arn:aws:sns:us-east-1:1:t",
          timeout: 11,
          handlerEntry: FIXTURE,
        }),
    ).toThrow("under 6 × glue timeout 11s");
    await settle();
  });
});
