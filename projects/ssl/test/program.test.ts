import { checkResources } from "@sec-an/policy";
import {
  MAX_CASCADE_DEPTH,
  Params,
  SavedObjectSpec,
  SslEnv,
  paramName,
  savedObjectId,
  tlsPortsFilterPolicy,
  validate,
} from "@sec-an/contracts";
import {
  MOCK_ACCOUNT,
  resourceNamed,
  resources,
  resourcesOfType,
  runProgram,
  setupPulumiMocks,
  unwrap,
  stackConfig,
} from "@sec-an/testing";
import { portsSubscriptionAliases, program, runFromConfig } from "../src/program";
import { parseConfig, worstCaseScanSeconds } from "../src/stack-config";

const D = { app: "sec-an", stage: "dev" };
const PORTS_TOPIC = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-ports-detected`;
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${MOCK_ACCOUNT}:table/dev-sec-an-resolved-addresses`;
const INGEST = `arn:aws:sqs:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-ingest`;
const ADMIN = "dev-sec-an-opensearch-admin";
const ssm = {
  [paramName(D, Params.portsTopicArn)]: PORTS_TOPIC,
  [paramName(D, Params.resolvedAddressesTableArn)]: TABLE_ARN,
  [paramName(D, Params.ingestQueueArn)]: INGEST,
  [paramName(D, Params.esAdminFunctionName)]: ADMIN,
  [paramName(D, Params.deadLettersBucketArn)]: "arn:aws:s3:::dev-sec-an-dead-letters",
  [paramName(D, Params.deadLettersBucketName)]: "dev-sec-an-dead-letters",
  [paramName(D, Params.snsLoggingRoleArn)]: `arn:aws:iam::${MOCK_ACCOUNT}:role/sns-logging`,
};
const run = (values: Record<string, string> = {}) => {
  setupPulumiMocks({ project: "sec-an-ssl", stack: "dev", ssm });
  return runProgram(() => program(parseConfig(stackConfig(values), "dev")));
};
const statements = (policyName: string) =>
  JSON.parse(resourceNamed("aws:iam/rolePolicy:RolePolicy", policyName).inputs.policy).Statement;

describe("sec-an-ssl program", () => {
  let out: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    out = await run({ handshakeTimeoutMs: "3000", maxHostnames: "8" });
  }, 120_000);

  test("zero policy violations over the whole program", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });

  test("the task queue gets TLS port events only: SNS filter policy, raw delivery, ONE queue policy for that topic alone", () => {
    const sub = resourceNamed(
      "aws:sns/topicSubscription:TopicSubscription",
      "dev-sec-an-ssl-ports-to-queue",
    ).inputs;
    expect(sub).toMatchObject({
      topic: PORTS_TOPIC,
      protocol: "sqs",
      rawMessageDelivery: true,
      filterPolicyScope: "MessageAttributes",
    });
    expect(sub.endpoint).toBe(out.taskQueueArn);
    expect(JSON.parse(sub.filterPolicy)).toEqual(tlsPortsFilterPolicy(MAX_CASCADE_DEPTH));
    const onTaskQueue = resourcesOfType("aws:sqs/queuePolicy:QueuePolicy").filter(
      (p) => JSON.parse(p.inputs.policy).Statement[0].Resource === out.taskQueueArn,
    );
    expect(onTaskQueue.map((p) => p.name)).toEqual(["dev-sec-an-ssl-queue-policy"]);
    const policy = JSON.parse(onTaskQueue[0].inputs.policy);
    expect(policy.Statement).toEqual([
      {
        Sid: "AllowSnsTopics",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: out.taskQueueArn,
        Condition: { ArnEquals: { "aws:SourceArn": [PORTS_TOPIC] } },
      },
    ]);
    const q = resourcesOfType("aws:sqs/queue:Queue").find((r) => r.state.arn === out.taskQueueArn)!.inputs;
    expect(q.sqsManagedSseEnabled).toBe(true);
    expect(JSON.parse(q.redrivePolicy).deadLetterTargetArn).toMatch(/-dlq$/);
  });

  test("an upgrade keeps the subscription and queue policy of stacks deployed with PortsSubscription (aliases)", async () => {
    const transform = portsSubscriptionAliases("dev-sec-an");
    const aliased = resources()
      .map((r) => ({ r, out: transform({ type: r.type, name: r.name, props: { k: 1 }, opts: {} } as never) }))
      .filter((x) => x.out !== undefined);
    expect(aliased.map((x) => x.r.name).sort()).toEqual([
      "dev-sec-an-ssl-ports-to-queue",
      "dev-sec-an-ssl-queue-policy",
    ]);
    for (const { r, out } of aliased) {
      expect(out!.props).toEqual({ k: 1 });
      const [alias] = out!.opts.aliases as { name: string; parent: unknown }[];
      expect(alias.name).toBe(
        r.name === "dev-sec-an-ssl-queue-policy"
          ? "dev-sec-an-ssl-ports-queue-policy"
          : "dev-sec-an-ssl-ports",
      );
      expect(await unwrap(alias.parent as never)).toBe(
        "urn:pulumi:dev::sec-an-ssl::sec-an:ssl:PortsSubscription::dev-sec-an-ssl-ports",
      );
    }
  });

  test("scan Lambda: DynamoDB Query on the resolved-addresses table ARN only, tuning in its environment", () => {
    const fn = resourceNamed("aws:lambda/function:Function", "dev-sec-an-ssl-scan-function").inputs;
    expect(fn.runtime).toBe("nodejs22.x");
    expect(fn.environment.variables).toMatchObject({
      [SslEnv.handshakeTimeoutMs]: "3000",
      [SslEnv.maxHostnames]: "8",
      SEC_AN_TASK: "ssl",
    });
    const st = statements("dev-sec-an-ssl-scan-policy");
    const dynamo = st.filter((s: { Action: string | string[] }) =>
      JSON.stringify(s.Action).includes("dynamodb:"),
    );
    expect(dynamo).toEqual([
      { Sid: "QueryResolvedAddresses", Effect: "Allow", Action: "dynamodb:Query", Resource: TABLE_ARN },
    ]);
    const ssmRead = st.find((s: { Sid: string }) => s.Sid === "ReadResolvedAddressesTableName");
    expect(ssmRead.Resource).toEqual([
      `arn:aws:ssm:us-east-1:${MOCK_ACCOUNT}:parameter${paramName(D, Params.resolvedAddressesTableId)}`,
    ]);
    const sids = st.map((s: { Sid?: string }) => s.Sid).filter(Boolean);
    expect(new Set(sids).size).toBe(sids.length);
    const mapping = resourceNamed(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "dev-sec-an-ssl-queue-to-dev-sec-an-ssl-scan",
    ).inputs;
    expect(mapping.functionResponseTypes).toEqual(["ReportBatchItemFailures"]);
  });

  test("results go to the analytics ingest queue", () => {
    const sub = resourceNamed(
      "aws:sns/topicSubscription:TopicSubscription",
      "dev-sec-an-ssl-results-topic-to-ingest",
    ).inputs;
    expect(sub).toMatchObject({
      endpoint: INGEST,
      protocol: "sqs",
      rawMessageDelivery: true,
      topic: out.resultsTopicArn,
    });
  });

  test("views: six indices and saved objects that reference only ids that exist, with unique titles", () => {
    const invocations = resourcesOfType("aws:lambda/invocation:Invocation").map((r) =>
      JSON.parse(r.inputs.input),
    );
    expect(
      resourcesOfType("aws:lambda/invocation:Invocation").every((r) => r.inputs.functionName === ADMIN),
    ).toBe(true);
    const indexes = invocations.filter((i) => i.kind === "index");
    expect(indexes.map((i) => i.base).sort()).toEqual([
      "ssl_certificate_history",
      "ssl_certificate_snapshot",
      "ssl_endpoint_history",
      "ssl_endpoint_snapshot",
      "ssl_protocol_history",
      "ssl_protocol_snapshot",
    ]);
    const objects = invocations
      .filter((i) => i.kind === "saved-object")
      .map((o) => validate(SavedObjectSpec, o));
    const ids = new Set(objects.map((o) => o.id));
    for (const o of objects) for (const r of o.references) expect(ids.has(r.id as string)).toBe(true);
    const titles = objects.map((o) => `${o.type}:${o.attributes.title}`);
    expect(new Set(titles).size).toBe(titles.length);
    expect(ids.has(savedObjectId("dashboard", "ssl-actionable"))).toBe(true);
    expect(out.views).toHaveLength(objects.filter((o) => o.type !== "index-pattern").length);
  });
});

describe("sec-an-ssl configuration", () => {
  test("views can be left out (no analytics stack yet)", async () => {
    await run({ views: "false" });
    expect(resourcesOfType("aws:lambda/invocation:Invocation")).toEqual([]);
    expect(
      resourcesOfType("aws:sns/topicSubscription:TopicSubscription")
        .map((s) => s.name)
        .sort(),
    ).toEqual(["dev-sec-an-ssl-ports-to-queue", "dev-sec-an-ssl-results-topic-to-ingest"]);
  }, 120_000);

  test("runFromConfig reads the namespaced stack config, as pulumi up does", async () => {
    setupPulumiMocks({
      project: "sec-an-ssl",
      stack: "local",
      ssm: Object.fromEntries(Object.entries(ssm).map(([k, v]) => [k.replace("/dev/", "/local/"), v])),
      config: { handshakeTimeoutMs: "2000", views: "false" },
    });
    await runProgram(() => runFromConfig("local"));
    const fn = resourceNamed("aws:lambda/function:Function", "local-sec-an-ssl-scan-function").inputs;
    expect(fn.environment.variables[SslEnv.handshakeTimeoutMs]).toBe("2000");
  }, 120_000);

  test("overrides replace SSM lookups", async () => {
    const topic = `arn:aws:sns:eu-west-2:${MOCK_ACCOUNT}:other-ports`;
    await run({ portsTopicArn: topic, maxCascadeDepth: "1", views: "false" });
    const sub = resourceNamed(
      "aws:sns/topicSubscription:TopicSubscription",
      "dev-sec-an-ssl-ports-to-queue",
    ).inputs;
    expect(sub.topic).toBe(topic);
    expect(JSON.parse(sub.filterPolicy)).toEqual(tlsPortsFilterPolicy(1));
  }, 120_000);

  test.each([
    [{ handshakeTimeoutMs: "50" }, /handshakeTimeoutMs: must be an integer 100\.\.60000/],
    [{ maxHostnames: "0" }, /maxHostnames/],
    [{ scanTimeout: "12", maxHostnames: "16" }, /scanTimeout: 12s cannot cover 16 host names/],
    [{ views: "yes" }, /views: must be true or false/],
    [{ portsTopicArn: "arn:aws:sqs:us-east-1:123456789012:q" }, /portsTopicArn: expected an sns ARN/],
    [{ maxCascadeDepth: String(MAX_CASCADE_DEPTH + 1) }, /maxCascadeDepth/],
  ])("rejects %j", (values, message) => {
    expect(() => parseConfig(stackConfig(values as Record<string, string>), "dev")).toThrow(message);
  });

  test("the default scan timeout covers the default worst case", () => {
    const c = parseConfig(stackConfig({}), "dev");
    expect(c.scanTimeout).toBeGreaterThanOrEqual(worstCaseScanSeconds(c.handshakeTimeoutMs, c.maxHostnames));
    expect(c).toMatchObject({
      deployment: D,
      views: true,
      forceDestroy: false,
      maxCascadeDepth: MAX_CASCADE_DEPTH,
    });
  });
});
