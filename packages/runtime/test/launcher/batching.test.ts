import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { ECSClient, RunTaskCommand, type RunTaskCommandInput } from "@aws-sdk/client-ecs";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Attr, Env, TaskBatch } from "@sec-an/contracts";
import { awsClientConfig, uniqueName } from "@sec-an/testing";
import {
  MAX_OVERRIDE_CHARS,
  groupIntoTasks,
  makeLauncherHandler,
  prepareRecord,
  readLauncherConfig,
  requestsOfTask,
  LAUNCHER_CONFIG_ENV,
  type LauncherConfig,
} from "../../src/launcher";
import { record } from "./records";

const TD = (p: string) => `arn:aws:ecs:eu-west-2:111122223333:task-definition/dev-sec-an-nmap-${p}:1`;

function config(dlqUrl: string, targetsPerTask?: number): LauncherConfig {
  return {
    task: "nmap",
    cluster: "arn:aws:ecs:eu-west-2:111122223333:cluster/scanning",
    subnets: ["subnet-a"],
    securityGroups: ["sg-1"],
    assignPublicIp: false,
    resultsBucket: "dev-sec-an-nmap-results",
    deadLetterQueueUrl: dlqUrl,
    providers: {
      nmap: { taskDefinition: TD("nmap"), container: "nmap" },
      fast: { taskDefinition: TD("fast"), container: "fast" },
    },
    defaultProvider: "nmap",
    ...(targetsPerTask === undefined ? {} : { targetsPerTask }),
  };
}

const scan = (i: number, extra: Record<string, unknown> = {}) => ({
  target: `127.0.0.${i}`,
  requestedAt: "2026-11-23T10:00:00Z",
  ...extra,
});
const envOf = (input: RunTaskCommandInput) =>
  Object.fromEntries(
    (input.overrides?.containerOverrides?.[0].environment ?? []).map((e) => [e.name!, e.value]),
  );
const overrideChars = (input: RunTaskCommandInput) => JSON.stringify(input.overrides).length;

describe("groupIntoTasks", () => {
  const c = config("https://dlq", 4);
  const prep = (r: SQSRecord) => prepareRecord(r, c);

  it("puts at most targetsPerTask records in a task, in arrival order: ceil(N/k) tasks", () => {
    const records = Array.from({ length: 10 }, (_, i) => record(scan(i + 1)));
    const groups = groupIntoTasks(records.map(prep), c);
    expect(groups.map((g) => g.length)).toEqual([4, 4, 2]);
    expect(groups.flat().map((p) => p.record.messageId)).toEqual(records.map((r) => r.messageId));
  });

  it("never mixes providers in one task", () => {
    const records = [1, 2, 3, 4, 5].map((i) => record(scan(i), i % 2 ? {} : { [Attr.provider]: "fast" }));
    const groups = groupIntoTasks(records.map(prep), c);
    expect(groups.map((g) => g.map((p) => p.providerName))).toEqual([
      ["nmap", "nmap", "nmap"],
      ["fast", "fast"],
    ]);
  });

  it("with the default of 1 starts one task per record", () => {
    const one = config("https://dlq");
    const records = [1, 2, 3].map((i) => record(scan(i)));
    expect(
      groupIntoTasks(
        records.map((r) => prepareRecord(r, one)),
        one,
      ).map((g) => g.length),
    ).toEqual([1, 1, 1]);
  });

  it("bounds targetsPerTask in the launcher config", () => {
    const text = (k: number) => JSON.stringify(config("https://dlq", k));
    expect(readLauncherConfig({ [LAUNCHER_CONFIG_ENV]: text(TaskBatch.maxTargets) }).targetsPerTask).toBe(16);
    expect(() => readLauncherConfig({ [LAUNCHER_CONFIG_ENV]: text(TaskBatch.maxTargets + 1) })).toThrow(
      /targetsPerTask/,
    );
    expect(() => readLauncherConfig({ [LAUNCHER_CONFIG_ENV]: text(0) })).toThrow(/targetsPerTask/);
  });
});

describe("launcher batching (ECS mocked, DLQ on fauxqs)", () => {
  const sqs = new SQSClient(awsClientConfig());
  const ecs = new ECSClient({ region: "eu-west-2", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  const ecsMock = mockClient(ecs);
  let dlqUrl: string;

  beforeEach(async () => {
    ecsMock.reset();
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("launch-batch-dlq") })))
      .QueueUrl!;
  });
  afterEach(async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
  });
  afterAll(() => {
    sqs.destroy();
    ecsMock.restore();
  });
  const handlerFor = (k: number) =>
    makeLauncherHandler({ config: () => config(dlqUrl, k), ecs: () => ecs, sqs: () => sqs });

  it("starts ceil(N/k) tasks, each carrying its requests with their own scan ids; an invalid record is dead-lettered alone", async () => {
    let n = 0;
    ecsMock.on(RunTaskCommand).callsFake(async () => ({ tasks: [{ taskArn: `arn:task/${++n}` }] }));
    const good = [1, 2, 3, 4, 5, 6, 7].map((i) => record(scan(i, i === 2 ? { scanId: "own-2" } : {})));
    const bad = record(scan(1, { target: "-iL/etc/passwd" }));
    const out = await handlerFor(3)({ Records: [good[0], bad, ...good.slice(1)] });
    expect(out).toEqual({ batchItemFailures: [] });

    const inputs = ecsMock.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(3);
    const carried = inputs.map((i) => requestsOfTask(envOf(i)));
    expect(carried.map((c) => c.length)).toEqual([3, 3, 1]);
    expect(carried.flat().map((c) => c.scanId)).toEqual(
      good.map((r, i) => (i === 1 ? "own-2" : r.messageId)),
    );
    expect(carried.flat().map((c) => JSON.parse(c.body).target)).toEqual(
      good.map((r) => JSON.parse(r.body).target),
    );
    // Several requests travel in SCAN_REQUESTS; a task of one keeps today's variables exactly.
    expect(envOf(inputs[0])[Env.scanRequest]).toBeUndefined();
    expect(envOf(inputs[2])).toMatchObject({
      [Env.scanRequestId]: good[6].messageId,
      [Env.scanRequest]: good[6].body,
    });
    expect(inputs[0].startedBy).toBe(`sec-an/nmap/${good[0].messageId}_2`);

    const letters = (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ["All"],
        }),
      )
    ).Messages!;
    expect(letters.map((m) => m.Body)).toEqual([bad.body]);
    expect(letters[0].MessageAttributes?.[Attr.errorCode]?.StringValue).toBe("InvalidTarget");
  });

  it("a failed RunTask fails exactly the records of its task; the other tasks' records stand", async () => {
    let n = 0;
    ecsMock.on(RunTaskCommand).callsFake(async () => {
      n += 1;
      return n === 2
        ? { tasks: [], failures: [{ reason: "RESOURCE:ENI" }] }
        : { tasks: [{ taskArn: `arn:task/${n}` }] };
    });
    const records = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => record(scan(i)));
    const out = await handlerFor(3)({ Records: records });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(3);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      records
        .slice(3, 6)
        .map((r) => r.messageId)
        .sort(),
    );
  });

  it("splits a task whose requests would pass ECS's override limit, and launches every record", async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: "arn:task/x" }] });
    // The longest requests the schema allows: a 253-character host name and a 201-character port list.
    const label = "a".repeat(62);
    const host = (i: number) => `${label}.${label}.${label}.h${String(i).padStart(60, "0")}`;
    const ports = "1" + ",65535".repeat(33) + "0";
    const records = Array.from({ length: 16 }, (_, i) =>
      record(scan(1, { target: host(i), ports, scanId: `long-${i}-${"x".repeat(100)}` })),
    );
    const all = records.map((r) => prepareRecord(r, config(dlqUrl, 16)));
    expect(JSON.stringify(all.map((p) => p.request)).length).toBeGreaterThan(MAX_OVERRIDE_CHARS);

    const out = await handlerFor(16)({ Records: records });
    expect(out).toEqual({ batchItemFailures: [] });
    const inputs = ecsMock.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(inputs.length).toBeGreaterThan(1);
    for (const i of inputs) expect(overrideChars(i)).toBeLessThanOrEqual(MAX_OVERRIDE_CHARS);
    expect(inputs.flatMap((i) => requestsOfTask(envOf(i)).map((c) => c.scanId))).toEqual(
      all.map((p) => p.scanId),
    );
  });
});

describe("requestsOfTask", () => {
  it("reads one request or several, and names a malformed list", () => {
    expect(
      requestsOfTask({ [Env.scanRequest]: '{"target":"127.0.0.1"}', [Env.scanRequestId]: "s1" }),
    ).toEqual([{ scanId: "s1", body: '{"target":"127.0.0.1"}' }]);
    expect(
      requestsOfTask({ [Env.scanRequests]: '[{"scanId":"a","request":{"target":"127.0.0.1"}}]' }),
    ).toEqual([{ scanId: "a", body: '{"target":"127.0.0.1"}' }]);
    expect(requestsOfTask({})).toEqual([]);
    expect(() => requestsOfTask({ [Env.scanRequests]: "[" })).toThrow(/SCAN_REQUESTS is not valid JSON/);
    expect(() => requestsOfTask({ [Env.scanRequests]: '[{"scanId":1}]' })).toThrow(/SCAN_REQUESTS\[0\]/);
  });
});
