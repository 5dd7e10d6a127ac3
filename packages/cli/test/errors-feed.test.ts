import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Attr, ErrorChannelEnv, type PlatformErrorEvent } from "@sec-an/contracts";
import { logger, resetClients, sendDeadLetter, setClients } from "@sec-an/runtime";
import { awsClientConfig, uniqueName } from "@sec-an/testing";
import { formatErrorEvent, localErrorsTopic, startErrorsFeed } from "../src/local/errors-feed";
import { runPrograms } from "../src/local/programs";
import { Translation } from "../src/local/provision";
import { repoRoot } from "../src/local/run";
import { emptyTopology, readTopology } from "../src/local/topology";

logger.setLogLevel("SILENT");
const sqs = new SQSClient(awsClientConfig());
const sns = new SNSClient(awsClientConfig());

afterEach(() => resetClients());

async function until(check: () => boolean, ms: number, what: string) {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("sec-an local error feed", () => {
  it("prints each error event as it arrives and lists them at the end", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("errors") }));
    const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("dlq") }));
    setClients({ sqs, sns });
    const lines: string[] = [];
    const before = process.env[ErrorChannelEnv.topicArn];
    const feed = await startErrorsFeed({
      clients: { sqs, sns },
      topicArn: TopicArn,
      log: (l) => lines.push(l),
    });
    try {
      // A dead letter sent in this process (as the local runner sends a refused target's) is reported.
      await sendDeadLetter(
        {
          body: "{}",
          requestId: "m-1",
          attributes: { [Attr.scanId]: { DataType: "String", StringValue: "scan-9" } },
        },
        { code: "InvalidTarget", message: "not loopback: 8.8.8.8\u001b[2J" },
        { sqs, queueUrl: dlq!, task: "nmap" },
      );
      await until(() => feed.events.length === 1, 15_000, "the error event");
    } finally {
      await feed.stop();
    }
    expect(feed.events[0]).toMatchObject({ code: "InvalidTarget", task: "nmap", scanId: "scan-9" });
    const live = lines.find((l) => l.startsWith("error event: "));
    expect(live).toMatch(/\[nmap, scan scan-9\] InvalidTarget: not loopback: 8\.8\.8\.8 \[2J/);
    expect(live).not.toContain("\u001b");
    expect(lines).toContain("error events during the run: 1");
    expect(lines[lines.length - 1]).toMatch(/InvalidTarget/);
    // The feed leaves the process's environment as it found it.
    expect(process.env[ErrorChannelEnv.topicArn]).toBe(before);
  });

  it("stopped at once after a burst, lists every event exactly once (the cut-short poll loses none)", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("errors") }));
    const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("dlq") }));
    setClients({ sqs, sns });
    const feed = await startErrorsFeed({ clients: { sqs, sns }, topicArn: TopicArn, log: () => undefined });
    try {
      await Promise.all(
        Array.from({ length: 15 }, (_, i) =>
          sendDeadLetter(
            { body: "{}", requestId: `m-${i}` },
            { code: "InvalidTarget", message: `burst ${i}` },
            { sqs, queueUrl: dlq!, task: "nmap" },
          ),
        ),
      );
    } finally {
      await feed.stop();
    }
    const messages = feed.events.map((e) => e.message).sort();
    expect(messages).toEqual(Array.from({ length: 15 }, (_, i) => `burst ${i}`).sort());
  });

  it("finds the errors topic the programs declare, and says so when there is none", async () => {
    const t = emptyTopology();
    const tr = new Translation();
    expect(localErrorsTopic(t, tr, { app: "sec-an", stage: "local" })).toBeUndefined();
    t.topics.push({ name: "local-sec-an-errors", mockArn: "arn:mock:local-sec-an-errors" });
    tr.set("arn:mock:local-sec-an-errors", "arn:aws:sns:us-east-1:000000000000:local-sec-an-errors");
    expect(localErrorsTopic(t, tr, { app: "sec-an", stage: "local" })).toBe(
      "arn:aws:sns:us-east-1:000000000000:local-sec-an-errors",
    );
    const lines: string[] = [];
    const feed = await startErrorsFeed({
      clients: { sqs, sns },
      topicArn: undefined,
      log: (l) => lines.push(l),
    });
    await feed.stop();
    expect(lines).toEqual([
      "error channel: no errors topic in the local topology; error events are not shown",
    ]);
  });

  it("the functions of the local run, in other stacks too, publish to the errors topic the feed reads", async () => {
    const topology = emptyTopology();
    // Three stacks in deployment order (each reads the ones before it) keep this quick; every function
    // is a LambdaFunction, so the others are built the same way.
    const only = ["shared-infra", "analytics-platform", "task-execution"];
    for (const r of await runPrograms(repoRoot(), "local", only)) readTopology(r.records, topology);
    const errors = topology.topics.find((t) => t.name === "local-sec-an-errors");
    expect(errors).toBeDefined();
    const fns = topology.functions.filter((f) => f.entry);
    expect(fns.length).toBeGreaterThan(5);
    for (const f of fns) expect([f.name, f.env[ErrorChannelEnv.topicArn]]).toEqual([f.name, errors!.mockArn]);
  }, 240_000);

  it("formats an event on one line", () => {
    const e: PlatformErrorEvent = {
      service: "local-sec-an-nmap-launcher",
      task: "nmap",
      code: "retries-exhausted",
      message: "line one\nline two",
      requestId: "r",
      container: "nmap",
      dlq: "http://127.0.0.1:1/000000000000/local-sec-an-nmap-task-queue-dlq",
      time: "2026-11-27T10:00:00.000Z",
    };
    expect(formatErrorEvent(e)).toBe(
      "local-sec-an-nmap-launcher [nmap, nmap] retries-exhausted: line one line two (→ local-sec-an-nmap-task-queue-dlq)",
    );
  });
});
