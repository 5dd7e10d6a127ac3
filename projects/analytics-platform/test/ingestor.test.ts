import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Attr, DocFields, keyHash, readAlias } from "@sec-an/contracts";
import { awsClientConfig, openSearchForTests, uniqueName, type OpenSearchUnderTest } from "@sec-an/testing";
import { ingestBatch, planMessage } from "../src/ingest";
import { OpenSearchStore } from "../src/store/opensearch";
import { createIndices, createMarkerIndex, portsCollection, sqsRecord } from "./helpers";

let os: OpenSearchUnderTest;
let store: OpenSearchStore;
let sqs: SQSClient;
let dlqUrl: string;
let task: string;
beforeAll(async () => {
  os = await openSearchForTests();
  store = OpenSearchStore.unsigned(os.url, { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 });
  sqs = new SQSClient(awsClientConfig());
  dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("ingest-dlq") }))).QueueUrl!;
  task = os.prefix;
  await createIndices(store, task, "ports", ["snapshot", "history"], {
    properties: { port: { type: "integer" } },
  });
  await createIndices(store, task, "hosts", ["snapshot"]);
  await createMarkerIndex(store);
  await createIndices(store, "dead_letter", `${task}data`, [""], { properties: { sent: { type: "date" } } });
});
afterAll(async () => {
  sqs.destroy();
  await os.close();
});

const deps = () => ({
  store,
  deadLetter: { sqs, queueUrl: dlqUrl },
  refreshKnown: () => store.invalidateAliases(),
});
async function docs(alias: string, host?: string) {
  await store.refresh(alias);
  const filter = host ? { term: { [DocFields.parentKey]: keyHash({ address: host }) } } : undefined;
  return (await store.search(alias, filter, 1000)).sort(
    (a, b) => (a.source.port as number) - (b.source.port as number),
  );
}
async function drainDlq() {
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

describe("ingestor", () => {
  it("writes snapshot and history with the collection fields, in one bulk request per batch for documents", async () => {
    const before = os.double?.requests.filter((r) => r.path === "/_bulk").length ?? 0;
    const records = [
      sqsRecord(portsCollection(task, "127.0.0.1", [22, 80], "2026-01-01T00:00:00Z")),
      // SNS envelope (subscription without raw delivery) is unwrapped.
      sqsRecord({
        Type: "Notification",
        Message: JSON.stringify(portsCollection(task, "127.0.0.2", [443], "2026-01-01T00:00:00Z")),
      }),
    ];
    await expect(ingestBatch(records, deps())).resolves.toEqual({ batchItemFailures: [] });
    // Markers before and after the documents: three bulk requests however many records.
    if (os.double) expect(os.double.requests.filter((r) => r.path === "/_bulk").length - before).toBe(3);
    const snap = await docs(readAlias(`${task}_ports_snapshot`), "127.0.0.1");
    expect(snap.map((d) => d.source.port)).toEqual([22, 80]);
    const c = portsCollection(task, "127.0.0.1", [22, 80], "2026-01-01T00:00:00Z");
    expect(snap[0].id).toBe(c.docs.ports[0].nonTemporalKey);
    expect(snap[0].source).toMatchObject({
      [DocFields.parentKey]: c.parentKey,
      [DocFields.nonTemporalKey]: c.docs.ports[0].nonTemporalKey,
      [DocFields.temporalKey]: c.temporalKey,
      [DocFields.scanEndTime]: "2026-01-01T00:00:00Z",
      [DocFields.task]: task,
      [DocFields.rawKey]: `${task}/raw.xml`,
    });
    const hist = await docs(readAlias(`${task}_ports_history`), "127.0.0.1");
    expect(hist.map((d) => d.id)).toEqual(c.docs.ports.map((d) => `${d.nonTemporalKey}@${c.temporalKey}`));
  });

  it("removes stale children only from older scans; late old scans and split parts never delete or overwrite fresh documents", async () => {
    const host = "127.0.1.1";
    const snap = readAlias(`${task}_ports_snapshot`);
    await ingestBatch(
      [sqsRecord(portsCollection(task, host, [22, 80, 8080], "2026-02-01T00:00:00Z"))],
      deps(),
    );
    // Newer scan in two parts: 8080 closed. Part 2 arriving after part 1 must not delete part 1's docs.
    const newer = portsCollection(task, host, [22, 80], "2026-02-02T00:00:00Z");
    const part1 = { ...newer, docs: { ports: [newer.docs.ports[0]] }, part: { index: 0, count: 2 } };
    const part2 = { ...newer, docs: { ports: [newer.docs.ports[1]] }, part: { index: 1, count: 2 } };
    await ingestBatch([sqsRecord(part1)], deps());
    await ingestBatch([sqsRecord(part2)], deps());
    let now = await docs(snap, host);
    expect(now.map((d) => [d.source.port, d.source[DocFields.scanEndTime]])).toEqual([
      [22, "2026-02-02T00:00:00Z"],
      [80, "2026-02-02T00:00:00Z"],
    ]);
    // The first scan redelivered late: no overwrite, no deletion, and 8080 (closed since) is not
    // re-created; history still gets its (idempotent) copy.
    await expect(
      ingestBatch([sqsRecord(portsCollection(task, host, [22, 80, 8080], "2026-02-01T00:00:00Z"))], deps()),
    ).resolves.toEqual({ batchItemFailures: [] });
    now = await docs(snap, host);
    expect(now.map((d) => [d.source.port, d.source[DocFields.scanEndTime]])).toEqual([
      [22, "2026-02-02T00:00:00Z"],
      [80, "2026-02-02T00:00:00Z"],
    ]);
    // Re-ingesting the newest scan is idempotent.
    await ingestBatch([sqsRecord(newer)], deps());
    now = await docs(snap, host);
    expect(now.map((d) => d.source.port)).toEqual([22, 80]);
    const hist = await docs(readAlias(`${task}_ports_history`), host);
    expect(hist).toHaveLength(5);
  });

  it("honours history: false", async () => {
    const c = portsCollection(task, "127.0.2.1", [1], "2026-03-01T00:00:00Z", { history: false });
    c.docs = { hosts: [{ nonTemporalKey: keyHash({ h: 1 }), data: { name: "a" } }] };
    await expect(ingestBatch([sqsRecord(c)], deps())).resolves.toEqual({ batchItemFailures: [] });
    expect(await docs(readAlias(`${task}_hosts_snapshot`))).toHaveLength(1);
  });

  it("indexes a single document by its deterministic id", async () => {
    const msg = {
      kind: "document",
      index: `dead_letter_${task}data`,
      id: "q/1",
      doc: { sent: "2026-01-01T00:00:00Z", q: "a" },
    };
    await ingestBatch([sqsRecord(msg), sqsRecord(msg)], deps());
    const got = await docs(readAlias(`dead_letter_${task}data`));
    expect(got.map((d) => d.id)).toEqual(["q/1"]);
  });

  it("sends bad input to the DLQ with its reason and never fails its siblings", async () => {
    const good = sqsRecord(portsCollection(task, "127.0.3.1", [25], "2026-04-01T00:00:00Z"));
    const notJson = sqsRecord("{not json");
    const invalid = sqsRecord({ kind: "collection", task });
    const unknown = sqsRecord(portsCollection("nosuchtask", "127.0.3.2", [1], "2026-04-01T00:00:00Z"));
    const big = portsCollection(task, "127.0.3.3", [1], "2026-04-01T00:00:00Z");
    big.docs.ports[0].data.blob = "x".repeat(210 * 1024);
    const oversize = sqsRecord(big);
    const badDate = sqsRecord(
      { kind: "document", index: `dead_letter_${task}data`, id: "bad", doc: { sent: "yesterday" } },
      { Task: "t" },
    );
    const res = await ingestBatch([good, notJson, invalid, unknown, oversize, badDate], deps());
    expect(res).toEqual({ batchItemFailures: [] });
    expect((await docs(readAlias(`${task}_ports_snapshot`), "127.0.3.1")).map((d) => d.source.port)).toEqual([
      25,
    ]);
    const dead = [...(await drainDlq()), ...(await drainDlq())];
    const byId = new Map(dead.map((m) => [m.MessageAttributes![Attr.requestId].StringValue!, m]));
    const reason = (r: { messageId: string }) =>
      byId.get(r.messageId)?.MessageAttributes?.[Attr.errorMessage]?.StringValue;
    const code = (r: { messageId: string }) =>
      byId.get(r.messageId)?.MessageAttributes?.[Attr.errorCode]?.StringValue;
    expect(byId.size).toBe(5);
    expect([code(notJson), reason(notJson)]).toEqual(["malformed", expect.stringMatching(/not valid JSON/)]);
    expect([code(invalid), reason(invalid)]).toEqual([
      "malformed",
      expect.stringMatching(/ingest message is invalid/),
    ]);
    expect([code(unknown), reason(unknown)]).toEqual([
      "unknown-index",
      expect.stringMatching(/nosuchtask_ports_snapshot\.write is not managed/),
    ]);
    expect([code(oversize), reason(oversize)]).toEqual([
      "oversize",
      expect.stringMatching(/larger than the 204800-byte document limit/),
    ]);
    expect([code(badDate), reason(badDate)]).toEqual([
      "rejected",
      expect.stringMatching(/mapper_parsing_exception/),
    ]);
    expect(byId.get(badDate.messageId)!.MessageAttributes!.Task.StringValue).toBe("t");
    expect(byId.get(notJson.messageId)!.Body).toBe("{not json");
  });

  it("retries throttling with back-off, and reports the batch's records for retry when OpenSearch stays down", async () => {
    if (!os.double) return; // fault injection needs the double
    const a = sqsRecord(portsCollection(task, "127.0.4.1", [1], "2026-05-01T00:00:00Z"));
    os.double.failNext(/^\/_bulk$/, 429, 2);
    await expect(ingestBatch([a], deps())).resolves.toEqual({ batchItemFailures: [] });
    const b = sqsRecord(portsCollection(task, "127.0.4.2", [1], "2026-05-01T00:00:00Z"));
    const bad = sqsRecord("nope");
    os.double.failNext(/^\/_bulk$/, 503, 3);
    const res = await ingestBatch([b, bad], deps());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: b.messageId }]);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    expect(Number(attrs.Attributes!.ApproximateNumberOfMessages)).toBe(1);
    await drainDlq();
  });

  it("retries only the bulk items OpenSearch rejected for load, and fails only their records when that persists", async () => {
    if (!os.double) return;
    const a = sqsRecord(portsCollection(task, "127.0.5.1", [1, 2], "2026-06-01T00:00:00Z"));
    const b = sqsRecord(portsCollection(task, "127.0.5.2", [3], "2026-06-01T00:00:00Z"));
    const before = os.double.requests.filter((r) => r.path === "/_bulk").length;
    os.double.rejectNextBulkItems(0); // the markers
    os.double.rejectNextBulkItems(2); // a's first port, history and snapshot
    await expect(ingestBatch([a, b], deps())).resolves.toEqual({ batchItemFailures: [] });
    // markers, documents, the rejected items again, markers re-checked
    expect(os.double.requests.filter((r) => r.path === "/_bulk").length - before).toBe(4);
    expect((await docs(readAlias(`${task}_ports_snapshot`), "127.0.5.1")).map((d) => d.source.port)).toEqual([
      1, 2,
    ]);
    // Rejected on every attempt (3): only the record owning those items is retried by SQS.
    const c = sqsRecord(portsCollection(task, "127.0.5.3", [4], "2026-06-01T00:00:00Z"));
    const e = sqsRecord(portsCollection(task, "127.0.5.4", [5], "2026-06-01T00:00:00Z"));
    os.double.rejectNextBulkItems(0);
    os.double.rejectNextBulkItems(2, 3); // c's two items, on each of the 3 attempts
    await expect(ingestBatch([c, e], deps())).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: c.messageId }],
    });
    expect((await docs(readAlias(`${task}_ports_snapshot`), "127.0.5.4")).map((d) => d.source.port)).toEqual([
      5,
    ]);
  });

  it("without a DLQ, rejected records are reported as failures (redrive takes them)", async () => {
    const res = await ingestBatch([sqsRecord("{")], { store });
    expect(res.batchItemFailures).toHaveLength(1);
  });

  it("looks up only the write aliases of its index patterns (the ingest role's), never the dead letters'", async () => {
    const scoped = OpenSearchStore.unsigned(os.url, { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, [
      `${task}_*`,
      "ingest_marker_*",
    ]);
    const names = [...(await scoped.writeAliases())];
    expect(names).toEqual(
      expect.arrayContaining([`${task}_ports_snapshot.write`, "ingest_marker_data.write"]),
    );
    expect(names.filter((n) => !n.startsWith(`${task}_`) && !n.startsWith("ingest_marker_"))).toEqual([]);
    // Every alias is there without patterns: the dead letters' index exists.
    expect([...(await store.writeAliases())].some((n) => n.startsWith("dead_letter_"))).toBe(true);
  });

  it("plans nothing it cannot name", () => {
    expect(() => planMessage(portsCollection(task, "h", [1], "2026-01-01T00:00:00Z"), new Set())).toThrow(
      /not managed/,
    );
  });
});
