import type { SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { Type } from "@sinclair/typebox";
import { Attr, Env, ScanRequest } from "@sec-an/contracts";
import { awsClientConfig, uniqueName } from "@sec-an/testing";
import {
  LAUNCHER_CONFIG_ENV,
  MAX_OVERRIDE_CHARS,
  PermanentLaunchError,
  buildRunTask,
  makeLauncherHandler,
  readLauncherConfig,
  selectProvider,
  type LauncherConfig,
} from "../../src/launcher";
import { QUEUE_ARN, record } from "./records";

const TD_NMAP = "arn:aws:ecs:eu-west-2:111122223333:task-definition/dev-sec-an-nmap-nmap:3";
const TD_FAST = "arn:aws:ecs:eu-west-2:111122223333:task-definition/dev-sec-an-nmap-fast:1";

function config(dlqUrl: string): LauncherConfig {
  return {
    task: "nmap",
    cluster: "arn:aws:ecs:eu-west-2:111122223333:cluster/dev-sec-an-scanning-cluster",
    subnets: ["subnet-a", "subnet-b"],
    securityGroups: ["sg-1"],
    assignPublicIp: false,
    resultsBucket: "dev-sec-an-nmap-results",
    deadLetterQueueUrl: dlqUrl,
    providers: {
      nmap: { taskDefinition: TD_NMAP, container: "nmap" },
      fast: { taskDefinition: TD_FAST, container: "fast" },
    },
    defaultProvider: "nmap",
  };
}

const request = (extra: Record<string, unknown> = {}) => ({
  target: "127.0.0.1",
  requestedAt: "2026-11-23T10:00:00Z",
  ...extra,
});

const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const taskArn = (n: number) => `arn:aws:ecs:eu-west-2:111122223333:task/dev-sec-an-scanning-cluster/${n}`;

describe("buildRunTask", () => {
  const cfg = config("https://sqs.example/dlq");
  it("runs the provider's task definition on Fargate in the configured private network", () => {
    const input = buildRunTask(cfg, cfg.providers.nmap, request(), "scan-1", { NMAP_PORTS: "22" });
    expect(input).toEqual({
      cluster: cfg.cluster,
      taskDefinition: TD_NMAP,
      launchType: "FARGATE",
      count: 1,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ["subnet-a", "subnet-b"],
          securityGroups: ["sg-1"],
          assignPublicIp: "DISABLED",
        },
      },
      overrides: {
        containerOverrides: [
          {
            name: "nmap",
            environment: [
              { name: "NMAP_PORTS", value: "22" },
              { name: Env.task, value: "nmap" },
              { name: Env.scanRequestId, value: "scan-1" },
              { name: Env.resultsBucket, value: "dev-sec-an-nmap-results" },
              { name: Env.scanRequest, value: JSON.stringify(request()) },
            ],
          },
        ],
      },
      startedBy: "sec-an/nmap/scan-1",
    });
  });

  it("assigns a public IP only when configured", () => {
    const input = buildRunTask({ ...cfg, assignPublicIp: true }, cfg.providers.nmap, request(), "s");
    expect(input.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe("ENABLED");
  });

  it("rejects overrides larger than ECS accepts", () => {
    const big = request({ note: "x".repeat(MAX_OVERRIDE_CHARS) });
    expect(() => buildRunTask(cfg, cfg.providers.nmap, big, "s")).toThrow(
      /overrides are \d+ characters; ECS allows 8192/,
    );
  });
});

describe("selectProvider", () => {
  const cfg = config("u");
  it("prefers the Provider attribute, then the request field, then the default", () => {
    expect(selectProvider(record("", { [Attr.provider]: "fast" }), {}, cfg).name).toBe("fast");
    expect(selectProvider(record(""), { provider: "fast" }, cfg).provider).toEqual(cfg.providers.fast);
    expect(selectProvider(record(""), {}, cfg).name).toBe("nmap");
  });
  it("rejects unknown names, prototype names and contradictions as permanent errors", () => {
    expect(() => selectProvider(record(""), { provider: "sonar" }, cfg)).toThrow(
      'unknown provider "sonar" (known: fast, nmap)',
    );
    expect(() => selectProvider(record("", { [Attr.provider]: "constructor" }), {}, cfg)).toThrow(
      PermanentLaunchError,
    );
    expect(() => selectProvider(record("", { [Attr.provider]: "fast" }), { provider: "nmap" }, cfg)).toThrow(
      /contradicts/,
    );
  });
});

describe("readLauncherConfig", () => {
  const ok = config("https://sqs.example/dlq");
  it("reads a valid config", () => {
    expect(readLauncherConfig({ [LAUNCHER_CONFIG_ENV]: JSON.stringify(ok) })).toEqual(ok);
  });
  it("names what is wrong", () => {
    expect(() => readLauncherConfig({})).toThrow(`${LAUNCHER_CONFIG_ENV} is not set`);
    expect(() => readLauncherConfig({ [LAUNCHER_CONFIG_ENV]: "{" })).toThrow(/not valid JSON/);
    expect(() =>
      readLauncherConfig({ [LAUNCHER_CONFIG_ENV]: JSON.stringify({ ...ok, subnets: [] }) }),
    ).toThrow(/\/subnets/);
    expect(() =>
      readLauncherConfig({ [LAUNCHER_CONFIG_ENV]: JSON.stringify({ ...ok, defaultProvider: "zap" }) }),
    ).toThrow(/default provider "zap" is not one of the providers/);
  });
});

describe("launcher handler (ECS mocked, DLQ on fauxqs)", () => {
  const sqs = new SQSClient(awsClientConfig());
  const ecs = new ECSClient({ region: "eu-west-2", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  const ecsMock = mockClient(ecs);
  let dlqUrl: string;
  let handler: ReturnType<typeof makeLauncherHandler>;

  beforeEach(async () => {
    ecsMock.reset();
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("launcher-dlq") }))).QueueUrl!;
    handler = makeLauncherHandler({ config: () => config(dlqUrl), ecs: () => ecs, sqs: () => sqs });
  });
  afterEach(async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
  });
  afterAll(() => {
    sqs.destroy();
    ecsMock.restore();
  });

  async function deadLetters(): Promise<Message[]> {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 0,
      }),
    );
    return out.Messages ?? [];
  }

  it("starts one task per record with the request in the container environment", async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: taskArn(1) }], failures: [] });
    const r = record(JSON.stringify(request()));
    expect(await handler(event(r))).toEqual({ batchItemFailures: [] });
    const calls = ecsMock.commandCalls(RunTaskCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual(
      buildRunTask(config(dlqUrl), config(dlqUrl).providers.nmap, request(), r.messageId),
    );
    expect(await deadLetters()).toEqual([]);
  });

  it("uses the request's own scanId when it carries one, as Lambda scanners do", async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: taskArn(6) }] });
    await handler(event(record(JSON.stringify(request({ scanId: "cascade-42" })))));
    const input = ecsMock.commandCalls(RunTaskCommand)[0].args[0].input;
    expect(input.startedBy).toBe("sec-an/nmap/cascade-42");
    expect(input.overrides?.containerOverrides?.[0].environment).toContainEqual({
      name: Env.scanRequestId,
      value: "cascade-42",
    });
  });

  it("routes by the Provider attribute", async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: taskArn(2) }] });
    await handler(event(record(JSON.stringify(request()), { [Attr.provider]: "fast" })));
    expect(ecsMock.commandCalls(RunTaskCommand)[0].args[0].input.taskDefinition).toBe(TD_FAST);
    expect(
      ecsMock.commandCalls(RunTaskCommand)[0].args[0].input.overrides?.containerOverrides?.[0].name,
    ).toBe("fast");
  });

  it("fails the record when RunTask reports failures, so SQS retries it", async () => {
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [], failures: [{ arn: TD_NMAP, reason: "RESOURCE:ENI", detail: "no ENIs" }] });
    const r = record(JSON.stringify(request()));
    expect(await handler(event(r))).toEqual({ batchItemFailures: [{ itemIdentifier: r.messageId }] });
    expect(await deadLetters()).toEqual([]);
  });

  it("fails the record when RunTask returns no task and no failure, or throws", async () => {
    ecsMock.on(RunTaskCommand).resolvesOnce({ tasks: [] }).rejectsOnce(new Error("ThrottlingException"));
    const a = record(JSON.stringify(request()));
    const b = record(JSON.stringify(request()));
    expect(await handler(event(a, b))).toEqual({
      batchItemFailures: [{ itemIdentifier: a.messageId }, { itemIdentifier: b.messageId }],
    });
  });

  it("sends an unknown provider to the DLQ with the reason and reports the record done", async () => {
    const body = JSON.stringify(request({ provider: "sonar" }));
    const r = record(body, { [Attr.scanId]: "abc" });
    expect(await handler(event(r))).toEqual({ batchItemFailures: [] });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
    const [m, ...rest] = await deadLetters();
    expect(rest).toEqual([]);
    expect(m.Body).toBe(body);
    const attrs = Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]),
    );
    expect(attrs).toEqual({
      [Attr.scanId]: "abc",
      [Attr.errorCode]: "UnknownProvider",
      [Attr.errorMessage]: 'unknown provider "sonar" (known: fast, nmap)',
      [Attr.requestId]: r.messageId,
      [Attr.sourceQueue]: QUEUE_ARN,
    });
  });

  it("sends malformed and invalid bodies to the DLQ with a reason naming the problem", async () => {
    const bad = record("{not json");
    const invalid = record(JSON.stringify({ target: "", requestedAt: "yesterday" }));
    expect(await handler(event(bad, invalid))).toEqual({ batchItemFailures: [] });
    const got = (await deadLetters()).map((m) => [
      m.Body,
      m.MessageAttributes?.[Attr.errorCode]?.StringValue,
      m.MessageAttributes?.[Attr.errorMessage]?.StringValue,
    ]);
    expect(got).toHaveLength(2);
    expect(got).toContainEqual([
      "{not json",
      "MalformedRequest",
      expect.stringMatching(/^scan request is not valid JSON/),
    ]);
    expect(got).toContainEqual([invalid.body, "InvalidRequest", expect.stringMatching(/\/target/)]);
  });

  it.each([
    ["127.0.0.1-3", /address range/],
    ["10.0-255.0-255.1-254", /address range/],
    ["127.0.0.1,2", /list/],
    ["-iL/etc/passwd", /starts with '-'/],
    ["10.0.0.0/8", /shorter than \/20/],
    ["169.254.169.254", /link-local/],
  ])("dead-letters invalid target %j with the reason, and starts no task", async (target, reason) => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: taskArn(9) }] });
    const bad = record(JSON.stringify(request({ target })));
    const good = record(JSON.stringify(request()));
    expect(await handler(event(bad, good))).toEqual({ batchItemFailures: [] });
    const calls = ecsMock.commandCalls(RunTaskCommand);
    expect(calls).toHaveLength(1);
    const env = calls[0].args[0].input.overrides?.containerOverrides?.[0].environment ?? [];
    expect(env.find((e) => e.name === Env.scanRequest)?.value).toBe(good.body);
    const [m, ...rest] = await deadLetters();
    expect(rest).toEqual([]);
    expect(m.Body).toBe(bad.body);
    expect(m.MessageAttributes?.[Attr.errorCode]?.StringValue).toBe("InvalidTarget");
    expect(m.MessageAttributes?.[Attr.errorMessage]?.StringValue).toMatch(reason);
    expect(m.MessageAttributes?.[Attr.requestId]?.StringValue).toBe(bad.messageId);
  });

  it("keeps good records when a sibling fails (partial batch)", async () => {
    ecsMock
      .on(RunTaskCommand)
      .resolvesOnce({ tasks: [{ taskArn: taskArn(3) }] })
      .resolvesOnce({ failures: [{ reason: "CAPACITY" }] });
    const good = record(JSON.stringify(request()));
    const unknown = record(JSON.stringify(request()), { [Attr.provider]: "zap" });
    const noCapacity = record(JSON.stringify(request()));
    expect(await handler(event(good, unknown, noCapacity))).toEqual({
      batchItemFailures: [{ itemIdentifier: noCapacity.messageId }],
    });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(2);
    expect((await deadLetters()).map((m) => m.MessageAttributes?.[Attr.requestId]?.StringValue)).toEqual([
      unknown.messageId,
    ]);
  });

  it("fails the record instead of losing it when the DLQ cannot be reached", async () => {
    const broken = makeLauncherHandler({
      config: () => config(`${dlqUrl}-does-not-exist`),
      ecs: () => ecs,
      sqs: () => sqs,
    });
    const r = record("nope");
    expect(await broken(event(r))).toEqual({ batchItemFailures: [{ itemIdentifier: r.messageId }] });
  });

  it("accepts a request inside an SNS envelope", async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: taskArn(4) }] });
    const envelope = JSON.stringify({
      Type: "Notification",
      MessageId: "m",
      Message: JSON.stringify(request()),
    });
    expect(await handler(event(record(envelope)))).toEqual({ batchItemFailures: [] });
    const env =
      ecsMock.commandCalls(RunTaskCommand)[0].args[0].input.overrides?.containerOverrides?.[0].environment;
    expect(env?.find((e) => e.name === Env.scanRequest)?.value).toBe(JSON.stringify(request()));
  });

  it("applies a task's own schema and environment, never letting it override the platform's variables", async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: taskArn(5) }] });
    const schema = Type.Intersect([ScanRequest, Type.Object({ ports: Type.String() })]);
    const custom = makeLauncherHandler({
      requestSchema: schema,
      toEnvironment: (req, ctx) => ({
        PORTS: req.ports,
        PROVIDER: ctx.provider,
        [Env.resultsBucket]: "evil",
      }),
      config: () => config(dlqUrl),
      ecs: () => ecs,
      sqs: () => sqs,
    });
    const noPorts = record(JSON.stringify(request()));
    const ok = record(JSON.stringify(request({ ports: "22,443" })));
    expect(await custom(event(noPorts, ok))).toEqual({ batchItemFailures: [] });
    const env =
      ecsMock.commandCalls(RunTaskCommand)[0].args[0].input.overrides?.containerOverrides?.[0].environment ??
      [];
    expect(env.filter((e) => e.name === "PORTS" || e.name === "PROVIDER")).toEqual([
      { name: "PORTS", value: "22,443" },
      { name: "PROVIDER", value: "nmap" },
    ]);
    expect(env.filter((e) => e.name === Env.resultsBucket)).toEqual([
      { name: Env.resultsBucket, value: "dev-sec-an-nmap-results" },
    ]);
    expect((await deadLetters()).map((m) => m.MessageAttributes?.[Attr.errorCode]?.StringValue)).toEqual([
      "InvalidRequest",
    ]);
  });
});
