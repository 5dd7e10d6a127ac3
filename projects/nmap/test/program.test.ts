import { lifecycleRule } from "@sec-an/components";
import { checkResources } from "@sec-an/policy";
import {
  MOCK_ACCOUNT,
  resourceNamed,
  resources,
  resourcesOfType,
  runProgram,
  setupPulumiMocks,
} from "@sec-an/testing";
import { Params, paramName, tlsPortsFilterPolicy } from "@sec-an/contracts";
import { parseConfig } from "../src/config";
import { program } from "../src/program";

const d = { app: "sec-an", stage: "dev" };
const ssm = {
  [paramName(d, Params.addressInfoTableArn)]:
    `arn:aws:dynamodb:us-east-1:${MOCK_ACCOUNT}:table/dev-sec-an-address-info`,
  [paramName(d, Params.esAdminFunctionName)]: "dev-sec-an-opensearch-admin",
  [paramName(d, Params.scanInitiatorTopicArn)]:
    `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-scan-initiator`,
  [paramName(d, Params.ingestQueueArn)]: `arn:aws:sqs:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-ingest`,
  [paramName(d, Params.ecsCluster)]: `arn:aws:ecs:us-east-1:${MOCK_ACCOUNT}:cluster/dev-sec-an-cluster`,
  [paramName(d, Params.vpcId)]: "vpc-1",
  [paramName(d, Params.vpcSubnetsInstance)]: "subnet-a,subnet-b",
  [paramName(d, Params.vpcUsingPrivateSubnets)]: "true",
  [paramName(d, Params.deadLettersBucketArn)]: "arn:aws:s3:::dev-sec-an-dead-letters",
  [paramName(d, Params.snsLoggingRoleArn)]: `arn:aws:iam::${MOCK_ACCOUNT}:role/dev-sec-an-sns-logging`,
};
const cfg = (values: Record<string, string>) => ({ get: (k: string) => values[k] });
const run = (values: Record<string, string> = {}) => {
  setupPulumiMocks({
    project: "sec-an-nmap",
    stack: "dev",
    ssm,
    awsxOutputs: {
      "awsx:ecr:Image": {
        imageUri: `${MOCK_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/nmap@sha256:${"a".repeat(64)}`,
      },
    },
  });
  return runProgram(() =>
    program(parseConfig(cfg(values), "dev"), {
      imageContext: () => ({ dir: "/tmp/ctx", tag: "0123456789abcdef0123" }),
    }),
  );
};

describe("sec-an-nmap program", () => {
  let out: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    out = await run();
  }, 240_000);

  test("zero policy violations over the whole program", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });

  test("raw XML is archived, never deleted, by default (re-ingestion reads the whole lake)", () => {
    const [lifecycle] = resourcesOfType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
    expect(lifecycle.inputs.rules).toEqual([lifecycleRule()]);
    expect(JSON.stringify(lifecycle.inputs.rules)).not.toContain("expiration");
  });

  test("ports topic: KMS-encrypted, exported to SSM under the catalogue name", () => {
    const topic = resourceNamed("aws:sns/topic:Topic", "dev-sec-an-ports-detected");
    expect(topic.inputs).toMatchObject({
      name: "dev-sec-an-ports-detected",
      kmsMasterKeyId: "alias/aws/sns",
    });
    const param = resourcesOfType("aws:ssm/parameter:Parameter").find(
      (p) => p.inputs.name === "/sec-an/dev/glue/port_detector/sns_target",
    )!;
    expect(param.inputs.insecureValue).toBe(topic.state.arn);
    expect(out.portsTopicArn).toBe(topic.state.arn);
  });

  test("EcsTask for nmap: subscribed to the scan initiator and feeding the ingest queue", () => {
    const ecs = resourcesOfType("sec-an:task:EcsTask");
    expect(ecs.map((r) => r.name)).toEqual(["dev-sec-an-nmap"]);
    const subs = resourcesOfType("aws:sns/topicSubscription:TopicSubscription");
    expect(
      subs.some(
        (s) =>
          s.inputs.topic === ssm[paramName(d, Params.scanInitiatorTopicArn)] && s.inputs.protocol === "sqs",
      ),
    ).toBe(true);
    expect(subs.some((s) => s.inputs.endpoint === ssm[paramName(d, Params.ingestQueueArn)])).toBe(true);
  });

  test("a scan task that stops without success is a dead letter: stop rule on the nmap family, one policy per queue", () => {
    const cluster = ssm[paramName(d, Params.ecsCluster)];
    const rule = resourceNamed("aws:cloudwatch/eventRule:EventRule", "dev-sec-an-nmap-stops-rule");
    expect(JSON.parse(rule.inputs.eventPattern)).toEqual({
      source: ["aws.ecs"],
      "detail-type": ["ECS Task State Change"],
      detail: {
        clusterArn: [cluster],
        lastStatus: ["STOPPED"],
        taskDefinitionArn: [
          { prefix: `arn:aws:ecs:us-east-1:${MOCK_ACCOUNT}:task-definition/dev-sec-an-nmap:` },
        ],
      },
    });
    const dlqArn = `arn:aws:sqs:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-nmap-task-queue-dlq`;
    const target = resourceNamed("aws:cloudwatch/eventTarget:EventTarget", "dev-sec-an-nmap-stops-target");
    expect(target.inputs.deadLetterConfig).toEqual({ arn: dlqArn });
    // Each queue has exactly one policy: the task queue for the scan initiator, its DLQ for the rule.
    const byQueue = resourcesOfType("aws:sqs/queuePolicy:QueuePolicy").map((p) => {
      const [st] = JSON.parse(p.inputs.policy).Statement;
      return [st.Resource, st.Principal.Service, st.Condition.ArnEquals["aws:SourceArn"]];
    });
    expect(byQueue).toEqual([
      [
        dlqArn,
        "events.amazonaws.com",
        [`arn:aws:events:us-east-1:${MOCK_ACCOUNT}:rule/dev-sec-an-nmap-task-stopped`],
      ],
      [
        `arn:aws:sqs:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-nmap-task-queue`,
        "sns.amazonaws.com",
        [ssm[paramName(d, Params.scanInitiatorTopicArn)]],
      ],
    ]);
  });

  test("image: built from the prepared context with awsx, content-tagged, for the task's repository", () => {
    const [image] = resourcesOfType("awsx:ecr:Image");
    expect(image.name).toBe("dev-sec-an-nmap-image");
    expect(image.inputs).toMatchObject({
      context: "/tmp/ctx",
      dockerfile: "/tmp/ctx/Dockerfile",
      platform: "linux/amd64",
      imageTag: "0123456789abcdef0123",
    });
    const repo = resourcesOfType("aws:ecr/repository:Repository")[0];
    expect(image.inputs.repositoryUrl).toBe(repo.state.repositoryUrl);
    const [td] = resourcesOfType("aws:ecs/taskDefinition:TaskDefinition");
    const [container] = JSON.parse(td.inputs.containerDefinitions);
    expect(container.image).toMatch(/@sha256:a{64}$/);
    expect(container.user).toBe("1000:1000");
    expect(container.environment).toEqual(
      expect.arrayContaining([
        { name: "NMAP_TIMEOUT_SECONDS", value: "14400" },
        { name: "NMAP_HOST_TIMEOUT_SECONDS", value: "3600" },
        // SYN scan and OS detection through the image's file capabilities (stack key scanMode).
        { name: "NMAP_SCAN_MODE", value: "privileged" },
      ]),
    );
    expect(td.inputs).toMatchObject({ cpu: "1024", memory: "2048", requiresCompatibilities: ["FARGATE"] });
    // `sec-an local` runs the entrypoint source as the container.
    expect(td.inputs.tags["sec-an:entry"]).toMatch(/projects\/nmap\/src\/entrypoint\/main\.ts$/);
  });

  test("results parser may publish port events, update address-info and read only its parameters", () => {
    const parserPolicies = resourcesOfType("aws:iam/rolePolicy:RolePolicy").filter(
      (p) => /parser/.test(p.name) && !/dlq/.test(p.name),
    );
    const statements = parserPolicies.flatMap((p) => JSON.parse(p.inputs.policy).Statement);
    const topicArn = resourceNamed("aws:sns/topic:Topic", "dev-sec-an-ports-detected").state.arn;
    expect(statements).toContainEqual(
      expect.objectContaining({ Sid: "CascadePorts", Action: "sns:Publish", Resource: topicArn }),
    );
    // IAM refuses a policy with two statements of one Sid (the parser's reads once shared one).
    for (const p of parserPolicies) {
      const sids = JSON.parse(p.inputs.policy)
        .Statement.map((s: { Sid?: string }) => s.Sid)
        .filter(Boolean);
      expect(new Set(sids).size).toBe(sids.length);
    }
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: "RecordResultsParsed",
        Action: "dynamodb:UpdateItem",
        Resource: ssm[paramName(d, Params.addressInfoTableArn)],
      }),
    );
    const reads = statements
      .filter((s) => s.Action?.includes?.("ssm:GetParameter"))
      .flatMap((s) => s.Resource);
    expect(reads).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\/sec-an\/dev\/glue\/port_detector\/sns_target$/),
        expect.stringMatching(/address_info\/id$/),
      ]),
    );
    // Only actions AWS offers no resource scoping for (X-Ray) may name "*".
    for (const s of statements.filter((x) => x.Resource === "*"))
      expect(String(s.Action)).toMatch(/^xray:[A-Za-z]+(,xray:[A-Za-z]+)*$/);
  });

  test("views: 14 indices and every saved object, managed by the admin function", () => {
    expect(resourcesOfType("sec-an:analytics:ElasticIndex")).toHaveLength(14);
    const objects = resourcesOfType("sec-an:analytics:KibanaSavedObject");
    // 14 index patterns + searches + visualisations + dashboards.
    expect(objects.length).toBeGreaterThan(14 + 20);
    for (const inv of resourcesOfType("aws:lambda/invocation:Invocation")) {
      expect(inv.inputs).toMatchObject({
        functionName: "dev-sec-an-opensearch-admin",
        lifecycleScope: "CRUD",
      });
    }
    expect(out.dashboards).toHaveLength(7);
  });

  test("a prebuilt image skips the build; bad config names the key", async () => {
    await run({ image: `${MOCK_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/nmap:v1.2.3`, views: "false" });
    expect(resourcesOfType("awsx:ecr:Image")).toHaveLength(0);
    expect(resourcesOfType("sec-an:scanner:Views")).toHaveLength(0);
    const [container] = JSON.parse(
      resourcesOfType("aws:ecs/taskDefinition:TaskDefinition")[0].inputs.containerDefinitions,
    );
    expect(container.image).toBe(`${MOCK_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/nmap:v1.2.3`);
    expect(() => parseConfig(cfg({ image: "nmap:latest" }), "dev")).toThrow(/sec-an-nmap:image/);
    expect(() => parseConfig(cfg({ cpu: "3" }), "dev")).toThrow(/sec-an-nmap:cpu/);
  }, 240_000);

  test("the TLS filter policy the ssl project subscribes with stays within SNS limits", () => {
    const p = tlsPortsFilterPolicy();
    // SNS allows at most 150 value combinations; $or branches add.
    const branches = (p.$or as Record<string, unknown[]>[]).map((b) => Object.values(b)[0].length);
    expect(branches.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(150);
    expect(JSON.stringify(p).length).toBeLessThan(256 * 1024);
  });

  describe("targetsPerTask: one Fargate task scans several targets", () => {
    const fn = (name: string) =>
      resourcesOfType("aws:lambda/function:Function").find((f) => f.inputs.name === name)!;
    const launcherSource = () =>
      resourcesOfType("aws:lambda/eventSourceMapping:EventSourceMapping").find(
        (m) =>
          m.inputs.functionName === fn("dev-sec-an-nmap-scan").state.arn ||
          m.inputs.functionName === "dev-sec-an-nmap-scan",
      )!;
    const taskQueue = () => resourceNamed("aws:sqs/queue:Queue", "dev-sec-an-nmap-queue");
    const containerEnv = () =>
      Object.fromEntries(
        JSON.parse(
          resourcesOfType("aws:ecs/taskDefinition:TaskDefinition")[0].inputs.containerDefinitions,
        )[0].environment.map((e: { name: string; value: string }) => [e.name, e.value]),
      );
    const policyOf = (roleSubstring: string) =>
      resourcesOfType("aws:iam/rolePolicy:RolePolicy")
        .filter((p) => String(p.name).includes(roleSubstring))
        .flatMap((p) => JSON.parse(p.inputs.policy).Statement);

    test("with 8: the launcher gathers 5 tasks' worth of requests in a 10 s window, the task and stop handler get what batching needs", async () => {
      await run({ targetsPerTask: "8" });
      expect(launcherSource().inputs).toMatchObject({ batchSize: 40, maximumBatchingWindowInSeconds: 10 });
      // 6 × the launcher's 30 s timeout, plus the window a message may wait in.
      expect(taskQueue().inputs.visibilityTimeoutSeconds).toBe(190);
      const config = JSON.parse(
        fn("dev-sec-an-nmap-scan").inputs.environment.variables.SEC_AN_LAUNCHER_CONFIG,
      );
      expect(config.targetsPerTask).toBe(8);
      const dlqUrl = containerEnv().SEC_AN_DLQ_URL;
      expect(dlqUrl).toMatch(/dev-sec-an-nmap-task-queue-dlq$/);
      expect(config.deadLetterQueueUrl).toBe(dlqUrl);
      expect(policyOf("nmap-task-policy")).toContainEqual(
        expect.objectContaining({ Sid: "DeadLetterFailedTargets", Action: "sqs:SendMessage" }),
      );
      const stops = fn("dev-sec-an-nmap-task-stops");
      expect(stops.inputs.environment.variables.RESULTS_BUCKET).toBeDefined();
      expect(policyOf("nmap-stops")).toContainEqual(
        expect.objectContaining({
          Sid: "ListStoredResults",
          Action: "s3:ListBucket",
          Condition: { StringLike: { "s3:prefix": ["nmap/*"] } },
        }),
      );
      expect(await checkResources(resources())).toEqual([]);
    }, 240_000);

    test("with the default of 1, the launcher, the task and the stop handler are as they were", async () => {
      await run();
      expect(launcherSource().inputs.batchSize).toBe(5);
      expect(launcherSource().inputs.maximumBatchingWindowInSeconds).toBeUndefined();
      expect(taskQueue().inputs.visibilityTimeoutSeconds).toBe(180);
      const config = JSON.parse(
        fn("dev-sec-an-nmap-scan").inputs.environment.variables.SEC_AN_LAUNCHER_CONFIG,
      );
      expect(config.targetsPerTask).toBeUndefined();
      expect(containerEnv().SEC_AN_DLQ_URL).toBeUndefined();
      expect(fn("dev-sec-an-nmap-task-stops").inputs.environment.variables.RESULTS_BUCKET).toBeUndefined();
      expect(policyOf("nmap-stops").map((s) => s.Sid)).not.toContain("ListStoredResults");
    }, 240_000);

    test("bounds are checked with a clear error naming the key", () => {
      expect(parseConfig(cfg({}), "dev").targetsPerTask).toBe(1);
      expect(parseConfig(cfg({ targetsPerTask: "16" }), "dev").targetsPerTask).toBe(16);
      for (const bad of ["0", "17", "2.5"])
        expect(() => parseConfig(cfg({ targetsPerTask: bad }), "dev")).toThrow(/sec-an-nmap:targetsPerTask/);
    });
  });
});
