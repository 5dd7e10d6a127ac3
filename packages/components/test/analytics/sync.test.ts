import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { marshall } from "@aws-sdk/util-dynamodb";
import { Attr, DocumentCollection, keyHash, validate } from "@sec-an/contracts";
import { awsClientConfig, uniqueName } from "@sec-an/testing";
import type { DynamoDBRecord } from "aws-lambda";
import { syncRecords } from "../../src/analytics/sync-handler";
import { recordToCollection, syncConfigFromEnv, type SyncConfig } from "../../src/analytics/sync-logic";

const ARN =
  "arn:aws:dynamodb:us-east-1:123456789012:table/dev-sec-an-address-info/stream/2026-11-23T00:00:00.000";
let seq = 100;
/** A stream record shaped exactly as Lambda delivers it (NEW_AND_OLD_IMAGES). */
function streamRecord(
  eventName: "INSERT" | "MODIFY" | "REMOVE",
  keys: Record<string, unknown>,
  newItem?: Record<string, unknown>,
  oldItem?: Record<string, unknown>,
  at = 1_790_000_000,
): DynamoDBRecord {
  seq += 1;
  const m = (v: Record<string, unknown>) => marshall(v, { convertClassInstanceToMap: true }) as any;
  return {
    eventID: `ev${seq}`,
    eventName,
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: "us-east-1",
    eventSourceARN: ARN,
    dynamodb: {
      ApproximateCreationDateTime: at,
      Keys: m(keys),
      ...(newItem ? { NewImage: m(newItem) } : {}),
      ...(oldItem ? { OldImage: m(oldItem) } : {}),
      SequenceNumber: String(seq),
      SizeBytes: 100,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
  };
}

const cfg: SyncConfig = {
  task: "address_info",
  docType: "data",
  keyFields: ["Address"],
  diffColumn: "Hosts",
};

describe("DynamoDB → OpenSearch sync logic", () => {
  it("turns an item into a collection with hashed keys, ISO times and set diffs", () => {
    const oldItem = {
      Address: "127.0.0.1",
      Hosts: new Set(["a.example", "b.example"]),
      LastScanTime: 1_780_000_000,
    };
    const newItem = {
      Address: "127.0.0.1",
      Hosts: new Set(["b.example", "c.example"]),
      LastScanTime: 1_790_000_000,
      Count: 3,
    };
    const c = recordToCollection(streamRecord("MODIFY", { Address: "127.0.0.1" }, newItem, oldItem), cfg)!;
    expect(validate(DocumentCollection, c)).toBe(c);
    const parent = keyHash({ Address: "127.0.0.1" });
    expect(c.parentKey).toBe(parent);
    expect(c.docs.data).toEqual([
      {
        nonTemporalKey: parent,
        data: {
          Address: "127.0.0.1",
          Hosts: ["b.example", "c.example"],
          Hosts_added: ["c.example"],
          Hosts_removed: ["a.example"],
          LastScanTime: new Date(1_790_000_000 * 1000).toISOString(),
          Count: 3,
        },
      },
    ]);
    expect(c.scanEndTime).toBe(new Date(1_790_000_000 * 1000).toISOString());
    expect(c.history).toBe(false);
    expect(c.lineage.rawKey).toBe("dynamodb:dev-sec-an-address-info");
  });

  it("makes a REMOVE an empty collection (its snapshot document is cleaned up) and writes history with a temporal key", () => {
    const removed = recordToCollection(
      streamRecord("REMOVE", { Address: "127.0.0.2" }, undefined, { Address: "127.0.0.2" }),
      cfg,
    )!;
    expect(removed.docs).toEqual({ data: [] });
    expect(removed.parentKey).toBe(keyHash({ Address: "127.0.0.2" }));
    const withTemporal = recordToCollection(
      streamRecord("INSERT", { Address: "h" }, { Address: "h", PlanTime: 5 }),
      { ...cfg, diffColumn: undefined, temporalKeyField: "PlanTime" },
    )!;
    expect(withTemporal.history).toBe(true);
    expect(withTemporal.temporalKey).toBe(keyHash({ Address: "h", __temporal: 5 }));
  });

  it("refuses a record without its key attribute, and reads its configuration from the environment", () => {
    expect(() => recordToCollection(streamRecord("INSERT", { Other: "x" }, { Other: "x" }), cfg)).toThrow(
      /no key attribute Address/,
    );
    expect(
      syncConfigFromEnv({
        SEC_AN_SYNC_TASK: "t",
        SEC_AN_SYNC_DOC_TYPE: "data",
        SEC_AN_SYNC_KEY_FIELDS: "A, B",
      }),
    ).toEqual({
      task: "t",
      docType: "data",
      keyFields: ["A", "B"],
      temporalKeyField: undefined,
      diffColumn: undefined,
    });
    expect(() => syncConfigFromEnv({})).toThrow(/SEC_AN_SYNC_TASK/);
  });
});

describe("DynamoDB → OpenSearch sync handler (fauxqs)", () => {
  let sqs: SQSClient;
  let ingest: string;
  let dlq: string;
  beforeAll(async () => {
    sqs = new SQSClient(awsClientConfig());
    ingest = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("ingest") }))).QueueUrl!;
    dlq = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("sync-dlq") }))).QueueUrl!;
  });
  afterAll(() => sqs.destroy());
  const receive = async (url: string) => {
    const out: any[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"] }),
      );
      if (!r.Messages?.length) break;
      out.push(...r.Messages);
    }
    return out;
  };

  it("sends one collection per change in order; an unconvertible record goes to the DLQ with its reason", async () => {
    const records = Array.from({ length: 12 }, (_, i) =>
      streamRecord("INSERT", { Address: `10.1.0.${i}` }, { Address: `10.1.0.${i}` }),
    );
    const bad = streamRecord("INSERT", { Nope: 1 }, { Nope: 1 });
    records.splice(5, 0, bad);
    await expect(
      syncRecords(records, cfg, { sqs, ingestQueueUrl: ingest, deadLetterQueueUrl: dlq }),
    ).resolves.toEqual({ batchItemFailures: [] });
    const sent = await receive(ingest);
    expect(sent).toHaveLength(12);
    const bodies = sent.map((m) => validate(DocumentCollection, JSON.parse(m.Body)));
    expect(new Set(bodies.map((b) => b.parentKey)).size).toBe(12);
    expect(sent[0].MessageAttributes[Attr.task].StringValue).toBe("address_info");
    const dead = await receive(dlq);
    expect(dead).toHaveLength(1);
    expect(dead[0].MessageAttributes[Attr.errorMessage].StringValue).toMatch(/no key attribute Address/);
    expect(dead[0].MessageAttributes[Attr.errorCode].StringValue).toBe("missing-key");
    expect(dead[0].MessageAttributes[Attr.requestId].StringValue).toBe(bad.eventID);
    expect(JSON.parse(dead[0].Body).eventID).toBe(bad.eventID);
  });

  it("dead-letters an oversize item as valid JSON with its code, and keeps its siblings", async () => {
    const big = streamRecord(
      "INSERT",
      { Address: "127.0.0.9" },
      { Address: "127.0.0.9", Blob: "x".repeat(300_000) },
    );
    const ok = streamRecord("INSERT", { Address: "127.0.0.8" }, { Address: "127.0.0.8" });
    await expect(
      syncRecords([big, ok], cfg, { sqs, ingestQueueUrl: ingest, deadLetterQueueUrl: dlq }),
    ).resolves.toEqual({ batchItemFailures: [] });
    expect(await receive(ingest)).toHaveLength(1);
    const [dead] = await receive(dlq);
    expect(dead.MessageAttributes[Attr.errorCode].StringValue).toBe("too-large");
    // The whole record does not fit a message: a marked head of it, still valid JSON.
    expect(JSON.parse(dead.Body)).toMatchObject({ truncated: true });
  });

  it("retries from a record whose failure is not permanent, instead of dead-lettering it", async () => {
    const a = streamRecord("INSERT", { Address: "127.0.0.5" }, { Address: "127.0.0.5" });
    const b = streamRecord("INSERT", { Address: "127.0.0.6" }, { Address: "127.0.0.6" });
    // A record whose image cannot even be read: a bug or an SDK change, not bad input, so it is retried.
    (b.dynamodb as any).NewImage = { Address: { BOGUS: "1" } };
    const res = await syncRecords([a, b], cfg, { sqs, ingestQueueUrl: ingest, deadLetterQueueUrl: dlq });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: b.dynamodb!.SequenceNumber }]);
    expect(await receive(dlq)).toHaveLength(0);
    await receive(ingest);
  });

  it("reports the first unsent record when the ingest queue cannot be reached, so the shard retries from there", async () => {
    const records = [
      streamRecord("INSERT", { Address: "x" }, { Address: "x" }),
      streamRecord("INSERT", { Address: "y" }, { Address: "y" }),
    ];
    const res = await syncRecords(records, cfg, { sqs, ingestQueueUrl: `${ingest}-missing` });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: records[0].dynamodb!.SequenceNumber }]);
  });
});
