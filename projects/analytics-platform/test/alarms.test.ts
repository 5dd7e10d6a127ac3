import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import { checkResources } from "@sec-an/policy";
import { resources, resourcesOfType, runProgram, uniqueName } from "@sec-an/testing";
import { jsonLogPattern, matchesJsonLogPattern } from "@sec-an/components";
import { BULK_REJECTED_LOG, lowStorageMiB } from "../src/infra/alarms";
import { ingestBatch } from "../src/ingest";
import { useAnalyticsDouble } from "./double";
import { createIndices, sqsRecord } from "./helpers";
import { mockAnalyticsPlatform } from "./program-mocks";

const NOTIFY = "arn:aws:sns:us-east-1:123456789012:dev-sec-an-notifications";

async function alarmsOf(config: Record<string, unknown>) {
  mockAnalyticsPlatform(config);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { program } = require("../src/program") as typeof import("../src/program");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseConfig } = require("../src/stack-config") as typeof import("../src/stack-config");
  const { Config } = await import("@pulumi/pulumi");
  await runProgram(() =>
    program(parseConfig(new Config("sec-an-analytics-platform"), "dev"), { scannerTasks: ["nmap"] }),
  );
  return new Map(resourcesOfType("aws:cloudwatch/metricAlarm:MetricAlarm").map((r) => [r.name, r.inputs]));
}

describe("analytics-platform alarms", () => {
  it("alarms the domain, bulk rejections and the reporter's terminal queue to the notifications topic, with 0 violations", async () => {
    const alarms = await alarmsOf({
      instanceType: "r7g.large.search",
      instanceCount: "2",
      volumeSize: "100",
    });
    const a = (k: string) => alarms.get(`dev-sec-an-analytics-alarms-${k}`);
    expect(a("domain-red")).toMatchObject({
      metricName: "ClusterStatus.red",
      dimensions: { DomainName: "dev-sec-an-search", ClientId: "123456789012" },
      alarmActions: [NOTIFY],
    });
    expect(a("domain-yellow")).toMatchObject({ metricName: "ClusterStatus.yellow", alarmActions: [NOTIFY] });
    // A quarter of the 100 GiB volume.
    expect(a("domain-low-storage")).toMatchObject({ metricName: "FreeStorageSpace", threshold: 25600 });
    expect(a("ingest-rejected")).toMatchObject({
      namespace: "sec-an/aws/lambda/dev-sec-an-analytics-ingestor",
      metricName: "BulkItemsRejected",
    });
    expect(JSON.stringify(a("reporter-failed")?.metricQueries)).toContain(
      '"QueueName":"dev-sec-an-dead-letter-reporter-failed"',
    );
    const [filter] = resourcesOfType("aws:cloudwatch/logMetricFilter:LogMetricFilter");
    expect(filter.inputs).toMatchObject({
      logGroupName: "/aws/lambda/dev-sec-an-analytics-ingestor",
      pattern: jsonLogPattern(BULK_REJECTED_LOG),
    });
    // Every function of the stack is watched for errors and throttles.
    for (const fn of resourcesOfType("aws:lambda/function:Function")) {
      for (const m of ["Errors", "Throttles"])
        expect([
          fn.inputs.name,
          m,
          [...alarms.values()].some(
            (x) => x.metricName === m && x.dimensions?.FunctionName === fn.inputs.name,
          ),
        ]).toEqual([fn.inputs.name, m, true]);
    }
    for (const [name, inputs] of alarms) expect([name, inputs.alarmActions]).toEqual([name, [NOTIFY]]);
    expect(await checkResources(resources())).toEqual([]);
  }, 120_000);

  it("does not alarm on yellow for one node (its replicas can never be assigned); takes a configured storage floor", async () => {
    const alarms = await alarmsOf({ instanceCount: "1", volumeSize: "10", lowStorageAlarmMiB: "1000" });
    expect(alarms.has("dev-sec-an-analytics-alarms-domain-yellow")).toBe(false);
    expect(alarms.get("dev-sec-an-analytics-alarms-domain-low-storage")?.threshold).toBe(1000);
    expect(lowStorageMiB(10)).toBe(2560);
    expect(() => lowStorageMiB(10, 10240)).toThrow(
      /lowStorageAlarmMiB .* below the 10240 MiB volume, got 10240/,
    );
    expect(() => lowStorageMiB(10, 0.5)).toThrow(/lowStorageAlarmMiB/);
  }, 120_000);
});

describe("the bulk-rejection metric filter", () => {
  const ctx = useAnalyticsDouble({ attempts: 2, baseDelayMs: 1, maxDelayMs: 2 });
  const { sqs } = ctx;

  it("matches the line the ingestor logs for a bulk item the store rejects, and no other dead letter", async () => {
    const { store } = ctx;
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("alarm-dlq") })))
      .QueueUrl!;
    const task = ctx.os.prefix;
    await createIndices(store, "dead_letter", `${task}data`, [""], {
      properties: { sent: { type: "date" } },
    });
    // A date the mapping refuses: the store rejects the bulk item for good.
    const rejected = sqsRecord(
      { kind: "document", index: `dead_letter_${task}data`, id: "bad", doc: { sent: "yesterday" } },
      { Task: "t" },
    );
    const malformed = sqsRecord("{not json");
    const lines: string[] = [];
    // Powertools writes warnings and errors to stderr, the rest to stdout (as Lambda captures both).
    const spies = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        return true;
      }),
    );
    try {
      const res = await ingestBatch([rejected, malformed], {
        store,
        deadLetter: { sqs, queueUrl },
        refreshKnown: () => store.invalidateAliases(),
      });
      expect(res).toEqual({ batchItemFailures: [] });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const hits = lines.filter((l) => matchesJsonLogPattern(BULK_REJECTED_LOG, l)).map((l) => JSON.parse(l));
    expect(hits).toEqual([expect.objectContaining({ requestId: rejected.messageId, code: "rejected" })]);
    // The malformed record was dead-lettered too, on a line the filter must not count.
    expect(lines.some((l) => l.includes('"code":"malformed"'))).toBe(true);
  });
});
