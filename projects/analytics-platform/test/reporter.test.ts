import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { readAlias } from "@sec-an/contracts";
import { recordDeadLetter } from "@sec-an/runtime";
import { createTestBucket, createTestQueue, toSqsRecord, uniqueName, type TestQueue } from "@sec-an/testing";
import type { S3Event } from "aws-lambda";
import { ingestBatch } from "../src/ingest";
import { DEAD_LETTER_INDEX, reportDeadLetters } from "../src/reporter";
import { useAnalyticsDouble } from "./double";
import { createIndices, sqsRecord } from "./helpers";

const ctx = useAnalyticsDouble({ attempts: 2, baseDelayMs: 1, maxDelayMs: 2 });
const { sqs, s3 } = ctx;
let bucket: string;
let ingestDlq: TestQueue;
beforeAll(async () => {
  bucket = await createTestBucket(s3, "dead-letters");
  ingestDlq = await createTestQueue(sqs, "analytics-ingest-dlq");
  await createIndices(ctx.store, "dead_letter", "data", [""], {
    properties: { sentTime: { type: "date" }, queueName: { type: "keyword" } },
  });
});

const s3Event = (key: string): S3Event => ({
  Records: [
    {
      eventName: "ObjectCreated:Put",
      s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%2F/g, "/") } },
    } as unknown as S3Event["Records"][number],
  ],
});

describe("dead-letter reporter", () => {
  it("takes a poison ingest message to a terminal state: DLQ → recorder → bucket → dead_letter_data, and nothing re-enters a queue", async () => {
    const poison = sqsRecord("{ this is not json");
    await ingestBatch([poison], { store: ctx.store, deadLetter: { sqs, queueUrl: ingestDlq.url } });
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: ingestDlq.url,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["SentTimestamp"],
      }),
    );
    expect(got.Messages).toHaveLength(1);
    // The real recorder logic files it under the DLQ's name.
    const record = await recordDeadLetter(toSqsRecord(got.Messages![0], ingestDlq.arn), bucket, s3);
    expect(record.deadLetterKey.startsWith(`${ingestDlq.name}/`)).toBe(true);
    const before = ctx.os.double?.requests.length ?? 0;
    await expect(reportDeadLetters(s3Event(record.deadLetterKey), { s3, store: ctx.store })).resolves.toEqual(
      {
        indexed: 1,
        skipped: 0,
      },
    );
    // The reporter wrote straight to OpenSearch (one bulk) and sent nothing to any queue.
    if (ctx.os.double) expect(ctx.os.double.requests.slice(before).map((r) => r.path)).toEqual(["/_bulk"]);
    await ctx.store.refresh(readAlias(DEAD_LETTER_INDEX));
    const docs = await ctx.store.search(readAlias(DEAD_LETTER_INDEX), {
      term: { queueName: ingestDlq.name },
    });
    expect(docs).toHaveLength(1);
    expect(docs[0].id).toBe(`${bucket}/${record.deadLetterKey}`);
    expect(docs[0].source).toMatchObject({
      queueName: ingestDlq.name,
      errorCode: "malformed",
      reason: expect.stringMatching(/not valid JSON/),
      bucket,
    });
    expect(docs[0].source.attributes).toBeUndefined();
    // Reporting the same object again (S3 delivers at least once) overwrites the same document.
    await reportDeadLetters(s3Event(record.deadLetterKey), { s3, store: ctx.store });
    await ctx.store.refresh(readAlias(DEAD_LETTER_INDEX));
    expect(await ctx.store.count(readAlias(DEAD_LETTER_INDEX), { term: { queueName: ingestDlq.name } })).toBe(
      1,
    );
    const left = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: ingestDlq.url,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    expect(left.Attributes!.ApproximateNumberOfMessages).toBe("0");
  });

  it("still reports an unreadable object, from its key and metadata", async () => {
    const queue = uniqueName("some-queue");
    const key = `${queue}/2026/01/02/odd.json.gz`;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: "not gzip",
        Metadata: { "queue-name": queue, "sent-time": "2026-01-02T03:04:05.000Z", reason: "boom" },
      }),
    );
    await reportDeadLetters(s3Event(key), { s3, store: ctx.store });
    await ctx.store.refresh(readAlias(DEAD_LETTER_INDEX));
    const [doc] = await ctx.store.search(readAlias(DEAD_LETTER_INDEX), { term: { queueName: queue } });
    expect(doc.source).toMatchObject({
      sentTime: "2026-01-02T03:04:05.000Z",
      reason: "boom",
      reportError: expect.stringMatching(/unreadable/),
    });
  });

  it("skips objects that are not dead letters and throws when OpenSearch is down (Lambda's retries, then the failure destination)", async () => {
    await expect(reportDeadLetters(s3Event("other/readme.txt"), { s3, store: ctx.store })).resolves.toEqual({
      indexed: 0,
      skipped: 1,
    });
    const key = "q2/2026/01/02/x.json.gz";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }));
    if (!ctx.os.double) return; // fault injection needs the double
    ctx.os.double.failNext(/^\/_bulk$/, 503, 2);
    await expect(reportDeadLetters(s3Event(key), { s3, store: ctx.store })).rejects.toThrow(/503/);
  });
});
