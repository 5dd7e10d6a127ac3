import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ScanRequest, plannedScanId, validate } from "@sec-an/contracts";
import { awsClientConfig, uniqueName } from "@sec-an/testing";
import { delaySeconds, initiateScans, scanRequestFor } from "../src/initiator/initiator";
import type { SchedulerTables } from "../src/util";
import { createTables, dropTables, dynamo } from "./helpers";

const { client, doc } = dynamo();
const sqs = new SQSClient(awsClientConfig());
let tables: SchedulerTables;
let queueUrl: string;
const NOW = 1_795_000_000;

beforeEach(async () => {
  tables = await createTables(client);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("scan-delay") }))).QueueUrl!;
});
afterEach(async () => {
  await dropTables(client, tables);
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
});
afterAll(() => {
  client.destroy();
  sqs.destroy();
});

async function plan(rows: [string, number][]) {
  for (const [Address, PlannedScanTime] of rows) {
    await doc.send(
      new PutCommand({
        TableName: tables.scanPlan,
        Item: { Address, PlannedScanTime, DnsIngestTime: NOW - 3600 },
      }),
    );
  }
}
const planRows = async () =>
  ((await doc.send(new ScanCommand({ TableName: tables.scanPlan }))).Items ?? [])
    .map((i) => i.Address as string)
    .sort();

type Received = { body: ScanRequest; attributes: Record<string, string | undefined> };
async function receiveAll(): Promise<Received[]> {
  const out: Received[] = [];
  for (;;) {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
      }),
    );
    if (!r.Messages?.length) return out;
    for (const m of r.Messages) {
      const attributes = Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]),
      );
      out.push({ body: validate(ScanRequest, JSON.parse(m.Body!)), attributes });
    }
  }
}

const deps = () => ({ doc, sqs, tables, delayQueueUrl: queueUrl, now: NOW, lookaheadSeconds: 900 });

describe("scan initiator (dynalite + fauxqs)", () => {
  it("queues exactly the plans due within one bucket, in batches of 10, and deletes only those", async () => {
    const due: [string, number][] = Array.from({ length: 23 }, (_, i) => [`192.0.2.${i + 1}`, NOW - 60 - i]);
    await plan([
      ...due,
      ["2001:db8::1", NOW - 1],
      ["192.0.2.200", NOW + 600],
      ["192.0.2.201", NOW + 901],
      ["192.0.2.202", NOW + 86_000],
    ]);

    const batches: number[] = [];
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const entries = (args.input as { Entries?: unknown[] }).Entries;
        if (entries) batches.push(entries.length);
        return next(args);
      },
      { step: "initialize", name: "countBatches" },
    );
    const stats = await initiateScans(deps()).finally(() => sqs.middlewareStack.remove("countBatches"));

    expect(stats).toEqual({ due: 25, queued: 25, failed: 0, invalid: 0, replanned: 0 });
    expect(batches).toEqual([10, 10, 5]);
    expect(await planRows()).toEqual(["192.0.2.201", "192.0.2.202"]);
    // 24 were due already (delay 0) and are receivable now; 192.0.2.200 is delayed by 600 s.
    const received = await receiveAll();
    expect(received.map((m) => m.body.target).sort()).toEqual([...due.map(([a]) => a), "2001:db8::1"].sort());
    const v6msg = received.find((m) => m.body.target === "2001:db8::1")!;
    expect(v6msg.attributes).toEqual({ address_type: "ipv6", Depth: "0" });
    expect(received.find((m) => m.body.target === "192.0.2.1")!.attributes).toEqual({
      address_type: "ipv4",
      Depth: "0",
    });
    const v6 = v6msg.body;
    expect(v6).toEqual({
      target: "2001:db8::1",
      targetType: "ipv6",
      requestedAt: new Date(NOW * 1000).toISOString(),
      plannedScanTime: NOW - 1,
      lineage: { rootScanId: plannedScanId("2001:db8::1", NOW - 1), depth: 0 },
    });
    const info = await doc.send(
      new GetCommand({ TableName: tables.addressInfo, Key: { Address: "192.0.2.200" } }),
    );
    expect(info.Item).toEqual({ Address: "192.0.2.200", LastPlannedScanQueued: NOW });
    const notQueued = await doc.send(
      new GetCommand({ TableName: tables.addressInfo, Key: { Address: "192.0.2.201" } }),
    );
    expect(notQueued.Item).toBeUndefined();
  });

  it("keeps the plan row of an entry the queue refused, and deletes its queued siblings", async () => {
    await plan(Array.from({ length: 5 }, (_, i): [string, number] => [`198.51.100.${i + 1}`, NOW - 10]));
    // Corrupt one entry on the wire so fauxqs itself rejects it (SQS forbids U+0000 in bodies).
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const input = (args as { input: { Entries?: { MessageBody?: string }[] } }).input;
        for (const e of input.Entries ?? [])
          if (e.MessageBody?.includes('"198.51.100.3"')) e.MessageBody += "\u0000";
        return next(args);
      },
      { step: "initialize", name: "corruptOneEntry" },
    );
    try {
      const stats = await initiateScans(deps());
      expect(stats).toMatchObject({ due: 5, queued: 4, failed: 1 });
    } finally {
      sqs.middlewareStack.remove("corruptOneEntry");
    }
    expect(await planRows()).toEqual(["198.51.100.3"]);
    expect((await receiveAll()).map((m) => m.body.target).sort()).toEqual([
      "198.51.100.1",
      "198.51.100.2",
      "198.51.100.4",
      "198.51.100.5",
    ]);
    const info = await doc.send(
      new GetCommand({ TableName: tables.addressInfo, Key: { Address: "198.51.100.3" } }),
    );
    expect(info.Item).toBeUndefined();
    // The next run queues it.
    expect(await initiateScans(deps())).toMatchObject({ queued: 1, failed: 0 });
    expect(await planRows()).toEqual([]);
  });

  it("keeps every plan row when the whole batch fails (queue gone)", async () => {
    await plan([
      ["203.0.113.1", NOW],
      ["203.0.113.2", NOW],
    ]);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    expect(await initiateScans(deps())).toMatchObject({ due: 2, queued: 0, failed: 2 });
    expect(await planRows()).toEqual(["203.0.113.1", "203.0.113.2"]);
  });

  it("leaves a row re-planned by a DNS ingest while it was being queued", async () => {
    await plan([["203.0.113.9", NOW - 5]]);
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        if ((args.input as { Entries?: unknown[] }).Entries) {
          await doc.send(
            new UpdateCommand({
              TableName: tables.scanPlan,
              Key: { Address: "203.0.113.9" },
              UpdateExpression: "SET PlannedScanTime = :t",
              ExpressionAttributeValues: { ":t": NOW + 50_000 },
            }),
          );
        }
        return out;
      },
      { step: "initialize", name: "concurrentIngest" },
    );
    try {
      expect(await initiateScans(deps())).toMatchObject({ queued: 1, replanned: 1 });
    } finally {
      sqs.middlewareStack.remove("concurrentIngest");
    }
    const row = await doc.send(
      new GetCommand({ TableName: tables.scanPlan, Key: { Address: "203.0.113.9" } }),
    );
    expect(row.Item?.PlannedScanTime).toBe(NOW + 50_000);
  });

  it("logs and keeps rows that are not addresses instead of queueing them", async () => {
    await plan([
      ["not an address; rm -rf /", NOW],
      ["192.0.2.50", NOW],
    ]);
    expect(await initiateScans(deps())).toMatchObject({ due: 2, queued: 1, invalid: 1 });
    expect(await planRows()).toEqual(["not an address; rm -rf /"]);
  });
});

describe("scan request and delay", () => {
  it("clamps the delay to 0…900 seconds", () => {
    expect(delaySeconds(NOW - 100, NOW)).toBe(0);
    expect(delaySeconds(NOW + 299.7, NOW)).toBe(299);
    expect(delaySeconds(NOW + 5000, NOW)).toBe(900);
  });
  it("gives the same root scan id to the same plan and a different one to another plan", () => {
    const a = scanRequestFor({ address: "192.0.2.1", plannedScanTime: NOW }, NOW);
    expect(a.lineage!.rootScanId).toBe(
      scanRequestFor({ address: "192.0.2.1", plannedScanTime: NOW }, NOW + 5).lineage!.rootScanId,
    );
    expect(a.lineage!.rootScanId).not.toBe(
      scanRequestFor({ address: "192.0.2.1", plannedScanTime: NOW + 1 }, NOW).lineage!.rootScanId,
    );
  });
});
