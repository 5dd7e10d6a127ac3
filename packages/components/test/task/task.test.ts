import { resources, resourcesOfType, settle, setupPulumiMocks, unwrap } from "@sec-an/testing";
import { checkResources } from "@sec-an/policy";
import { senderQueuePolicy } from "../../src/core";
import { Task, lifecycleRule, type TaskArgs } from "../../src/task";
import {
  ACCOUNT,
  BUCKET,
  BUCKET_ARN,
  DL_BUCKET,
  INGEST_QUEUE,
  INIT_TOPIC,
  LOG_AND_TRACE,
  SSM,
  TASK_BASE as BASE,
  deployment,
  fixture,
  inventory,
  plain,
  record,
  statementsOf,
} from "./helpers";

const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:test-sec-an-nmap-task-queue`;
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-nmap-results`;

function args(extra: Partial<TaskArgs> = {}): TaskArgs {
  return {
    deployment,
    task: "nmap",
    project: "nmap",
    scanEntry: fixture("scan.ts"),
    parseEntry: fixture("parse.ts"),
    deadLetterBucketArn: DL_BUCKET,
    deadLetterHandlerEntry: fixture("recorder.ts"),
    ...extra,
  };
}

describe("Task", () => {
  describe("with default options (both subscription flags off)", () => {
    let t: Task;
    beforeAll(async () => {
      // No SSM values mocked: any deploy-time lookup of the ingest queue or scan-initiator topic would throw.
      setupPulumiMocks();
      t = new Task(
        "nmap",
        args({
          scanStatements: [
            {
              Sid: "Extra",
              Action: "dynamodb:UpdateItem",
              Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/t",
            },
          ],
        }),
      );
      await settle();
    });

    it("creates exactly the base resources: no subscription, no queue policy", async () => {
      expect(await inventory()).toEqual(BASE);
      expect(t.ingestSubscription).toBeUndefined();
      expect(t.scanInitiatorSubscription).toBeUndefined();
    });

    it("queues scans with a recorded DLQ and redrive, consumed one at a time with partial batch failures", async () => {
      expect((await record("aws:sqs/queue:Queue", "nmap-queue")).inputs).toMatchObject({
        name: "test-sec-an-nmap-task-queue",
        sqsManagedSseEnabled: true,
        visibilityTimeoutSeconds: 720,
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: `${QUEUE_ARN}-dlq`, maxReceiveCount: 3 }),
      });
      expect(
        (
          await record(
            "aws:lambda/eventSourceMapping:EventSourceMapping",
            "nmap-queue-to-test-sec-an-nmap-scan",
          )
        ).inputs,
      ).toEqual({
        eventSourceArn: QUEUE_ARN,
        functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:test-sec-an-nmap-scan`,
        batchSize: 1,
        functionResponseTypes: ["ReportBatchItemFailures"],
      });
      const scan = await record("aws:lambda/function:Function", "nmap-scan-function");
      expect(scan.inputs).toMatchObject({
        name: "test-sec-an-nmap-scan",
        timeout: 120,
        memorySize: 512,
        runtime: "nodejs22.x",
      });
      expect(scan.inputs.environment.variables).toEqual({
        POWERTOOLS_SERVICE_NAME: "test-sec-an-nmap-scan",
        SEC_AN_ERRORS_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-errors`,
        SEC_AN_APP: "sec-an",
        SEC_AN_STAGE: "test",
        SEC_AN_TASK: "nmap",
        // The queue's redrive count: the handler dead-letters a record itself on its last attempt.
        SEC_AN_MAX_RECEIVE_COUNT: "3",
        RESULTS_BUCKET: BUCKET,
        SEC_AN_DLQ_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/test-sec-an-nmap-task-queue-dlq`,
      });
    });

    it("grants the scan role only its own raw prefixes and SSM parameter, the parser only reading them and publishing its topic", async () => {
      const raw = [`${BUCKET_ARN}/nmap/*`, `${BUCKET_ARN}/_requests/nmap/*`];
      const ssm = (p: string) => `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/sec-an/test/tasks/nmap${p}`;
      expect(await statementsOf("nmap-scan-policy")).toEqual([
        ...LOG_AND_TRACE("/aws/lambda/test-sec-an-nmap-scan"),
        {
          Sid: "ReadOwnParameters",
          Effect: "Allow",
          Action: ["ssm:GetParameter", "ssm:GetParameters"],
          Resource: [ssm("/s3/results/id")],
        },
        { Sid: "PutRawResults", Effect: "Allow", Action: "s3:PutObject", Resource: raw },
        {
          Sid: "DeadLetterFailures",
          Effect: "Allow",
          Action: "sqs:SendMessage",
          Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:test-sec-an-nmap-task-queue-dlq`,
        },
        {
          Sid: "Extra",
          Effect: "Allow",
          Action: "dynamodb:UpdateItem",
          Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/t",
        },
      ]);
      expect(await statementsOf("nmap-parser-policy")).toEqual([
        ...LOG_AND_TRACE("/aws/lambda/test-sec-an-nmap-results-parser"),
        {
          Effect: "Allow",
          Action: "sqs:SendMessage",
          Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:test-sec-an-nmap-results-parser-dlq`,
        },
        { Sid: "GetRawResults", Effect: "Allow", Action: "s3:GetObject", Resource: raw },
        { Sid: "PublishResults", Effect: "Allow", Action: "sns:Publish", Resource: TOPIC_ARN },
        {
          Sid: "ReadOwnParameters",
          Effect: "Allow",
          Action: ["ssm:GetParameter", "ssm:GetParameters"],
          Resource: [ssm("/results/arn"), ssm("/s3/results/id")],
        },
      ]);
      // The queue consumer grant is separate and scoped to the task queue.
      expect(await statementsOf("nmap-queue-to-test-sec-an-nmap-scan-consume")).toEqual([
        {
          Sid: "ConsumeQueue",
          Effect: "Allow",
          Action: [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility",
          ],
          Resource: QUEUE_ARN,
        },
      ]);
    });

    it("stores raw results in a hardened, versioned, tiered bucket whose new objects invoke the parser", async () => {
      expect((await record("aws:s3/bucket:Bucket", "nmap-results")).inputs).toEqual({
        bucket: BUCKET,
        forceDestroy: false,
      });
      expect(
        (await record("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "nmap-results-public-access"))
          .inputs,
      ).toEqual({
        bucket: BUCKET,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(
        (await record("aws:s3/bucketVersioning:BucketVersioning", "nmap-results-versioning")).inputs
          .versioningConfiguration,
      ).toEqual({
        status: "Enabled",
      });
      expect(
        (
          await record(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "nmap-results-lifecycle",
          )
        ).inputs.rules,
      ).toEqual([lifecycleRule()]);
      expect(
        JSON.parse((await record("aws:s3/bucketPolicy:BucketPolicy", "nmap-results-policy")).inputs.policy),
      ).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      });
      expect((await record("aws:lambda/permission:Permission", "nmap-parser-invoke")).inputs).toEqual({
        action: "lambda:InvokeFunction",
        function: "test-sec-an-nmap-results-parser",
        principal: "s3.amazonaws.com",
        sourceArn: BUCKET_ARN,
        sourceAccount: ACCOUNT,
      });
      expect(
        (await record("aws:s3/bucketNotification:BucketNotification", "nmap-results-created")).inputs,
      ).toEqual({
        bucket: BUCKET,
        lambdaFunctions: [
          {
            events: ["s3:ObjectCreated:*"],
            filterPrefix: "nmap/",
            lambdaFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:test-sec-an-nmap-results-parser`,
          },
        ],
      });
      const parser = await record("aws:lambda/function:Function", "nmap-parser-function");
      expect(parser.inputs.deadLetterConfig).toEqual({
        targetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:test-sec-an-nmap-results-parser-dlq`,
      });
      expect((await record("aws:sns/topic:Topic", "nmap-results-topic")).inputs).toEqual({
        name: "test-sec-an-nmap-results",
        kmsMasterKeyId: "alias/aws/sns",
      });
    });

    it("exports its parameters under /tasks/<task>/ and exposes its parts", async () => {
      const params = Object.fromEntries(
        resourcesOfType("aws:ssm/parameter:Parameter").map((r) => [
          r.inputs.name,
          r.inputs.insecureValue ?? plain(r.inputs.value),
        ]),
      );
      expect(params).toEqual({
        "/sec-an/test/tasks/nmap/task_queue/arn": QUEUE_ARN,
        "/sec-an/test/tasks/nmap/task_queue/url": `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/test-sec-an-nmap-task-queue`,
        "/sec-an/test/tasks/nmap/results/arn": TOPIC_ARN,
        "/sec-an/test/tasks/nmap/s3/results/id": BUCKET,
        "/sec-an/test/tasks/nmap/s3/results/arn": BUCKET_ARN,
        "/sec-an/test/tasks/nmap/queue_consumer/role/arn": `arn:aws:iam::${ACCOUNT}:role/nmap-scan-role`,
        "/sec-an/test/tasks/nmap/results/role/arn": `arn:aws:iam::${ACCOUNT}:role/nmap-parser-role`,
      });
      expect(await unwrap(t.queue.url)).toBe(
        `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/test-sec-an-nmap-task-queue`,
      );
      expect(await unwrap(t.bucket.bucket)).toBe(BUCKET);
      expect(await unwrap(t.topic.arn)).toBe(TOPIC_ARN);
      expect(await unwrap(t.scanFunction.name)).toBe("test-sec-an-nmap-scan");
      expect(await unwrap(t.parserFunction.name)).toBe("test-sec-an-nmap-results-parser");
      expect(await unwrap(t.params.values.resultsBucketName)).toBe(BUCKET);
    });
  });

  describe("with both flags on and deployable defaults (ARNs from SSM, the runtime's recorder)", () => {
    let t: Task;
    beforeAll(async () => {
      setupPulumiMocks({ ssm: SSM });
      t = new Task(
        "nmap",
        args({
          subscribeToIngest: true,
          subscribeToScanInitiator: true,
          deadLetterBucketArn: undefined,
          deadLetterHandlerEntry: undefined,
        }),
      );
      await settle();
    });

    it("subscribes the ingest queue and the task queue, both with raw delivery", async () => {
      expect(await inventory()).toEqual(
        [
          ...BASE,
          "aws:sns/topicSubscription:TopicSubscription::nmap-results-topic-to-ingest",
          "aws:sns/topicSubscription:TopicSubscription::nmap-scan-initiator-to-queue",
          "aws:sqs/queuePolicy:QueuePolicy::nmap-queue-policy",
        ].sort(),
      );
      expect(
        (await record("aws:sns/topicSubscription:TopicSubscription", "nmap-results-topic-to-ingest")).inputs,
      ).toEqual({
        topic: TOPIC_ARN,
        protocol: "sqs",
        endpoint: INGEST_QUEUE,
        rawMessageDelivery: true,
      });
      expect(
        (await record("aws:sns/topicSubscription:TopicSubscription", "nmap-scan-initiator-to-queue")).inputs,
      ).toEqual({
        topic: INIT_TOPIC,
        protocol: "sqs",
        endpoint: QUEUE_ARN,
        rawMessageDelivery: true,
      });
      expect(await unwrap(t.scanInitiatorSubscription!.topic)).toBe(INIT_TOPIC);
    });

    it("lets only the scan-initiator topic send to the task queue", async () => {
      const qp = await record("aws:sqs/queuePolicy:QueuePolicy", "nmap-queue-policy");
      expect(JSON.parse(qp.inputs.policy).Statement).toEqual([
        {
          Sid: "AllowSnsTopics",
          Effect: "Allow",
          Principal: { Service: "sns.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: QUEUE_ARN,
          Condition: { ArnEquals: { "aws:SourceArn": [INIT_TOPIC] } },
        },
      ]);
    });

    it("passes every policy rule", async () => {
      expect(resources().length).toBeGreaterThan(50);
      expect(await checkResources(resources())).toEqual([]);
    });
  });

  it("takes each flag independently, with explicit ARNs, a filter policy and custom sizing", async () => {
    setupPulumiMocks();
    const other = `arn:aws:sns:us-east-1:${ACCOUNT}:other-initiator`;
    new Task(
      "nmap",
      args({
        subscribeToScanInitiator: true,
        scanInitiatorTopicArn: other,
        scanInitiatorFilterPolicy: { Task: ["nmap"] },
        maxReceiveCount: 2,
        scanTimeout: 300,
        rawRetention: { infrequentAccessAfterDays: 60, glacierAfterDays: false, expireAfterDays: 400 },
        scanVpcConfig: { subnetIds: ["subnet-p"], securityGroupIds: ["sg-scan"] },
      }),
    );
    await settle();
    expect(
      resourcesOfType("aws:sns/topicSubscription:TopicSubscription").map((r) => [r.name, r.inputs]),
    ).toEqual([
      [
        "nmap-scan-initiator-to-queue",
        {
          topic: other,
          protocol: "sqs",
          endpoint: QUEUE_ARN,
          rawMessageDelivery: true,
          filterPolicy: '{"Task":["nmap"]}',
          filterPolicyScope: "MessageAttributes",
        },
      ],
    ]);
    expect((await record("aws:sqs/queue:Queue", "nmap-queue")).inputs).toMatchObject({
      visibilityTimeoutSeconds: 1800,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: `${QUEUE_ARN}-dlq`, maxReceiveCount: 2 }),
    });
    const scan = await record("aws:lambda/function:Function", "nmap-scan-function");
    expect([scan.inputs.timeout, scan.inputs.vpcConfig]).toEqual([
      300,
      { subnetIds: ["subnet-p"], securityGroupIds: ["sg-scan"] },
    ]);
    expect((await statementsOf("nmap-scan-policy")).map((st) => (st as { Sid?: string }).Sid)).toContain(
      "VpcNetworkInterfaces",
    );
    expect(
      (
        await record(
          "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
          "nmap-results-lifecycle",
        )
      ).inputs.rules,
    ).toEqual([
      {
        id: "raw-results",
        status: "Enabled",
        filter: {},
        transitions: [{ days: 60, storageClass: "STANDARD_IA" }],
        expiration: { days: 400 },
        noncurrentVersionExpiration: { noncurrentDays: 30 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
    ]);
  });

  it("subscribes the ingest queue alone when only that flag is on", async () => {
    setupPulumiMocks();
    new Task("nmap", args({ subscribeToIngest: true, ingestQueueArn: INGEST_QUEUE }));
    await settle();
    expect(resourcesOfType("aws:sns/topicSubscription:TopicSubscription").map((r) => r.name)).toEqual([
      "nmap-results-topic-to-ingest",
    ]);
    expect(resourcesOfType("aws:sqs/queuePolicy:QueuePolicy")).toEqual([]);
  });

  describe("subscribed to the scan initiator and to another topic (subscribeTo)", () => {
    const PORTS = `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-ports-detected`;
    let t: Task;
    beforeAll(async () => {
      setupPulumiMocks({ ssm: SSM });
      t = new Task(
        "nmap",
        args({
          subscribeToScanInitiator: true,
          subscribeTo: [{ name: "ports", topic: PORTS, filterPolicy: { port: [443] } }],
        }),
      );
      await settle();
    });

    it("creates ONE queue policy on the task queue, allowing both topics", async () => {
      const policies = resourcesOfType("aws:sqs/queuePolicy:QueuePolicy");
      expect(policies.map((p) => p.name)).toEqual(["nmap-queue-policy"]);
      expect(JSON.parse(policies[0].inputs.policy).Statement).toEqual([
        {
          Sid: "AllowSnsTopics",
          Effect: "Allow",
          Principal: { Service: "sns.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: QUEUE_ARN,
          Condition: { ArnEquals: { "aws:SourceArn": [PORTS, INIT_TOPIC].sort() } },
        },
      ]);
    });

    it("subscribes the queue to each topic, raw, with its own filter, after the policy exists", async () => {
      expect(
        resourcesOfType("aws:sns/topicSubscription:TopicSubscription").map((r) => [r.name, r.inputs]),
      ).toEqual([
        [
          "nmap-scan-initiator-to-queue",
          { topic: INIT_TOPIC, protocol: "sqs", endpoint: QUEUE_ARN, rawMessageDelivery: true },
        ],
        [
          "nmap-ports-to-queue",
          {
            topic: PORTS,
            protocol: "sqs",
            endpoint: QUEUE_ARN,
            rawMessageDelivery: true,
            filterPolicy: '{"port":[443]}',
            filterPolicyScope: "MessageAttributes",
          },
        ],
      ]);
      expect(Object.keys(t.subscriptions)).toEqual(["scan-initiator", "ports"]);
      expect(t.scanInitiatorSubscription).toBe(t.subscriptions["scan-initiator"]);
    });

    it("passes every policy rule, the one-policy-per-queue rule included", async () => {
      expect(await checkResources(resources())).toEqual([]);
    });
  });

  it("refuses a second policy on the task queue, the way a separate subscription component used to add one", async () => {
    setupPulumiMocks({ ssm: SSM });
    const t = new Task("nmap", args({ subscribeToScanInitiator: true }));
    expect(() =>
      senderQueuePolicy(
        "ports-queue-policy",
        t.queue.queue,
        { snsTopicArns: [`arn:aws:sns:us-east-1:${ACCOUNT}:ports`] },
        { parent: t },
      ),
    ).toThrow(/already has the policy nmap-queue-policy/);
    await settle();
  });

  it("rejects bad or repeated subscription names", () => {
    setupPulumiMocks({ ssm: SSM });
    expect(() => new Task("a", args({ subscribeTo: [{ name: "Ports!", topic: INIT_TOPIC }] }))).toThrow(
      /subscribeTo: invalid name "Ports!"/,
    );
    expect(
      () =>
        new Task(
          "b",
          args({
            subscribeToScanInitiator: true,
            subscribeTo: [{ name: "scan-initiator", topic: INIT_TOPIC }],
          }),
        ),
    ).toThrow(/"scan-initiator" is given twice/);
  });

  it("rejects bad arguments before creating anything", () => {
    setupPulumiMocks();
    expect(() => new Task("x", args({ task: "Bad Name" }))).toThrow(/invalid task name/);
    expect(() => new Task("y", args({ scanBatchSize: 11 }))).toThrow("scanBatchSize must be 1..10, got 11");
    expect(() => new Task("z", args({ scanTimeout: 901 }))).toThrow(
      "scanTimeout must be 1..900 seconds, got 901",
    );
  });
});

describe("lifecycleRule", () => {
  it("defaults to IA at 30 days, Glacier Instant Retrieval at 90, and never deletes", () => {
    const rule = lifecycleRule();
    expect(rule).toMatchObject({
      transitions: [
        { days: 30, storageClass: "STANDARD_IA" },
        { days: 90, storageClass: "GLACIER_IR" },
      ],
    });
    // Re-ingestion replays the lake: current versions are never expired unless configured.
    expect(rule.expiration).toBeUndefined();
    expect(lifecycleRule({ expireAfterDays: undefined }).expiration).toBeUndefined();
  });
  it("deletes raw results only when configured", () => {
    expect(lifecycleRule({ expireAfterDays: 400 }).expiration).toEqual({ days: 400 });
    expect(lifecycleRule({ expireAfterDays: false }).expiration).toBeUndefined();
  });
  it("rejects schedules S3 would refuse", () => {
    expect(() => lifecycleRule({ infrequentAccessAfterDays: 10 })).toThrow(/≥ 30/);
    expect(() => lifecycleRule({ infrequentAccessAfterDays: 30, glacierAfterDays: 40 })).toThrow(
      /at least 30 days after/,
    );
    expect(() => lifecycleRule({ expireAfterDays: 60 })).toThrow(
      /must come after the last transition \(90\)/,
    );
    expect(() => lifecycleRule({ noncurrentExpireAfterDays: 0 })).toThrow(/positive whole number/);
  });
});
