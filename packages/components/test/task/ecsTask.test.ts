import { resources, resourcesOfType, settle, setupPulumiMocks, unwrap } from "@sec-an/testing";
import { checkResources } from "@sec-an/policy";
import { LAUNCHER_CONFIG_ENV, readLauncherConfig } from "@sec-an/runtime";
import {
  ENTRY_TAG,
  EcsTask,
  TASK_FAILED_LOG,
  checkFargateSize,
  repoRelative,
  containerDefinition,
  launcherBatching,
  pickDefaultProvider,
  type EcsTaskArgs,
} from "../../src/task";
import { jsonLogPattern } from "../../src/core";
import {
  ACCOUNT,
  BUCKET_ARN,
  DL_BUCKET,
  INGEST_QUEUE,
  INIT_TOPIC,
  LOG_AND_TRACE,
  SSM,
  TASK_BASE,
  deployment,
  fixture,
  inventory,
  record,
  statementsOf,
} from "./helpers";

const CLUSTER = SSM["/sec-an/test/ecs/cluster"];
const REPO = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/test-sec-an-nmap`;
const TD = (family: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:1`;
const ROLE = (n: string) => `arn:aws:iam::${ACCOUNT}:role/${n}`;
const DLQ = `test-sec-an-nmap-task-queue-dlq`;
const DLQ_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:${DLQ}`;
const STOP_RULE = "test-sec-an-nmap-task-stopped";
const STOP_RULE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:rule/${STOP_RULE}`;
/** What the stop recorder adds to every EcsTask. */
const STOPS = [
  "aws:cloudwatch/eventRule:EventRule::nmap-stops-rule",
  "aws:cloudwatch/eventTarget:EventTarget::nmap-stops-target",
  "aws:cloudwatch/logGroup:LogGroup::nmap-stops-handler-logs",
  "aws:cloudwatch/logMetricFilter:LogMetricFilter::nmap-stops-failed-filter",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-stops-failed",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-stops-handler-errors",
  "aws:cloudwatch/metricAlarm:MetricAlarm::nmap-stops-handler-throttles",
  "aws:iam/role:Role::nmap-stops-handler-role",
  "aws:iam/rolePolicy:RolePolicy::nmap-stops-handler-policy",
  "aws:lambda/function:Function::nmap-stops-handler-function",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig::nmap-stops-handler-async",
  "aws:lambda/permission:Permission::nmap-stops-handler-invoke-rule",
  "aws:sqs/queuePolicy:QueuePolicy::nmap-queue-dlq-policy",
  "sec-an:core:LambdaFunction::nmap-stops-handler",
  "sec-an:task:TaskStopRecorder::nmap-stops",
];

function args(extra: Partial<EcsTaskArgs> = {}): EcsTaskArgs {
  return {
    deployment,
    task: "nmap",
    project: "nmap",
    parseEntry: fixture("parse.ts"),
    deadLetterBucketArn: DL_BUCKET,
    deadLetterHandlerEntry: fixture("recorder.ts"),
    launcherEntry: fixture("scan.ts"),
    providers: {
      nmap: { image: (repo) => repo.repositoryUrl.apply((u) => `${u}:3f2a1b`), cpu: 512, memory: 1024 },
      fast: {
        image: "public.ecr.aws/example/fast:1.2",
        cpu: 256,
        memory: 512,
        command: ["scan", "--fast"],
        environment: { MODE: "fast" },
      },
    },
    ...extra,
  };
}

async function launcherConfig() {
  const fn = await record("aws:lambda/function:Function", "nmap-scan-function");
  return readLauncherConfig({ [LAUNCHER_CONFIG_ENV]: fn.inputs.environment.variables[LAUNCHER_CONFIG_ENV] });
}

describe("EcsTask", () => {
  describe("with two providers, network and cluster from SSM", () => {
    let t: EcsTask;
    beforeAll(async () => {
      setupPulumiMocks({ ssm: SSM });
      t = new EcsTask("nmap", args());
      await settle();
    });

    it("is a Task plus the repository, one task definition per provider, two roles, logs and a security group", async () => {
      const taskSide = TASK_BASE.filter((r) => r !== "sec-an:task:Task::nmap");
      expect(await inventory()).toEqual(
        [
          ...taskSide,
          "sec-an:task:EcsTask::nmap",
          "aws:ssm/parameter:Parameter::nmap-params-securityGroupId",
          "aws:ssm/parameter:Parameter::nmap-params-imageId",
          "aws:cloudwatch/logGroup:LogGroup::nmap-task-logs",
          "aws:ec2/securityGroup:SecurityGroup::nmap-sg",
          "aws:ecr/lifecyclePolicy:LifecyclePolicy::nmap-repo-lifecycle",
          "aws:ecr/repository:Repository::nmap-repo",
          "aws:ecs/taskDefinition:TaskDefinition::nmap-fast-taskdef",
          "aws:ecs/taskDefinition:TaskDefinition::nmap-nmap-taskdef",
          "aws:iam/role:Role::nmap-execution-role",
          "aws:iam/role:Role::nmap-task-role",
          "aws:iam/rolePolicy:RolePolicy::nmap-execution-policy",
          "aws:iam/rolePolicy:RolePolicy::nmap-task-policy",
          ...STOPS,
        ].sort(),
      );
    });

    it("alarms the notifications topic on failed scan tasks, counted from the stop handler's log", async () => {
      const filter = await record(
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "nmap-stops-failed-filter",
      );
      const namespace = "sec-an/aws/lambda/test-sec-an-nmap-task-stops";
      expect(filter.inputs).toEqual({
        logGroupName: "/aws/lambda/test-sec-an-nmap-task-stops",
        pattern: jsonLogPattern(TASK_FAILED_LOG),
        metricTransformation: { namespace, name: "ScanTasksFailed", value: "1", unit: "Count" },
      });
      expect(
        (await record("aws:cloudwatch/metricAlarm:MetricAlarm", "nmap-stops-failed")).inputs,
      ).toMatchObject({
        namespace,
        metricName: "ScanTasksFailed",
        statistic: "Sum",
        threshold: 0,
        alarmActions: [`arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-notifications`],
      });
    });

    it("dead-letters tasks that stop without success: a rule on its cluster and families, a Lambda target", async () => {
      const rule = await record("aws:cloudwatch/eventRule:EventRule", "nmap-stops-rule");
      expect({ ...rule.inputs, eventPattern: JSON.parse(rule.inputs.eventPattern) }).toEqual({
        name: STOP_RULE,
        description: "nmap Fargate tasks that stopped",
        eventPattern: {
          source: ["aws.ecs"],
          "detail-type": ["ECS Task State Change"],
          detail: {
            clusterArn: [CLUSTER],
            lastStatus: ["STOPPED"],
            taskDefinitionArn: [
              // Sorted: "-fast:" sorts before ":".
              { prefix: TD("test-sec-an-nmap-fast").replace(/1$/, "") },
              { prefix: TD("test-sec-an-nmap").replace(/1$/, "") },
            ],
          },
        },
      });
      const fn = await record("aws:lambda/function:Function", "nmap-stops-handler-function");
      expect(t.stops.handler.entry).toMatch(/packages\/components\/src\/task\/task-stop-handler\.ts$/);
      expect(fn.inputs).toMatchObject({
        name: "test-sec-an-nmap-task-stops",
        timeout: 30,
        deadLetterConfig: { targetArn: DLQ_ARN },
      });
      expect(fn.inputs.environment.variables).toMatchObject({
        SEC_AN_TASK: "nmap",
        DEAD_LETTER_QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${DLQ}`,
        TASK_QUEUE_ARN: `arn:aws:sqs:us-east-1:${ACCOUNT}:test-sec-an-nmap-task-queue`,
      });
      // Least privilege: its logs, X-Ray, and sending to the one DLQ (its dead letters and Lambda's).
      expect(await statementsOf("nmap-stops-handler-policy")).toEqual([
        ...LOG_AND_TRACE("/aws/lambda/test-sec-an-nmap-task-stops"),
        { Effect: "Allow", Action: "sqs:SendMessage", Resource: DLQ_ARN },
      ]);
      expect(
        (
          await record(
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
            "nmap-stops-handler-async",
          )
        ).inputs,
      ).toMatchObject({ maximumRetryAttempts: 2 });
      expect(
        (await record("aws:lambda/permission:Permission", "nmap-stops-handler-invoke-rule")).inputs,
      ).toEqual({
        action: "lambda:InvokeFunction",
        function: "test-sec-an-nmap-task-stops",
        principal: "events.amazonaws.com",
        sourceArn: STOP_RULE_ARN,
      });
      expect((await record("aws:cloudwatch/eventTarget:EventTarget", "nmap-stops-target")).inputs).toEqual({
        rule: STOP_RULE,
        arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:test-sec-an-nmap-task-stops`,
        retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
        deadLetterConfig: { arn: DLQ_ARN },
      });
      // Events EventBridge cannot deliver land in the same DLQ: its one policy lets exactly this rule send.
      const policies = resourcesOfType("aws:sqs/queuePolicy:QueuePolicy");
      expect(policies.map((p) => p.name)).toEqual(["nmap-queue-dlq-policy"]);
      expect(JSON.parse(policies[0].inputs.policy).Statement).toEqual([
        {
          Sid: "AllowEventRules",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: DLQ_ARN,
          Condition: { ArnEquals: { "aws:SourceArn": [STOP_RULE_ARN] } },
        },
      ]);
    });

    it("hardens the repository and keeps only recent images", async () => {
      expect((await record("aws:ecr/repository:Repository", "nmap-repo")).inputs).toEqual({
        name: "test-sec-an-nmap",
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS" }],
        forceDelete: false,
      });
      expect(
        JSON.parse(
          (await record("aws:ecr/lifecyclePolicy:LifecyclePolicy", "nmap-repo-lifecycle")).inputs.policy,
        ),
      ).toEqual({
        rules: [
          {
            rulePriority: 1,
            description: "Keep the last 20 images",
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 20 },
            action: { type: "expire" },
          },
        ],
      });
      expect(await unwrap(t.repository.repositoryUrl)).toBe(REPO);
    });

    it("defines hardened Fargate containers, one per provider, with distinct execution and task roles", async () => {
      const nmap = await record("aws:ecs/taskDefinition:TaskDefinition", "nmap-nmap-taskdef");
      expect({ ...nmap.inputs, containerDefinitions: JSON.parse(nmap.inputs.containerDefinitions) }).toEqual({
        family: "test-sec-an-nmap",
        cpu: "512",
        memory: "1024",
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: ROLE("nmap-execution-role"),
        taskRoleArn: ROLE("nmap-task-role"),
        volumes: [{ name: "scratch-0" }],
        containerDefinitions: [
          {
            name: "nmap",
            image: `${REPO}:3f2a1b`,
            essential: true,
            user: "1000:1000",
            privileged: false,
            readonlyRootFilesystem: true,
            linuxParameters: { initProcessEnabled: true, capabilities: { drop: ["ALL"] } },
            environment: [
              { name: "AWS_REGION", value: "us-east-1" },
              { name: "SEC_AN_APP", value: "sec-an" },
              { name: "SEC_AN_STAGE", value: "test" },
              { name: "SEC_AN_TASK", value: "nmap" },
            ],
            mountPoints: [{ sourceVolume: "scratch-0", containerPath: "/tmp", readOnly: false }],
            logConfiguration: {
              logDriver: "awslogs",
              options: {
                "awslogs-group": "/aws/ecs/test-sec-an/nmap",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "nmap",
              },
            },
          },
        ],
      });
      const fast = await record("aws:ecs/taskDefinition:TaskDefinition", "nmap-fast-taskdef");
      const [c] = JSON.parse(fast.inputs.containerDefinitions);
      expect([fast.inputs.family, fast.inputs.cpu, fast.inputs.memory, c.name, c.image, c.command]).toEqual([
        "test-sec-an-nmap-fast",
        "256",
        "512",
        "fast",
        "public.ecr.aws/example/fast:1.2",
        ["scan", "--fast"],
      ]);
      expect(c.environment).toContainEqual({ name: "MODE", value: "fast" });

      const trust = {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "ecs-tasks.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
          },
        ],
      };
      expect(
        JSON.parse((await record("aws:iam/role:Role", "nmap-execution-role")).inputs.assumeRolePolicy),
      ).toEqual(trust);
      expect(
        JSON.parse((await record("aws:iam/role:Role", "nmap-task-role")).inputs.assumeRolePolicy),
      ).toEqual(trust);
    });
    it("gives each role exactly what it needs: agent pulls and logs, containers write raw results, launcher runs and passes", async () => {
      expect(await statementsOf("nmap-execution-policy")).toEqual([
        { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
          Sid: "PullTaskImage",
          Effect: "Allow",
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
          Resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/test-sec-an-nmap`,
        },
        {
          Sid: "WriteTaskLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/ecs/test-sec-an/nmap:*`,
        },
      ]);
      expect(await statementsOf("nmap-task-policy")).toEqual([
        {
          Sid: "PutRawResults",
          Effect: "Allow",
          Action: "s3:PutObject",
          Resource: [`${BUCKET_ARN}/nmap/*`, `${BUCKET_ARN}/_requests/nmap/*`],
        },
      ]);
      expect(await statementsOf("nmap-scan-policy")).toEqual([
        ...LOG_AND_TRACE("/aws/lambda/test-sec-an-nmap-scan"),
        {
          Sid: "RunOwnTaskDefinitions",
          Effect: "Allow",
          Action: "ecs:RunTask",
          Resource: [TD("test-sec-an-nmap"), TD("test-sec-an-nmap-fast")].sort(),
          Condition: { ArnEquals: { "ecs:cluster": CLUSTER } },
        },
        {
          Sid: "PassTaskRoles",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: [ROLE("nmap-execution-role"), ROLE("nmap-task-role")],
          Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        },
        {
          Sid: "DeadLetterPermanentErrors",
          Effect: "Allow",
          Action: "sqs:SendMessage",
          Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:${DLQ}`,
        },
      ]);
    });
    it("configures the launcher from SSM: cluster, private subnets without public IP, its SG, providers and DLQ", async () => {
      expect(await launcherConfig()).toEqual({
        task: "nmap",
        cluster: CLUSTER,
        subnets: ["subnet-a", "subnet-b"],
        securityGroups: ["nmap-sg-id"],
        assignPublicIp: false,
        resultsBucket: `test-sec-an-nmap-results-${ACCOUNT}-us-east-1`,
        deadLetterQueueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${DLQ}`,
        providers: {
          nmap: { taskDefinition: TD("test-sec-an-nmap"), container: "nmap" },
          fast: { taskDefinition: TD("test-sec-an-nmap-fast"), container: "fast" },
        },
        defaultProvider: "nmap",
      });
      expect(t.defaultProvider).toBe("nmap");
      const fn = await record("aws:lambda/function:Function", "nmap-scan-function");
      expect(fn.inputs).toMatchObject({ timeout: 30, memorySize: 256 });
      // The launcher learns the queue's redrive count, so on a record's last attempt it dead-letters it
      // itself with the error (the DLQ URL also rides in its config).
      expect(Object.keys(fn.inputs.environment.variables).sort()).toEqual(
        [
          "POWERTOOLS_SERVICE_NAME",
          "RESULTS_BUCKET",
          "SEC_AN_APP",
          "SEC_AN_DLQ_URL",
          "SEC_AN_ERRORS_TOPIC_ARN",
          "SEC_AN_LAUNCHER_CONFIG",
          "SEC_AN_MAX_RECEIVE_COUNT",
          "SEC_AN_STAGE",
          "SEC_AN_TASK",
        ].sort(),
      );
      expect(fn.inputs.environment.variables).toMatchObject({
        SEC_AN_DLQ_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${DLQ}`,
        SEC_AN_MAX_RECEIVE_COUNT: "3",
      });
      expect(
        (
          await record(
            "aws:lambda/eventSourceMapping:EventSourceMapping",
            "nmap-queue-to-test-sec-an-nmap-scan",
          )
        ).inputs,
      ).toMatchObject({
        batchSize: 5,
        functionResponseTypes: ["ReportBatchItemFailures"],
      });
      // The security group admits nothing and lives in the shared VPC.
      expect((await record("aws:ec2/securityGroup:SecurityGroup", "nmap-sg")).inputs).toEqual({
        name: "test-sec-an-nmap-task",
        description: "test-sec-an-nmap Fargate tasks: no inbound traffic",
        vpcId: "vpc-123",
        ingress: [],
        egress: [
          {
            description: "Scan targets and AWS APIs",
            protocol: "-1",
            fromPort: 0,
            toPort: 0,
            cidrBlocks: ["0.0.0.0/0"],
            ipv6CidrBlocks: ["::/0"],
          },
        ],
        revokeRulesOnDelete: true,
      });
    });
    it("exports the security group and the default provider's family:revision, plus the Task parameters", async () => {
      const params = Object.fromEntries(
        resourcesOfType("aws:ssm/parameter:Parameter").map((r) => [r.inputs.name, r.inputs.insecureValue]),
      );
      expect(Object.keys(params).sort()).toEqual(
        [
          "task_queue/arn",
          "task_queue/url",
          "results/arn",
          "s3/results/id",
          "s3/results/arn",
          "queue_consumer/role/arn",
          "results/role/arn",
          "security_group/id",
          "image/id",
        ]
          .map((p) => `/sec-an/test/tasks/nmap/${p}`)
          .sort(),
      );
      expect(params["/sec-an/test/tasks/nmap/security_group/id"]).toBe("nmap-sg-id");
      expect(params["/sec-an/test/tasks/nmap/image/id"]).toBe("test-sec-an-nmap:1");
    });
  });

  describe("with both flags on and deployable defaults (runtime launcher and recorder, ARNs from SSM)", () => {
    let t: EcsTask;
    beforeAll(async () => {
      setupPulumiMocks({ ssm: SSM });
      t = new EcsTask(
        "nmap",
        args({
          subscribeToIngest: true,
          subscribeToScanInitiator: true,
          launcherEntry: undefined,
          deadLetterHandlerEntry: undefined,
          deadLetterBucketArn: undefined,
        }),
      );
      await settle();
    });

    it("honours both subscription flags like Task does", () => {
      expect(
        resourcesOfType("aws:sns/topicSubscription:TopicSubscription").map((r) => [
          r.name,
          r.inputs.topic,
          r.inputs.endpoint,
          r.inputs.rawMessageDelivery,
        ]),
      ).toEqual(
        expect.arrayContaining([
          [
            "nmap-results-topic-to-ingest",
            `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-nmap-results`,
            INGEST_QUEUE,
            true,
          ],
          [
            "nmap-scan-initiator-to-queue",
            INIT_TOPIC,
            `arn:aws:sqs:us-east-1:${ACCOUNT}:test-sec-an-nmap-task-queue`,
            true,
          ],
        ]),
      );
      expect(resourcesOfType("aws:sns/topicSubscription:TopicSubscription")).toHaveLength(2);
    });

    it("bundles the runtime's generic launcher", () => {
      expect(t.launcher.entry).toMatch(/packages\/runtime\/src\/launcher\/default-handler\.ts$/);
    });

    it("passes every policy rule", async () => {
      expect(await checkResources(resources())).toEqual([]);
    });
  });

  it("takes network and cluster from inputs, public IP when public subnets are used, and custom egress", async () => {
    setupPulumiMocks({ ssm: { "/sec-an/test/s3/dead_letters/arn": DL_BUCKET } });
    const egress = [
      { description: "HTTPS only", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/8"] },
    ];
    new EcsTask(
      "nmap",
      args({
        clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/other",
        subnetIds: ["subnet-x"],
        assignPublicIp: true,
        vpcId: "vpc-9",
        egress,
        providers: { nmap: { image: "img:1", cpu: 1024, memory: 2048 } },
      }),
    );
    const cfg = await launcherConfig();
    expect([
      cfg.cluster,
      cfg.subnets,
      cfg.assignPublicIp,
      Object.keys(cfg.providers),
      cfg.defaultProvider,
    ]).toEqual(["arn:aws:ecs:us-east-1:123456789012:cluster/other", ["subnet-x"], true, ["nmap"], "nmap"]);
    const sg = await record("aws:ec2/securityGroup:SecurityGroup", "nmap-sg");
    expect([sg.inputs.vpcId, sg.inputs.egress]).toEqual(["vpc-9", egress]);
  });
  it("assigns a public IP when shared-infra reports public subnets", async () => {
    setupPulumiMocks({ ssm: { ...SSM, "/sec-an/test/vpc/using_private_subnets": "false" } });
    new EcsTask("nmap", args());
    expect((await launcherConfig()).assignPublicIp).toBe(true);
  });
  it("picks an explicit default provider, keeps fewer images and tags a provider's entrypoint for the local runner", async () => {
    setupPulumiMocks({ ssm: SSM });
    new EcsTask(
      "nmap",
      args({
        defaultProvider: "fast",
        keepImages: 5,
        tags: { project: "nmap" },
        providers: {
          nmap: { image: "i:1", cpu: 256, memory: 512, entry: fixture("scan.ts") },
          fast: { image: "f:1", cpu: 256, memory: 512 },
        },
      }),
    );
    expect((await launcherConfig()).defaultProvider).toBe("fast");
    const image = (await record("aws:ssm/parameter:Parameter", "nmap-params-imageId")).inputs.insecureValue;
    expect(image).toBe("test-sec-an-nmap-fast:1");
    expect(
      JSON.parse(
        (await record("aws:ecr/lifecyclePolicy:LifecyclePolicy", "nmap-repo-lifecycle")).inputs.policy,
      ).rules[0].selection.countNumber,
    ).toBe(5);
    expect((await record("aws:ecs/taskDefinition:TaskDefinition", "nmap-nmap-taskdef")).inputs.tags).toEqual({
      project: "nmap",
      [ENTRY_TAG]: "packages/components/test/task/fixtures/scan.ts",
    });
    expect((await record("aws:ecs/taskDefinition:TaskDefinition", "nmap-fast-taskdef")).inputs.tags).toEqual({
      project: "nmap",
    });
    expect(() => repoRelative("relative/x.ts")).toThrow(/absolute/);
  });

  it("rejects bad providers and sizes before creating anything", () => {
    setupPulumiMocks({ ssm: SSM });
    expect(() => new EcsTask("a", args({ providers: {} }))).toThrow(
      "nmap: at least one provider is required",
    );
    expect(() => new EcsTask("b", args({ defaultProvider: "zap" }))).toThrow(
      'defaultProvider "zap" is not one of nmap, fast',
    );
    expect(
      () =>
        new EcsTask(
          "c",
          args({
            providers: { x: { image: "i", cpu: 256, memory: 512 }, y: { image: "i", cpu: 256, memory: 512 } },
          }),
        ),
    ).toThrow(/several providers and none named "nmap"/);
    expect(
      () => new EcsTask("d", args({ providers: { nmap: { image: "i", cpu: 256, memory: 4096 } } })),
    ).toThrow(/memory 4096 MiB is not offered with cpu 256/);
    expect(
      () =>
        new EcsTask("e", args({ providers: { nmap: { image: "i", cpu: 256, memory: 512, user: "root" } } })),
    ).toThrow(/must not run as root/);
    expect(
      () =>
        new EcsTask(
          "f",
          args({
            providers: { nmap: { image: "i", cpu: 256, memory: 512, environment: { API_TOKEN: "x" } } },
          }),
        ),
    ).toThrow(/looks like a secret/);
  });
});

describe("Fargate helpers", () => {
  it("accepts exactly the Fargate task sizes", () => {
    for (const [cpu, mem] of [
      [256, 512],
      [256, 2048],
      [512, 4096],
      [1024, 8192],
      [4096, 30720],
      [8192, 61440],
      [16384, 122880],
    ]) {
      expect(() => checkFargateSize("t", cpu, mem)).not.toThrow();
    }
    expect(() => checkFargateSize("t", 256, 1536)).toThrow(/not offered/);
    expect(() => checkFargateSize("t", 8192, 20000)).toThrow(/not offered/);
    expect(() => checkFargateSize("t", 300, 1024)).toThrow(/cpu 300 is not a Fargate size/);
  });

  it("picks the default provider: the only one, or the one named like the task", () => {
    expect(pickDefaultProvider("ssl", ["sslscan"])).toBe("sslscan");
    expect(pickDefaultProvider("nmap", ["fast", "nmap"])).toBe("nmap");
    expect(() => pickDefaultProvider("nmap", ["Bad"])).toThrow(/invalid provider name/);
  });

  it("sizes the launcher's batch from targetsPerTask: one task per request keeps today's source", () => {
    expect(launcherBatching(5, 1)).toEqual({ targetsPerTask: 1, batchSize: 5, windowSeconds: undefined });
    // Above 10 records SQS needs a batching window; it also lets a planned batch arrive together.
    expect(launcherBatching(5, 16)).toEqual({ targetsPerTask: 16, batchSize: 80, windowSeconds: 10 });
    for (const bad of [0, 17, 2.5])
      expect(() => launcherBatching(5, bad)).toThrow(/targetsPerTask must be a whole number 1\.\.16/);
  });

  it("refuses root in any spelling", () => {
    const c = {
      name: "c",
      image: "i",
      environment: {},
      scratchPaths: [],
      logGroup: "g",
      region: "r",
      streamPrefix: "c",
    };
    expect(() => containerDefinition({ ...c, user: "0:0" })).toThrow(/root/);
    expect(() => containerDefinition({ ...c, user: "0" })).toThrow(/root/);
    expect(containerDefinition({ ...c, user: "10001" }).user).toBe("10001");
  });
});
