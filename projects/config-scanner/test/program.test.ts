import { checkResources } from "@sec-an/policy";
import { ALARM_TOPIC_PUBLISHERS, readStackConfig } from "@sec-an/components";
import { ConfigFindingsIndex, ConfigScannerEnv, Params, paramName } from "@sec-an/contracts";
import { MOCK_ACCOUNT, resources, resourcesOfType, runProgram, setupPulumiMocks } from "@sec-an/testing";
import { realtimeTriggers } from "../src/engine";
import { program } from "../src/program";
import { configSchema } from "../src/stack-config";

const d = { app: "sec-an", stage: "dev" };
/** What the other stacks export, as the mock answers the program's deploy-time SSM reads. */
const ssm = {
  [paramName(d, Params.deadLettersBucketArn)]: "arn:aws:s3:::dev-sec-an-dead-letters",
  [paramName(d, Params.ingestQueueArn)]: `arn:aws:sqs:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-ingest`,
  [paramName(d, Params.esAdminFunctionName)]: "dev-sec-an-opensearch-admin",
  [paramName(d, Params.notificationsTopicArn)]:
    `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-notifications`,
};
const values: Record<string, string> = {
  regions: JSON.stringify(["us-east-1", "eu-west-1", "ap-southeast-2"]),
  memberAccounts: JSON.stringify(["111122223333", "444455556666"]),
  memberRoleName: "sec-an-config-reader",
  alertEmail: "security@example.com",
};

const pattern = (r: { inputs: { eventPattern?: string } }) => JSON.parse(r.inputs.eventPattern ?? "null");
const policyOf = (r: { inputs: { policy?: string } }) => JSON.parse(r.inputs.policy ?? "null");

describe("sec-an-config-scanner program", () => {
  beforeAll(async () => {
    setupPulumiMocks({ project: "sec-an-config-scanner", stack: "dev", ssm });
    const config = readStackConfig({ get: (k) => values[k] }, "sec-an-config-scanner", configSchema, "dev");
    await runProgram(() => program(config));
  }, 120_000);

  test("event rules match exactly the plugins' realtime triggers, home and forwarded regions alike", () => {
    const expected = realtimeTriggers().map((t) => ({
      source: [t.source],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: { eventSource: ["ec2.amazonaws.com"], eventName: [...t.eventNames].sort() },
    }));
    const rules = resourcesOfType("aws:cloudwatch/eventRule:EventRule").filter(
      (r) => pattern(r)?.["detail-type"]?.[0] === "AWS API Call via CloudTrail",
    );
    // Home (us-east-1, the mock's region) plus eu-west-1 and ap-southeast-2.
    expect(rules).toHaveLength(3 * expected.length);
    for (const r of rules) expect(pattern(r)).toEqual(expected[0]);
    const names = expected[0].detail.eventName;
    for (const e of [
      "AuthorizeSecurityGroupIngress",
      "AuthorizeSecurityGroupEgress",
      "RevokeSecurityGroupIngress",
      "ModifySecurityGroupRules",
      "CreateSecurityGroup",
    ])
      expect(names).toContain(e);
  });

  test("home rules target the task queue with a DLQ and retries; forwarders target the home bus through a put-only role", () => {
    const targets = resourcesOfType("aws:cloudwatch/eventTarget:EventTarget");
    for (const t of targets) {
      expect(t.inputs.deadLetterConfig?.arn).toBeTruthy();
      expect(t.inputs.retryPolicy).toEqual({ maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 });
    }
    const forwards = targets.filter((t) => String(t.inputs.arn).includes(":event-bus/default"));
    // Per region: its CloudTrail rule and its DLQ alarm's rule.
    expect(forwards).toHaveLength(4);
    for (const f of forwards)
      expect(f.inputs.arn).toBe(`arn:aws:events:us-east-1:${MOCK_ACCOUNT}:event-bus/default`);
    // Exactly one provider per forwarding region.
    const providers = [...resourcesOfType("pulumi:providers:aws").map((p) => p.inputs.region)].sort();
    expect(providers).toEqual(["ap-southeast-2", "eu-west-1"]);
    const putOnly = resourcesOfType("aws:iam/rolePolicy:RolePolicy")
      .map(policyOf)
      .filter((p) => p.Statement.some((s: { Sid?: string }) => s.Sid === "ForwardToHomeBus"));
    expect(putOnly).toHaveLength(2);
    for (const p of putOnly)
      expect(p.Statement).toEqual([
        expect.objectContaining({
          Action: "events:PutEvents",
          Resource: `arn:aws:events:us-east-1:${MOCK_ACCOUNT}:event-bus/default`,
        }),
      ]);
  });

  test("the home bus lets exactly the member accounts put events", () => {
    const [bus] = resourcesOfType("aws:cloudwatch/eventBusPolicy:EventBusPolicy");
    expect(policyOf(bus).Statement).toEqual([
      expect.objectContaining({
        Principal: { AWS: ["111122223333", "444455556666"] },
        Action: "events:PutEvents",
      }),
    ]);
  });

  test("a daily sweep of every region and account the handler can read", () => {
    const inputs = resourcesOfType("aws:cloudwatch/eventTarget:EventTarget")
      .filter((t) => t.inputs.input)
      .map((t) => JSON.parse(t.inputs.input))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(inputs).toHaveLength(9);
    expect(inputs).toContainEqual({ sweep: true, region: "eu-west-1", account: "111122223333" });
    expect(inputs).toContainEqual({ sweep: true, region: "us-east-1" });
    for (const r of resourcesOfType("aws:cloudwatch/eventRule:EventRule").filter(
      (x) => x.inputs.scheduleExpression,
    ))
      expect(r.inputs.scheduleExpression).toBe("cron(15 3 * * ? *)");
  });

  test("the handler may describe groups and interfaces, keep state, alert and assume the member role, nothing else", () => {
    const fn = resourcesOfType("aws:lambda/function:Function").find(
      (f) => f.inputs.environment?.variables?.[ConfigScannerEnv.stateTable],
    )!;
    const env = fn.inputs.environment.variables;
    expect(JSON.parse(env[ConfigScannerEnv.memberRoles])).toEqual({
      "111122223333": "arn:aws:iam::111122223333:role/sec-an-config-reader",
      "444455556666": "arn:aws:iam::444455556666:role/sec-an-config-reader",
    });
    const statements = resourcesOfType("aws:iam/rolePolicy:RolePolicy")
      .map(policyOf)
      .find((p) => p.Statement.some((s: { Sid?: string }) => s.Sid === "DescribeSecurityGroups"))!.Statement;
    const bySid = Object.fromEntries(
      statements.filter((s: { Sid?: string }) => s.Sid).map((s: { Sid: string }) => [s.Sid, s]),
    );
    expect(bySid.DescribeSecurityGroups).toMatchObject({
      Action: ["ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"],
      Resource: "*",
    });
    expect(bySid.FindingsState.Action).toEqual([
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
    ]);
    expect(bySid.Alerts.Action).toBe("sns:Publish");
    expect(bySid.MemberAccounts).toMatchObject({ Action: "sts:AssumeRole" });
    for (const s of statements) expect([s.Action].flat().some((a: string) => a.includes("*"))).toBe(false);
  });

  test("state table: on demand, encrypted, point-in-time recovery; alerts topic encrypted with an email subscription", () => {
    const [table] = resourcesOfType("aws:dynamodb/table:Table");
    expect(table.inputs).toMatchObject({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "plugin",
      rangeKey: "resource",
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
    });
    const topic = resourcesOfType("aws:sns/topic:Topic").find((t) =>
      String(t.inputs.name).endsWith("-alerts"),
    )!;
    expect(topic.inputs.kmsMasterKeyId).toBeTruthy();
    const email = resourcesOfType("aws:sns/topicSubscription:TopicSubscription").find(
      (s) => s.inputs.protocol === "email",
    );
    expect(email?.inputs.endpoint).toBe("security@example.com");
  });

  test("config-scanner_findings_snapshot and _history indices", () => {
    const indices = resourcesOfType("aws:lambda/invocation:Invocation")
      .map((r) => JSON.parse(r.inputs.input))
      .filter((spec) => spec.kind === "index")
      .map((spec) => spec.base)
      .sort();
    expect(indices).toEqual([ConfigFindingsIndex.history, ConfigFindingsIndex.snapshot]);
  });

  test("each forwarding DLQ alarms to a topic of its region that CloudWatch may encrypt for", () => {
    const queueOf = (a: {
      inputs: { metricQueries?: { metric?: { dimensions?: { QueueName?: string } } }[] };
    }) =>
      a.inputs.metricQueries?.find((q) => q.metric?.dimensions?.QueueName)?.metric?.dimensions?.QueueName ??
      "";
    const alarms = resourcesOfType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) =>
      /-forward-[a-z0-9-]+-dlq$/.test(queueOf(a)),
    );
    expect(alarms.map(queueOf).sort()).toEqual([
      "dev-sec-an-config-scanner-forward-ap-southeast-2-dlq",
      "dev-sec-an-config-scanner-forward-eu-west-1-dlq",
    ]);
    const topics = resourcesOfType("aws:sns/topic:Topic").filter((t) =>
      /-forward-.*-notifications$/.test(t.inputs.name),
    );
    expect(topics).toHaveLength(2);
    for (const t of topics) expect(t.inputs.kmsMasterKeyId).toBeTruthy();
    const keys = resourcesOfType("aws:kms/key:Key").map((k) => JSON.parse(k.inputs.policy));
    expect(keys).toHaveLength(2);
    for (const k of keys)
      expect(k.Statement).toContainEqual(
        expect.objectContaining({ Principal: { Service: "cloudwatch.amazonaws.com" } }),
      );
  });

  test("each forwarding DLQ alarm is heard at home: region rule → home bus → notifications topic", () => {
    const regions = ["ap-southeast-2", "eu-west-1"];
    const alarmArnOf = (region: string) =>
      `arn:aws:cloudwatch:${region}:${MOCK_ACCOUNT}:alarm:dev-sec-an-config-scanner-forward-${region}-dlq-alarm`;
    const statePattern = (arns: string[]) => ({
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      resources: arns,
      detail: { state: { value: ["ALARM"] } },
    });
    const alarms = resourcesOfType("aws:cloudwatch/metricAlarm:MetricAlarm");
    const rules = resourcesOfType("aws:cloudwatch/eventRule:EventRule");
    const targets = resourcesOfType("aws:cloudwatch/eventTarget:EventTarget");
    const targetsOf = (rule: { inputs: { name?: string } }) =>
      targets.filter((t) => t.inputs.rule === rule.inputs.name);
    const homeBus = `arn:aws:events:us-east-1:${MOCK_ACCOUNT}:event-bus/default`;
    const forwardRoles = resourcesOfType("aws:iam/rolePolicy:RolePolicy").filter((p) =>
      policyOf(p).Statement.some((s: { Sid?: string }) => s.Sid === "ForwardToHomeBus"),
    );
    for (const region of regions) {
      const alarm = alarms.find(
        (a) => a.inputs.name === `dev-sec-an-config-scanner-forward-${region}-dlq-alarm`,
      );
      expect(alarm?.provider).toContain(`-${region}-provider`);
      // In the alarm's region: a rule matching exactly that alarm, forwarding through the put-only role.
      const regional = rules.filter(
        (r) => r.provider?.includes(`-${region}-provider`) && pattern(r)?.source?.[0] === "aws.cloudwatch",
      );
      expect(regional.map(pattern)).toEqual([statePattern([alarmArnOf(region)])]);
      const [forward] = targetsOf(regional[0]);
      expect(forward.inputs).toMatchObject({ arn: homeBus, deadLetterConfig: { arn: expect.any(String) } });
      const role = resourcesOfType("aws:iam/role:Role").find((r) => r.state.arn === forward.inputs.roleArn)!;
      expect(forwardRoles.map((p) => p.inputs.role)).toContain(role.id);
    }
    // At home: one rule on exactly those alarms, delivering to the platform's notifications topic.
    const home = rules.filter(
      (r) => !r.provider?.includes("-provider") && pattern(r)?.source?.[0] === "aws.cloudwatch",
    );
    expect(home.map(pattern)).toEqual([statePattern(regions.map(alarmArnOf))]);
    const [deliver] = targetsOf(home[0]);
    expect(deliver.inputs).toMatchObject({
      arn: `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-notifications`,
      retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
      deadLetterConfig: { arn: expect.any(String) },
    });
    expect(deliver.inputs.roleArn).toBeUndefined();
    // The notifications topic admits this account's rules of its own (the home) region.
    const admitted = ALARM_TOPIC_PUBLISHERS.eventRules
      .source({ partition: "aws", region: "us-east-1", account: MOCK_ACCOUNT })
      .replace(/\*$/, "");
    expect(`arn:aws:events:us-east-1:${MOCK_ACCOUNT}:rule/${home[0].inputs.name}`.startsWith(admitted)).toBe(
      true,
    );
    // The rules' DLQ (home) admits the home rule; each region's DLQ admits its alarm rule.
    const queuePolicies = resourcesOfType("aws:sqs/queuePolicy:QueuePolicy").map((q) =>
      JSON.stringify(policyOf(q)),
    );
    expect(queuePolicies.some((q) => q.includes(`rule/${home[0].inputs.name}`))).toBe(true);
    for (const region of regions)
      expect(
        queuePolicies.some((q) =>
          q.includes(
            `:events:${region}:${MOCK_ACCOUNT}:rule/dev-sec-an-config-scanner-forward-${region}-alarms`,
          ),
        ),
      ).toBe(true);
    // The home rule may not send to the task queue.
    const taskQueuePolicy = queuePolicies.find((q) => q.includes("events-ec2") && !q.includes("-dlq"))!;
    expect(taskQueuePolicy).toBeDefined();
    expect(taskQueuePolicy).not.toContain("forwarded-alarms");
    // The regional topics the alarms need as their action are mailed too (alert email configured).
    const regionalTopics = resourcesOfType("aws:sns/topic:Topic").filter((t) =>
      /-forward-.*-notifications$/.test(t.inputs.name),
    );
    const emails = resourcesOfType("aws:sns/topicSubscription:TopicSubscription").filter(
      (x) => x.inputs.protocol === "email",
    );
    for (const t of regionalTopics) expect(emails.map((e) => e.inputs.topic)).toContain(t.state.arn);
  });

  test("zero policy violations", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });
});
