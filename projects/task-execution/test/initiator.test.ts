import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ScanRequest, plannedScanId, validate } from "@sec-an/contracts";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  FaultProxy,
  awsClientConfig,
  dynamoClientConfig,
  emulatorEndpoints,
  uniqueName,
} from "@sec-an/testing";
import { delaySeconds, initiateScans, initiatorFailures, scanRequestFor } from "../src/initiator/initiator";
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
    const due: [string, number][] = Array.from({ length: 23 }, (_, i) => [`127.0.2.${i + 1}`, NOW - 60 - i]);
    await plan([
      ...due,
      ["::1", NOW - 1],
      ["127.0.2.200", NOW + 600],
      ["127.0.2.201", NOW + 901],
      ["127.0.2.202", NOW + 86_000],
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

    expect(stats).toEqual({
      due: 25,
      queued: 25,
      failed: 0,
      invalid: 0,
      replanned: 0,
      undeleted: 0,
      unrecorded: 0,
    });
    expect(batches).toEqual([10, 10, 5]);
    expect(await planRows()).toEqual(["127.0.2.201", "127.0.2.202"]);
    // 24 were due already (delay 0) and are receivable now; 127.0.2.200 is delayed by 600 s.
    const received = await receiveAll();
    expect(received.map((m) => m.body.target).sort()).toEqual([...due.map(([a]) => a), "::1"].sort());
    const v6msg = received.find((m) => m.body.target === "::1")!;
    expect(v6msg.attributes).toEqual({ address_type: "ipv6", Depth: "0" });
    expect(received.find((m) => m.body.target === "127.0.2.1")!.attributes).toEqual({
      address_type: "ipv4",
      Depth: "0",
    });
    const v6 = v6msg.body;
    expect(v6).toEqual({
      target: "::1",
      targetType: "ipv6",
      requestedAt: new Date(NOW * 1000).toISOString(),
      plannedScanTime: NOW - 1,
      lineage: { rootScanId: plannedScanId("::1", NOW - 1), depth: 0 },
    });
    const info = await doc.send(
      new GetCommand({ TableName: tables.addressInfo, Key: { Address: "127.0.2.200" } }),
    );
    expect(info.Item).toEqual({ Address: "127.0.2.200", LastPlannedScanQueued: NOW });
    const notQueued = await doc.send(
      new GetCommand({ TableName: tables.addressInfo, Key: { Address: "127.0.2.201" } }),
    );
    expect(notQueued.Item).toBeUndefined();
  });

  it("keeps the plan row of an entry the queue refused, and deletes its queued siblings", async () => {
    await plan(Array.from({ length: 5 }, (_, i): [string, number] => [`127.51.100.${i + 1}`, NOW - 10]));
    // Corrupt one entry on the wire so fauxqs itself rejects it (SQS forbids U+0000 in bodies).
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const input = (args as { input: { Entries?: { MessageBody?: string }[] } }).input;
        for (const e of input.Entries ?? [])
          if (e.MessageBody?.includes('"127.51.100.3"')) e.MessageBody += "\u0000";
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
    expect(await planRows()).toEqual(["127.51.100.3"]);
    expect((await receiveAll()).map((m) => m.body.target).sort()).toEqual([
      "127.51.100.1",
      "127.51.100.2",
      "127.51.100.4",
      "127.51.100.5",
    ]);
    const info = await doc.send(
      new GetCommand({ TableName: tables.addressInfo, Key: { Address: "127.51.100.3" } }),
    );
    expect(info.Item).toBeUndefined();
    // The next run queues it.
    expect(await initiateScans(deps())).toMatchObject({ queued: 1, failed: 0 });
    expect(await planRows()).toEqual([]);
  });

  it("keeps every plan row when the whole batch fails (queue gone)", async () => {
    await plan([
      ["127.0.113.1", NOW],
      ["127.0.113.2", NOW],
    ]);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    expect(await initiateScans(deps())).toMatchObject({ due: 2, queued: 0, failed: 2 });
    expect(await planRows()).toEqual(["127.0.113.1", "127.0.113.2"]);
  });

  it("leaves a row re-planned by a DNS ingest while it was being queued", async () => {
    await plan([["127.0.113.9", NOW - 5]]);
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        if ((args.input as { Entries?: unknown[] }).Entries) {
          await doc.send(
            new UpdateCommand({
              TableName: tables.scanPlan,
              Key: { Address: "127.0.113.9" },
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
      new GetCommand({ TableName: tables.scanPlan, Key: { Address: "127.0.113.9" } }),
    );
    expect(row.Item?.PlannedScanTime).toBe(NOW + 50_000);
  });

  it("logs and keeps rows that are not addresses instead of queueing them", async () => {
    await plan([
      ["not an address; rm -rf /", NOW],
      ["127.0.2.50", NOW],
    ]);
    expect(await initiateScans(deps())).toMatchObject({ due: 2, queued: 1, invalid: 1 });
    expect(await planRows()).toEqual(["not an address; rm -rf /"]);
  });
});

describe("scan initiator under real faults (fault proxy in front of dynalite and fauxqs)", () => {
  // Clients give up after two attempts, so a fault scripted twice is a failure the run must absorb.
  const ATTEMPTS = 2;
  let dynamoProxy: FaultProxy;
  let sqsProxy: FaultProxy;
  let faultyDynamo: DynamoDBClient;
  let faultySqs: SQSClient;
  beforeAll(async () => {
    dynamoProxy = await FaultProxy.start(emulatorEndpoints().dynamo);
    sqsProxy = await FaultProxy.start(emulatorEndpoints().aws);
    faultyDynamo = new DynamoDBClient({ ...dynamoClientConfig(dynamoProxy.url), maxAttempts: ATTEMPTS });
    faultySqs = new SQSClient({ ...awsClientConfig(sqsProxy.url), maxAttempts: ATTEMPTS });
  });
  afterEach(() => {
    dynamoProxy.clear();
    sqsProxy.clear();
  });
  afterAll(async () => {
    faultyDynamo.destroy();
    faultySqs.destroy();
    await dynamoProxy.close();
    await sqsProxy.close();
  });

  const throttled = (name: string) => ({
    kind: "status" as const,
    status: 400,
    headers: { "content-type": "application/x-amz-json-1.0" },
    body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${name}`, message: "Rate exceeded" }),
  });

  const faultyDeps = () => ({
    ...deps(),
    doc: DynamoDBDocumentClient.from(faultyDynamo),
    sqs: faultySqs,
  });

  it("one throttled address-info update and one refused batch abort nothing, and no scan is sent twice", async () => {
    const addresses = Array.from({ length: 25 }, (_, i) => `127.0.3.${i + 1}`);
    await plan(addresses.map((a) => [a, NOW - 30]));
    // The first address-info update is throttled on every attempt.
    dynamoProxy.script([
      {
        match: { header: { "x-amz-target": /UpdateItem$/ } },
        fault: throttled("ThrottlingException"),
        times: ATTEMPTS,
      },
    ]);
    // The second batch of ten is refused on every attempt.
    sqsProxy.script([
      {
        match: { header: { "x-amz-target": /SendMessageBatch$/ } },
        fault: {
          kind: "status",
          status: 500,
          body: '{"__type":"InternalError","message":"boom"}',
          headers: { "content-type": "application/x-amz-json-1.0" },
        },
        skip: 1,
        times: ATTEMPTS,
      },
    ]);
    const stats = await initiateScans(faultyDeps());
    expect(stats).toEqual({
      due: 25,
      queued: 15,
      failed: 10,
      invalid: 0,
      replanned: 0,
      undeleted: 0,
      unrecorded: 1,
    });
    expect(initiatorFailures(stats)).toEqual([
      "10 of 25 due scans could not be queued (they stay planned)",
      "1 queued scans have no LastPlannedScanQueued recorded",
    ]);
    expect(dynamoProxy.log.filter((l) => l.fault)).toHaveLength(ATTEMPTS);
    expect(sqsProxy.log.filter((l) => l.fault)).toHaveLength(ATTEMPTS);

    const first = (await receiveAll()).map((m) => m.body.target);
    expect(new Set(first).size).toBe(15);
    // Exactly the refused batch stays planned; every queued entry's plan row is gone, the throttled one's too.
    const left = await planRows();
    expect(left).toEqual(addresses.filter((a) => !first.includes(a)).sort());
    expect(left).toHaveLength(10);
    // Every queued entry except the throttled one has its queue time recorded.
    const info = (await doc.send(new ScanCommand({ TableName: tables.addressInfo }))).Items ?? [];
    expect(info.filter((i) => i.LastPlannedScanQueued === NOW)).toHaveLength(14);

    // The next cycle, without faults, sends exactly what is still planned: no scan twice, none lost.
    expect(await initiateScans(deps())).toMatchObject({ due: 10, queued: 10, failed: 0 });
    const second = (await receiveAll()).map((m) => m.body.target);
    expect(second.sort()).toEqual(left);
    expect(await planRows()).toEqual([]);
    expect([...first, ...second].sort()).toEqual([...addresses].sort());
  });

  it("reports a queued scan whose plan row could not be deleted, and carries on with the rest", async () => {
    const addresses = Array.from({ length: 4 }, (_, i) => `127.0.5.${i + 1}`);
    await plan(addresses.map((a) => [a, NOW - 30]));
    dynamoProxy.script([
      {
        match: { header: { "x-amz-target": /DeleteItem$/ } },
        fault: throttled("ProvisionedThroughputExceededException"),
        skip: 1,
        times: ATTEMPTS,
      },
    ]);
    const stats = await initiateScans(faultyDeps());
    expect(stats).toMatchObject({ due: 4, queued: 4, failed: 0, undeleted: 1, unrecorded: 0 });
    expect(initiatorFailures(stats)).toEqual([
      "1 queued scans kept their plan row and will be queued again next run",
    ]);
    expect(await planRows()).toHaveLength(1);
    expect((await receiveAll()).map((m) => m.body.target).sort()).toEqual(addresses);
  });

  it("keeps going when reading the plan fails part-way, and reports it", async () => {
    await plan([["127.0.4.1", NOW - 1]]);
    dynamoProxy.script([{ match: { header: { "x-amz-target": /\.Scan$/ } }, fault: { kind: "drop" } }]);
    const stats = await initiateScans({ ...deps(), doc: DynamoDBDocumentClient.from(faultyDynamo) });
    expect(stats).toMatchObject({ due: 0, queued: 0 });
    expect(stats.readError).toBeDefined();
    expect(await planRows()).toEqual(["127.0.4.1"]);
  });
});

describe("scan request and delay", () => {
  it("clamps the delay to 0…900 seconds", () => {
    expect(delaySeconds(NOW - 100, NOW)).toBe(0);
    expect(delaySeconds(NOW + 299.7, NOW)).toBe(299);
    expect(delaySeconds(NOW + 5000, NOW)).toBe(900);
  });
  it("gives the same root scan id to the same plan and a different one to another plan", () => {
    const a = scanRequestFor({ address: "127.0.2.1", plannedScanTime: NOW }, NOW);
    expect(a.lineage!.rootScanId).toBe(
      scanRequestFor({ address: "127.0.2.1", plannedScanTime: NOW }, NOW + 5).lineage!.rootScanId,
    );
    expect(a.lineage!.rootScanId).not.toBe(
      scanRequestFor({ address: "127.0.2.1", plannedScanTime: NOW + 1 }, NOW).lineage!.rootScanId,
    );
  });
});
