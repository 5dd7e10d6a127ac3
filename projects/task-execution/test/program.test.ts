import { checkResources } from "@sec-an/policy";
import { allParams, paramName } from "@sec-an/contracts";
import {
  MOCK_ACCOUNT,
  resourceNamed,
  resources,
  resourcesOfType,
  runProgram,
  setupPulumiMocks,
  stackConfig,
} from "@sec-an/testing";
import { program } from "../src/program";
import { parseConfig } from "../src/stack-config";

const ROLE = "arn:aws:iam::210987654321:role/route53-read";
const SSM = {
  "/sec-an/dev/s3/dead_letters/arn": "arn:aws:s3:::dev-sec-an-dead-letters",
  "/sec-an/dev/analytics/elastic/ingest_queue/arn": `arn:aws:sqs:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-ingest`,
  "/sec-an/dev/analytics/elastic/admin_function/name": "dev-sec-an-es-admin",
  "/sec-an/dev/analytics/kibana/dead_letter_vis/id": "dead-letters-vis-id",
};
const run = (values: Record<string, string> = {}) => {
  setupPulumiMocks({ project: "sec-an-task-execution", stack: "dev", ssm: SSM });
  return runProgram(() => program(parseConfig(stackConfig({ route53RoleArn: ROLE, ...values }), "dev")));
};
const ssmValues = () =>
  Object.fromEntries(
    resourcesOfType("aws:ssm/parameter:Parameter").map((p) => [p.inputs.name, p.inputs.insecureValue]),
  );
const statements = (policyName: string) =>
  JSON.parse(resourceNamed("aws:iam/rolePolicy:RolePolicy", policyName).inputs.policy).Statement;

describe("sec-an-task-execution program", () => {
  let out: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    out = await run({
      ingestTime: "04:35",
      ingestTimezone: "Europe/London",
      rateLimit: "2",
      dnsServers: '["10.0.0.2"]',
    });
  }, 180_000);

  test("zero policy violations over the whole program", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });

  test("publishes every task-execution catalogue parameter, from the resources", () => {
    const expected = allParams()
      .filter((p) => p.producer === "task-execution")
      .map((p) => paramName({ app: "sec-an", stage: "dev" }, p));
    const v = ssmValues();
    expect(Object.keys(v).sort()).toEqual(expected.sort());
    expect(v).toMatchObject({
      "/sec-an/dev/scheduler/dynamodb/scans_planned/id": "dev-sec-an-scan-plan",
      "/sec-an/dev/scheduler/dynamodb/scans_planned/plan_index": "ToScan",
      "/sec-an/dev/scheduler/dynamodb/resolved_hosts/id": "dev-sec-an-resolved-hosts",
      "/sec-an/dev/scheduler/dynamodb/resolved_addresses/id": "dev-sec-an-resolved-addresses",
      "/sec-an/dev/scheduler/dynamodb/address_info/id": "dev-sec-an-address-info",
      "/sec-an/dev/scheduler/route53/role/arn": ROLE,
      "/sec-an/dev/scheduler/config/period": "86400",
      "/sec-an/dev/scheduler/config/buckets": "96",
      "/sec-an/dev/scheduler/config/rate_limit_slowdown": "2",
      "/sec-an/dev/scheduler/config/log_unhandled": "false",
      "/sec-an/dev/scheduler/scan_delay_queue": `https://sqs.us-east-1.amazonaws.com/${MOCK_ACCOUNT}/dev-sec-an-scan-delay-queue`,
    });
    expect(v["/sec-an/dev/ecs/cluster"]).toBe(out.clusterArn);
    expect(v["/sec-an/dev/scheduler/scan_initiator_topic/arn"]).toBe(out.scanInitiatorTopicArn);
    expect(v["/sec-an/dev/scheduler/dynamodb/address_info/arn"]).toMatch(/:table\/dev-sec-an-address-info$/);
  });

  test("ECS cluster: Fargate capacity providers and Container Insights", () => {
    const c = resourceNamed("aws:ecs/cluster:Cluster", "dev-sec-an-cluster");
    expect(c.inputs.settings).toEqual([{ name: "containerInsights", value: "enabled" }]);
    const cp = resourceNamed(
      "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
      "dev-sec-an-cluster-capacity",
    );
    expect(cp.inputs.capacityProviders).toEqual(["FARGATE", "FARGATE_SPOT"]);
    expect(cp.inputs.clusterName).toBe("dev-sec-an-cluster");
  });

  test("DynamoDB tables: the original keys, on demand, SSE, PITR, streams where the views sync", () => {
    const t = (n: string) => resourceNamed("aws:dynamodb/table:Table", `dev-sec-an-dns-${n}`).inputs;
    const tables = ["scan-plan", "resolved-hosts", "resolved-addresses", "address-info"].map(t);
    for (const table of tables) {
      expect(table.billingMode).toBe("PAY_PER_REQUEST");
      expect(table.serverSideEncryption).toEqual({ enabled: true });
      expect(table.pointInTimeRecovery).toEqual({ enabled: true });
    }
    const [plan, hosts, addresses, info] = tables;
    expect([plan.name, plan.hashKey, plan.rangeKey, plan.streamEnabled]).toEqual([
      "dev-sec-an-scan-plan",
      "Address",
      undefined,
      undefined,
    ]);
    expect(plan.globalSecondaryIndexes).toEqual([
      {
        name: "ToScan",
        hashKey: "Address",
        rangeKey: "PlannedScanTime",
        projectionType: "INCLUDE",
        nonKeyAttributes: ["DnsIngestTime"],
      },
    ]);
    expect([hosts.hashKey, hosts.rangeKey, hosts.streamViewType]).toEqual([
      "Host",
      "DnsIngestTime",
      "NEW_AND_OLD_IMAGES",
    ]);
    expect([addresses.hashKey, addresses.rangeKey, addresses.streamViewType]).toEqual([
      "Address",
      "DnsIngestTime",
      "NEW_AND_OLD_IMAGES",
    ]);
    expect([info.hashKey, info.rangeKey, info.streamViewType]).toEqual([
      "Address",
      undefined,
      "NEW_AND_OLD_IMAGES",
    ]);
  });

  test("delay queue (encrypted, with DLQ) → glue → KMS-encrypted scan-initiator topic", () => {
    const q = resourceNamed("aws:sqs/queue:Queue", "dev-sec-an-scan-delay-queue").inputs;
    expect(q.sqsManagedSseEnabled).toBe(true);
    expect(JSON.parse(q.redrivePolicy).deadLetterTargetArn).toMatch(/dev-sec-an-scan-delay-queue-dlq$/);
    const topic = resourceNamed("aws:sns/topic:Topic", "dev-sec-an-scan-initiator").inputs;
    expect(topic.kmsMasterKeyId).toBe("alias/aws/sns");
    expect(topic.name).toBe("dev-sec-an-scan-initiator");
    const glue = resourceNamed(
      "aws:lambda/function:Function",
      "dev-sec-an-scan-initiator-glue-function-function",
    ).inputs;
    expect(glue.environment.variables).toEqual({
      SEC_AN_APP: "sec-an",
      SEC_AN_STAGE: "dev",
      POWERTOOLS_SERVICE_NAME: "dev-sec-an-scan-initiator-glue-function",
      SEC_AN_ERRORS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:dev-sec-an-errors",
      SEC_AN_GLUE_TOPIC_ARN: out.scanInitiatorTopicArn,
      // Unpublishable records, and those failing on their last attempt, go to the DLQ with the reason.
      SEC_AN_DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/dev-sec-an-scan-delay-queue-dlq",
      SEC_AN_MAX_RECEIVE_COUNT: "3",
    });
    // After its logs, X-Ray and the errors-topic grant every platform function has.
    expect(statements("dev-sec-an-scan-initiator-glue-function-policy").slice(3)).toEqual([
      { Sid: "PublishToTopic", Effect: "Allow", Action: "sns:Publish", Resource: out.scanInitiatorTopicArn },
      {
        Sid: "DeadLetterFailures",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: "arn:aws:sqs:us-east-1:123456789012:dev-sec-an-scan-delay-queue-dlq",
      },
    ]);
    const mapping = resourceNamed(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "dev-sec-an-scan-delay-queue-to-dev-sec-an-scan-initiator-glue-function",
    ).inputs;
    expect(mapping.functionName).toMatch(/function:dev-sec-an-scan-initiator-glue-function$/);
    expect(mapping.eventSourceArn).toMatch(/:dev-sec-an-scan-delay-queue$/);
    expect(mapping.functionResponseTypes).toEqual(["ReportBatchItemFailures"]);
  });

  test("schedules: daily ingest at the configured time and zone, initiator every 15 minutes", () => {
    const ingest = resourceNamed("aws:scheduler/schedule:Schedule", "dev-sec-an-ingest-dns-schedule").inputs;
    expect([ingest.scheduleExpression, ingest.scheduleExpressionTimezone]).toEqual([
      "cron(35 4 * * ? *)",
      "Europe/London",
    ]);
    expect(ingest.target.arn).toMatch(/function:dev-sec-an-dns-ingestor$/);
    const init = resourceNamed(
      "aws:scheduler/schedule:Schedule",
      "dev-sec-an-scan-initiator-schedule",
    ).inputs;
    expect(init.scheduleExpression).toBe("cron(0/15 * * * ? *)");
    // The scheduler role may invoke its one function only.
    expect(statements("dev-sec-an-ingest-dns-schedule-policy")).toEqual([
      expect.objectContaining({ Action: "lambda:InvokeFunction", Resource: ingest.target.arn }),
    ]);
  });

  test("DNS ingestor: assumes only the Route53 role, writes only the four tables, async failures to its recorder", () => {
    const fn = resourceNamed("aws:lambda/function:Function", "dev-sec-an-dns-ingestor-function").inputs;
    expect([fn.timeout, fn.runtime]).toEqual([900, "nodejs22.x"]);
    expect(fn.deadLetterConfig.targetArn).toMatch(/:dev-sec-an-ingest-dns-dlq$/);
    expect(fn.environment.variables.SEC_AN_DNS_SERVERS).toBe("10.0.0.2");
    const st = statements("dev-sec-an-dns-ingestor-policy");
    expect(st).toContainEqual(expect.objectContaining({ Action: "sts:AssumeRole", Resource: ROLE }));
    const write = st.find((s: { Sid: string }) => s.Sid === "WriteDnsTables");
    expect(write.Action).toBe("dynamodb:UpdateItem");
    expect(write.Resource).toHaveLength(4);
    expect(JSON.stringify(st)).not.toMatch(/dynamodb:\*|"Action":"\*"/);
  });

  test("scan initiator: reads the ToScan index, deletes plans, sends to the delay queue only", () => {
    const fn = resourceNamed("aws:lambda/function:Function", "dev-sec-an-scan-initiator-function").inputs;
    expect(fn.reservedConcurrentExecutions).toBe(1);
    expect(fn.deadLetterConfig.targetArn).toMatch(/:dev-sec-an-scan-initiator-dlq$/);
    const st = statements("dev-sec-an-scan-initiator-policy");
    const by = (sid: string) => st.find((s: { Sid: string }) => s.Sid === sid);
    expect(by("ReadDuePlans")).toMatchObject({
      Action: "dynamodb:Scan",
      Resource: expect.stringMatching(/table\/dev-sec-an-scan-plan\/index\/ToScan$/),
    });
    expect(by("QueueScans")).toMatchObject({
      Action: "sqs:SendMessage",
      Resource: expect.stringMatching(/:dev-sec-an-scan-delay-queue$/),
    });
  });
});

describe("DNS views in the program", () => {
  beforeAll(() => run(), 180_000);

  test("three table syncs, as the original: address-info snapshot only, resolved-* diffed with a temporal key", () => {
    const syncs = resourcesOfType("sec-an:analytics:DynamoElasticSync")
      .map((r) => r.name)
      .sort();
    expect(syncs).toEqual([
      "dev-sec-an-sync-address-info",
      "dev-sec-an-sync-resolved-addresses",
      "dev-sec-an-sync-resolved-hosts",
    ]);
    const env = (n: string) =>
      resourceNamed("aws:lambda/function:Function", `${n}-function`).inputs.environment.variables;
    expect(env("dev-sec-an-sync-resolved-hosts")).toMatchObject({ SEC_AN_SYNC_TASK: "resolved_hosts" });
    const hosts = JSON.stringify(env("dev-sec-an-sync-resolved-hosts"));
    expect(hosts).toContain('"Addresses"');
    expect(hosts).toContain('"DnsIngestTime"');
    expect(JSON.stringify(env("dev-sec-an-sync-address-info"))).not.toContain("DnsIngestTime");
    const mapping = resourceNamed(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "dev-sec-an-sync-resolved-addresses-stream",
    ).inputs;
    expect(mapping.eventSourceArn).toBe(
      resourceNamed("aws:dynamodb/table:Table", "dev-sec-an-dns-resolved-addresses").state.streamArn,
    );
  });

  test("indices and saved objects go through the admin Lambda; dashboards embed the Dead Letters vis from SSM", () => {
    const invocations = resourcesOfType("aws:lambda/invocation:Invocation");
    expect(
      invocations.every(
        (i) => i.inputs.functionName === "dev-sec-an-es-admin" && i.inputs.lifecycleScope === "CRUD",
      ),
    ).toBe(true);
    const specs = invocations.map((i) => JSON.parse(i.inputs.input));
    expect(
      specs
        .filter((s) => s.kind === "index")
        .map((s) => s.base)
        .sort(),
    ).toEqual([
      "address_info_data_snapshot",
      "resolved_addresses_data_history",
      "resolved_addresses_data_snapshot",
      "resolved_hosts_data_history",
      "resolved_hosts_data_snapshot",
    ]);
    const dashboards = specs.filter((s) => s.type === "dashboard");
    expect(dashboards.map((d) => d.attributes.title).sort()).toEqual([
      "Actionable items: DNS changes and DLQs",
      "DNS Ingestion and Dead Letters",
    ]);
    for (const d of dashboards)
      expect(d.references).toContainEqual({ name: "panel_0", type: "visualization", id: expect.any(String) });
    expect(dashboards.flatMap((d) => d.references.map((r: { id: string }) => r.id))).toContain(
      "dead-letters-vis-id",
    );
  });

  test("views can be turned off (no analytics platform yet)", async () => {
    await run({ views: "false" });
    expect(resourcesOfType("sec-an:analytics:DynamoElasticSync")).toEqual([]);
    expect(resourcesOfType("aws:lambda/invocation:Invocation")).toEqual([]);
    expect(await checkResources(resources())).toEqual([]);
  });
});

describe("task-execution stack config", () => {
  test("defaults", () => {
    expect(parseConfig(stackConfig({ route53RoleArn: ROLE }), "dev")).toEqual({
      deployment: { app: "sec-an", stage: "dev" },
      route53RoleArn: ROLE,
      scheduler: { period: 86_400, buckets: 96, rateLimit: 5, logUnhandled: false },
      ingestSchedule: "cron(0 3 * * ? *)",
      ingestTimezone: "UTC",
      dnsServers: [],
      views: true,
    });
  });
  test.each([
    [{}, /sec-an-task-execution:route53RoleArn: required/],
    [{ route53RoleArn: "role/x" }, /sec-an-task-execution:route53RoleArn: expected an IAM role ARN/],
    [
      { route53RoleArn: ROLE, period: "-5" },
      /sec-an-task-execution:period: expected a positive whole number/,
    ],
    [
      { route53RoleArn: ROLE, period: "60", buckets: "96" },
      /sec-an-task-execution:period\/buckets: buckets \(96\) must not exceed period/,
    ],
    [{ route53RoleArn: ROLE, rateLimit: "50" }, /sec-an-task-execution:rateLimit: .*\(0, 5\]/],
    [
      { route53RoleArn: ROLE, ingestTime: "25:00" },
      /sec-an-task-execution:ingestTime: expected a time of day HH:MM/,
    ],
    [{ route53RoleArn: ROLE, ingestTimezone: "UTC; rm" }, /sec-an-task-execution:ingestTimezone/],
    [
      { route53RoleArn: ROLE, dnsServers: '["ns.example.com"]' },
      /sec-an-task-execution:dnsServers: not a DNS server address/,
    ],
    [
      { route53RoleArn: ROLE, logUnhandled: "yes" },
      /sec-an-task-execution:logUnhandled: expected true or false/,
    ],
    [{ route53RoleArn: ROLE, views: "no" }, /sec-an-task-execution:views: expected true or false/],
  ])("rejects %j", (values, message) => {
    expect(() => parseConfig(stackConfig(values as Record<string, string>), "dev")).toThrow(message);
  });
});
