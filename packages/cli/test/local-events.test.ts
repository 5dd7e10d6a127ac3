import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Attr } from "@sec-an/contracts";
import { awsClientConfig, uniqueName, type ResourceRecord } from "@sec-an/testing";
import { asyncDeadLetters, eventBus, matchesEventPattern } from "../src/local/bridges";
import { clusterArnOf, taskArnIn, taskStoppedEvent, type TaskEnd } from "../src/local/ecs";
import type { LocalInvoker } from "../src/local/invoker";
import { Translation, type LocalClients } from "../src/local/provision";
import { readTopology } from "../src/local/topology";

/**
 * The local EventBridge: pattern matching for the operators the platform's rules use, the stop event
 * the ECS stand-in builds, and the rules read off a program's registrations.
 */
const cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/c";
const stopPattern = {
  source: ["aws.ecs"],
  "detail-type": ["ECS Task State Change"],
  detail: {
    clusterArn: [cluster],
    lastStatus: ["STOPPED"],
    taskDefinitionArn: [{ prefix: "arn:aws:ecs:us-east-1:123456789012:task-definition/nmap:" }],
  },
};

const stopped = (end: Partial<TaskEnd> = {}, family = "nmap") =>
  taskStoppedEvent({
    clusterArn: cluster,
    taskArn: taskArnIn(cluster, "abc"),
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:3`,
    family,
    container: "nmap",
    input: {
      startedBy: "sec-an/nmap/s1",
      launchType: "FARGATE",
      overrides: {
        containerOverrides: [{ name: "nmap", environment: [{ name: "SCAN_REQUEST", value: "{}" }] }],
      },
    },
    startedAt: new Date("2026-01-01T00:00:00Z"),
    stoppedAt: new Date("2026-01-01T00:01:00Z"),
    end: { exitCode: 1, signal: null, stoppedByUs: false, ...end },
  });

describe("matchesEventPattern", () => {
  it("matches the task-stop rule's pattern on a stop of its own family and cluster only", () => {
    expect(matchesEventPattern(stopPattern, stopped())).toBe(true);
    expect(matchesEventPattern(stopPattern, stopped({}, "nmapx"))).toBe(false);
    const other = stopped();
    other.detail.clusterArn = "arn:aws:ecs:us-east-1:123456789012:cluster/other";
    expect(matchesEventPattern(stopPattern, other)).toBe(false);
    const running = { ...stopped(), detail: { ...stopped().detail, lastStatus: "RUNNING" } };
    expect(matchesEventPattern(stopPattern, running)).toBe(false);
    expect(matchesEventPattern(stopPattern, { ...stopped(), source: "aws.ec2" })).toBe(false);
  });

  it("exact values and lists: any listed value, numbers and booleans by value, missing fields never", () => {
    expect(matchesEventPattern({ a: ["x", "y"] }, { a: "y" })).toBe(true);
    expect(matchesEventPattern({ a: ["x"] }, { a: "X" })).toBe(false);
    expect(matchesEventPattern({ n: [0] }, { n: 0 })).toBe(true);
    expect(matchesEventPattern({ n: [0] }, { n: "0" })).toBe(false);
    expect(matchesEventPattern({ b: [true] }, { b: true })).toBe(true);
    expect(matchesEventPattern({ a: ["x"] }, {})).toBe(false);
    expect(matchesEventPattern({ a: [null] }, { a: null })).toBe(true);
    expect(matchesEventPattern({ a: [null] }, {})).toBe(false);
  });

  it("an array in the event matches when any element does", () => {
    expect(matchesEventPattern({ resources: ["r2"] }, { resources: ["r1", "r2"] })).toBe(true);
    expect(matchesEventPattern({ resources: ["r3"] }, { resources: ["r1", "r2"] })).toBe(false);
  });

  it("nested objects must match field by field", () => {
    expect(matchesEventPattern({ d: { e: { f: ["1"] } } }, { d: { e: { f: "1" } } })).toBe(true);
    expect(matchesEventPattern({ d: { e: { f: ["1"] } } }, { d: { e: "f" } })).toBe(false);
    expect(matchesEventPattern({ d: { e: ["1"] } }, { d: "e" })).toBe(false);
  });

  it("prefix, suffix, anything-but and exists", () => {
    expect(matchesEventPattern({ a: [{ prefix: "ab" }] }, { a: "abc" })).toBe(true);
    expect(matchesEventPattern({ a: [{ prefix: "ab" }] }, { a: "cab" })).toBe(false);
    expect(matchesEventPattern({ a: [{ prefix: "1" }] }, { a: 12 })).toBe(false);
    expect(matchesEventPattern({ a: [{ suffix: ".gz" }] }, { a: "x.gz" })).toBe(true);
    expect(matchesEventPattern({ a: [{ "anything-but": "x" }] }, { a: "y" })).toBe(true);
    expect(matchesEventPattern({ a: [{ "anything-but": "x" }] }, { a: "x" })).toBe(false);
    expect(matchesEventPattern({ a: [{ "anything-but": ["x", "y"] }] }, { a: "y" })).toBe(false);
    expect(matchesEventPattern({ a: [{ "anything-but": { prefix: "x" } }] }, { a: "xy" })).toBe(false);
    expect(matchesEventPattern({ a: [{ "anything-but": { prefix: "x" } }] }, { a: "yx" })).toBe(true);
    expect(matchesEventPattern({ a: [{ "anything-but": "x" }] }, {})).toBe(false);
    expect(matchesEventPattern({ a: [{ exists: true }] }, { a: 0 })).toBe(true);
    expect(matchesEventPattern({ a: [{ exists: true }] }, {})).toBe(false);
    expect(matchesEventPattern({ a: [{ exists: false }] }, {})).toBe(true);
    expect(matchesEventPattern({ a: [{ exists: false }] }, { a: "x" })).toBe(false);
  });

  it("refuses operators it does not implement instead of guessing", () => {
    expect(() => matchesEventPattern({ a: [{ numeric: [">", 1] }] }, { a: 2 })).toThrow(
      /numeric.*not supported/,
    );
    expect(() => matchesEventPattern({ a: "x" }, { a: "x" })).toThrow(/must be a list or an object/);
  });
});

describe("taskStoppedEvent", () => {
  it("has the shape AWS sends for a container that exited non-zero, with the launcher's variables", () => {
    const e = stopped({ lastError: "scan failed: upload refused" });
    expect(e).toMatchObject({
      source: "aws.ecs",
      "detail-type": "ECS Task State Change",
      account: "123456789012",
      region: "us-east-1",
      resources: ["arn:aws:ecs:us-east-1:123456789012:task/c/abc"],
      detail: {
        clusterArn: cluster,
        taskArn: "arn:aws:ecs:us-east-1:123456789012:task/c/abc",
        taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/nmap:3",
        lastStatus: "STOPPED",
        stopCode: "EssentialContainerExited",
        stoppedReason: "Essential container in task exited",
        startedBy: "sec-an/nmap/s1",
        containers: [{ name: "nmap", exitCode: 1, reason: "scan failed: upload refused" }],
        overrides: {
          containerOverrides: [{ name: "nmap", environment: [{ name: "SCAN_REQUEST", value: "{}" }] }],
        },
      },
    });
  });

  it("a clean exit has exit code 0 and no reason; a signal reports 128 + its number", () => {
    expect(stopped({ exitCode: 0, lastError: "noise" }).detail.containers).toEqual([
      expect.not.objectContaining({ reason: expect.anything() }),
    ]);
    expect(stopped({ exitCode: 0 }).detail.containers[0].exitCode).toBe(0);
    const killed = stopped({ exitCode: null, signal: "SIGKILL", stoppedByUs: true }).detail;
    expect(killed.containers[0]).toMatchObject({ exitCode: 137, reason: "killed by SIGKILL" });
    expect(killed.stopCode).toBe("UserInitiated");
  });

  it("a container that could not start has no exit code and stops with TaskFailedToStart", () => {
    const d = stopped({ exitCode: null, spawnError: "spawn ENOENT" }).detail;
    expect(d.stopCode).toBe("TaskFailedToStart");
    expect(d.stoppedReason).toMatch(/CannotStartContainerError: spawn ENOENT/);
    expect(d.containers[0].exitCode).toBeUndefined();
  });

  it("cuts the container reason to ECS's 255 characters", () => {
    expect(stopped({ lastError: "x".repeat(1000) }).detail.containers[0].reason).toHaveLength(255);
  });

  it("names clusters given by name the way ECS does", () => {
    expect(clusterArnOf(undefined)).toMatch(/:cluster\/default$/);
    expect(clusterArnOf("local")).toMatch(/^arn:aws:ecs:[^:]+:\d{12}:cluster\/local$/);
    expect(clusterArnOf(cluster)).toBe(cluster);
    expect(taskArnIn(cluster)).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task\/c\/[0-9a-f]{32}$/);
  });
});

describe("readTopology: event rules", () => {
  const rec = (type: string, name: string, state: Record<string, unknown>, inputs = state) =>
    ({ type, name, state, inputs, custom: true, secretKeys: [], id: name }) as unknown as ResourceRecord;
  const fn = "arn:aws:lambda:us-east-1:123456789012:function:stops";
  const sched = "arn:aws:lambda:us-east-1:123456789012:function:tick";
  // The mock answers every resource with an `arn` of its own: the target's is in its inputs.
  const target = (rule: string, arn: string, name: string) =>
    rec(
      "aws:cloudwatch/eventTarget:EventTarget",
      name,
      { rule, arn: `arn:aws:cloudwatch:::${name}` },
      { rule, arn },
    );

  it("records rules with an event pattern and their Lambda targets, and schedules with theirs", () => {
    const t = readTopology([
      rec("aws:cloudwatch/eventRule:EventRule", "r", {
        name: "stops",
        eventPattern: JSON.stringify(stopPattern),
      }),
      target("stops", fn, "t1"),
      rec("aws:cloudwatch/eventRule:EventRule", "s", {
        name: "tick",
        scheduleExpression: "rate(15 minutes)",
      }),
      target("tick", sched, "t2"),
      rec("aws:cloudwatch/eventRule:EventRule", "lonely", { name: "lonely", eventPattern: "{}" }),
    ]);
    expect(t.eventRules).toEqual([{ name: "stops", pattern: stopPattern, targetMockArns: [fn] }]);
    expect(t.schedules).toEqual([{ name: "tick", expression: "rate(15 minutes)", targetMockArn: sched }]);
  });
});

describe("eventBus", () => {
  it("invokes every target of every matching rule, retrying a failed invocation twice", async () => {
    const calls: string[] = [];
    let failures = 2;
    const invoker = {
      invoke: async (ref: string) => {
        calls.push(ref);
        if (ref === "flaky" && failures-- > 0) return { ok: false, error: new Error("boom"), ms: 0 };
        return { ok: true, ms: 0 };
      },
    } as unknown as LocalInvoker;
    const put = eventBus(
      [
        { name: "stops", pattern: stopPattern, targetMockArns: ["flaky", "second"] },
        { name: "elsewhere", pattern: { source: ["aws.ec2"] }, targetMockArns: ["never"] },
      ],
      invoker,
      { log: () => undefined },
    );
    const out = await put(stopped());
    expect(calls).toEqual(["flaky", "flaky", "flaky", "second"]);
    expect(out.map((d) => [d.target, d.ok])).toEqual([
      ["flaky", true],
      ["second", true],
    ]);
    expect(await put({ source: "aws.s3" })).toEqual([]);
  });

  it("gives up after three attempts, reports the failure, and parks the event in the function's DLQ", async () => {
    const logs: string[] = [];
    let attempts = 0;
    const invoker = {
      invoke: async () => (attempts++, { ok: false, error: new Error("handler threw"), ms: 0 }),
    } as unknown as LocalInvoker;
    const parked: [string, unknown, string][] = [];
    const rules = [{ name: "stops", pattern: stopPattern, targetMockArns: ["f"] }];
    const log = (l: string) => logs.push(l);
    const event = stopped();
    expect(await eventBus(rules, invoker, { log })(event)).toEqual([
      { rule: "stops", target: "f", ok: false, error: "handler threw" },
    ]);
    expect(attempts).toBe(3);
    expect(logs.join("\n")).toMatch(/stops → f: handler threw/);
    // With the function's dead-letter queue, the event is parked there.
    const deadLetter = async (ref: string, e: unknown, error: Error) => {
      parked.push([ref, e, error.message]);
    };
    expect(await eventBus(rules, invoker, { log, deadLetter })(event)).toEqual([
      { rule: "stops", target: "f", ok: false, error: "handler threw", deadLettered: true },
    ]);
    expect(parked).toEqual([["f", event, "handler threw"]]);
  });
});

describe("asyncDeadLetters", () => {
  const sqs = new SQSClient(awsClientConfig());
  afterAll(() => sqs.destroy());

  it("sends the event to the function's dead-letter queue with Lambda's attributes", async () => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("fn-dlq") }))).QueueUrl!;
    const translation = new Translation();
    translation.set("https://mock/fn-dlq", url);
    const send = asyncDeadLetters(
      { sqs } as unknown as LocalClients,
      {
        functions: [
          { name: "stops", mockArn: "arn:fn:stops", env: {}, timeout: 3, deadLetterMockArn: "arn:q:dlq" },
        ],
        queues: [{ name: "fn-dlq", mockArn: "arn:q:dlq", mockUrl: "https://mock/fn-dlq" }],
      },
      translation,
    );
    const event = stopped();
    await send("arn:fn:stops", event, new Error("boom"));
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }),
    );
    expect(JSON.parse(got.Messages![0].Body!)).toEqual(event);
    const attrs = got.Messages![0].MessageAttributes!;
    expect(attrs[Attr.errorCode].StringValue).toBe("200");
    expect(attrs[Attr.errorMessage].StringValue).toBe("Error: boom");
    expect(attrs[Attr.requestId].StringValue).toBe(event.id);
    await expect(send("arn:fn:other", event, new Error("x"))).rejects.toThrow(/no dead-letter queue/);
  });
});
