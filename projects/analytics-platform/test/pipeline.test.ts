import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
} from "@aws-sdk/client-sqs";
import { marshall } from "@aws-sdk/util-dynamodb";
import { syncRecords } from "@sec-an/components";
import { DocFields, keyHash, readAlias, type ParseFn } from "@sec-an/contracts";
import { SqsPublisher, putRawResult, reingest } from "@sec-an/runtime";
import { createTestBucket, uniqueName } from "@sec-an/testing";
import type { DynamoDBRecord } from "aws-lambda";
import { ingestBatch } from "../src/ingest";
import { useAnalyticsDouble } from "./double";
import { createIndices, sqsRecord } from "./helpers";

// The real producers (re-ingestion, DynamoDB sync) → a real queue (fauxqs) → the ingestor → OpenSearch.
const ctx = useAnalyticsDouble();
const { sqs, s3 } = ctx;
let queue: string;
let task: string;
beforeAll(async () => {
  queue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("ingest") }))).QueueUrl!;
  task = ctx.os.prefix;
  await createIndices(ctx.store, task, "ports", ["snapshot", "history"]);
  await createIndices(ctx.store, task, "data", ["snapshot"]);
});

/** Receive everything on the ingest queue and feed it to the ingestor in SQS-sized batches. */
async function pump(): Promise<number> {
  let n = 0;
  for (;;) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"] }),
    );
    const msgs: Message[] = r.Messages ?? [];
    if (!msgs.length) return n;
    const res = await ingestBatch(
      msgs.map((m) => ({ ...sqsRecord(m.Body!), messageId: m.MessageId! })),
      { store: ctx.store },
    );
    expect(res.batchItemFailures).toEqual([]);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue,
        Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    n += msgs.length;
  }
}
async function all(alias: string) {
  await ctx.store.refresh(alias);
  return (await ctx.store.search(alias, undefined, 1000))
    .map((d) => ({ id: d.id, version: d.version, end: d.source[DocFields.scanEndTime] }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

describe("re-ingestion through the ingestor", () => {
  it("gives identical indices when run twice", async () => {
    const bucket = await createTestBucket(s3, "raw");
    const parse: ParseFn = (raw, tools) => {
      const { hosts } = JSON.parse(raw.body.toString()) as { hosts: Record<string, number[]> };
      for (const [address, ports] of Object.entries(hosts)) {
        const ctx = tools.results({ address });
        for (const port of ports) {
          ctx.pushContext({ port });
          ctx.postResults("ports", { port });
          ctx.popContext();
        }
      }
    };
    const put = (scanId: string, end: string, hosts: Record<string, number[]>) =>
      putRawResult({
        bucket,
        task,
        scanId,
        request: {},
        s3,
        output: {
          body: JSON.stringify({ hosts }),
          extension: "json",
          startTime: new Date(end),
          endTime: new Date(end),
        },
      });
    await put("a", "2026-01-01T00:00:00Z", { "127.9.0.1": [22, 80, 443] });
    await put("b", "2026-01-02T00:00:00Z", { "127.9.0.1": [22, 443] }); // port 80 closed since
    const opts = {
      bucket,
      task,
      parse,
      parserVersion: "1",
      publisher: new SqsPublisher(queue, () => sqs),
      s3,
    };
    await reingest(opts);
    await pump();
    const snap1 = await all(readAlias(`${task}_ports_snapshot`));
    const hist1 = await all(readAlias(`${task}_ports_history`));
    await reingest(opts);
    await pump();
    expect(await all(readAlias(`${task}_ports_snapshot`))).toEqual(snap1);
    expect(await all(readAlias(`${task}_ports_history`))).toEqual(hist1);
    expect(snap1.map((d) => d.end)).toEqual(["2026-01-02T00:00:00.000Z", "2026-01-02T00:00:00.000Z"]);
    expect(hist1).toHaveLength(5);
  });
});

describe("DynamoDB sync through the ingestor", () => {
  const record = (
    eventName: "INSERT" | "MODIFY" | "REMOVE",
    address: string,
    at: number,
    item?: Record<string, unknown>,
  ): DynamoDBRecord => ({
    eventID: `${eventName}-${address}-${at}`,
    eventName,
    eventSourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
    dynamodb: {
      ApproximateCreationDateTime: at,
      Keys: marshall({ Address: address }) as any,
      ...(item ? { NewImage: marshall(item) as any } : {}),
      SequenceNumber: String(at),
    },
  });

  it("keeps the snapshot equal to the table: inserts, modifications and removals", async () => {
    const cfg = { task, docType: "data", keyFields: ["Address"] };
    const t0 = 1_790_000_000;
    await syncRecords(
      [
        record("INSERT", "h1", t0, { Address: "h1", LastScanTime: t0 }),
        record("INSERT", "h2", t0, { Address: "h2" }),
        record("MODIFY", "h1", t0 + 60, { Address: "h1", LastScanTime: t0 + 60 }),
      ],
      cfg,
      { sqs, ingestQueueUrl: queue },
    );
    await pump();
    const snap = readAlias(`${task}_data_snapshot`);
    let docs = await ctx.store.search(snap, undefined, 100);
    expect(docs.map((d) => d.id).sort()).toEqual(
      [keyHash({ Address: "h1" }), keyHash({ Address: "h2" })].sort(),
    );
    expect(docs.find((d) => d.source.Address === "h1")!.source.LastScanTime).toBe(
      new Date((t0 + 60) * 1000).toISOString(),
    );
    await syncRecords([record("REMOVE", "h2", t0 + 120)], cfg, { sqs, ingestQueueUrl: queue });
    await pump();
    await ctx.store.refresh(snap);
    docs = await ctx.store.search(snap, undefined, 100);
    expect(docs.map((d) => d.source.Address)).toEqual(["h1"]);
  });
});
