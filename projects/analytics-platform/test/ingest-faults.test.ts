import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Attr } from "@sec-an/contracts";
import { logger } from "@sec-an/runtime";
import {
  FaultProxy,
  awsClientConfig,
  type Fault,
  openSearchForTests,
  uniqueName,
  type OpenSearchUnderTest,
} from "@sec-an/testing";
import type { Context, SQSEvent } from "aws-lambda";
import { handler, invocationDeadline } from "../src/handlers/ingestor";
import { ingestBatch } from "../src/ingest";
import { OpenSearchStore } from "../src/store/opensearch";
import { setStoreOverride } from "../src/store/resolve";
import { createIndices, createIngestIndices, scanCollection, snapshotOf, sqsRecord } from "./helpers";

// The "nothing lost" defects, reproduced through the fault proxy in front of the OpenSearch double.
const TYPES = ["ports"];
const T0 = Date.parse("2026-04-01T00:00:00Z");

let os: OpenSearchUnderTest;
let proxy: FaultProxy;
let direct: OpenSearchStore;
let sqs: SQSClient;
let dlqUrl: string;
let task: string;
beforeAll(async () => {
  os = await openSearchForTests();
  proxy = await FaultProxy.start(os.url);
  direct = OpenSearchStore.unsigned(os.url);
  sqs = new SQSClient(awsClientConfig());
  dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("ingest-faults-dlq") }))).QueueUrl!;
  task = os.prefix;
  await createIngestIndices(direct, task, TYPES);
});
afterAll(async () => {
  setStoreOverride(undefined);
  sqs.destroy();
  await proxy.close();
  await os.close();
});
beforeEach(() => proxy.clear());

let hosts = 0;
const host = () => `10.2.0.${++hosts}`;
const record = (h: string, ports: string[]) =>
  sqsRecord(scanCollection(task, { host: h, end: T0, docs: { ports }, docTypes: TYPES }));
/** A store through the proxy with quick retries, and a fresh alias cache. */
const viaProxy = (attempts = 3) =>
  OpenSearchStore.unsigned(proxy.url, { attempts, baseDelayMs: 1, maxDelayMs: 5 });
const deps = (store: OpenSearchStore) => ({ store, deadLetter: { sqs, queueUrl: dlqUrl } });
async function dlqCount(): Promise<number> {
  let n = 0;
  for (;;) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    if (!got.Messages?.length) return n;
    n += got.Messages.length;
  }
}

describe("alias lookup (item 5)", () => {
  it.each([401, 403, 404, 500])(
    "a %i on GET /_alias/*.write is retried, never cached as 'no indices', never dead-letters",
    async (status) => {
      const store = viaProxy();
      const h = host();
      proxy.script([
        {
          match: { path: /^\/_alias\// },
          // 5xx are retried by the store itself (3 attempts); 4xx come back at once.
          times: status >= 500 ? 3 : 1,
          fault: { kind: "status", status, body: '{"error":"x"}' },
        },
      ]);
      const r = record(h, ["22"]);
      expect((await ingestBatch([r], deps(store))).batchItemFailures).toEqual([
        { itemIdentifier: r.messageId },
      ]);
      expect(await dlqCount()).toBe(0);
      // The next batch looks again (nothing was cached) and succeeds.
      expect((await ingestBatch([r], deps(store))).batchItemFailures).toEqual([]);
      expect(await snapshotOf(direct, task, h, TYPES)).toEqual(["ports:22"]);
    },
  );
});

describe("bulk answers (item 6)", () => {
  it("a bulk answer with fewer items than operations is retried, and reported when it persists", async () => {
    const dropItems = {
      kind: "rewrite" as const,
      fn: (res: { status: number; body: string }) => {
        const b = JSON.parse(res.body);
        return { status: res.status, body: JSON.stringify({ ...b, items: b.items.slice(0, 1) }) };
      },
    };
    const h = host();
    const r = record(h, ["22", "80", "443"]);
    // Once: the store sends the request again and gets a whole answer.
    proxy.script([{ match: { path: /^\/_bulk/, body: /"_id":"[0-9a-f]{64}@/ }, times: 1, fault: dropItems }]);
    expect((await ingestBatch([r], deps(viaProxy()))).batchItemFailures).toEqual([]);
    expect(await snapshotOf(direct, task, h, TYPES)).toEqual(["ports:22", "ports:443", "ports:80"]);
    // Every time: the record is left for retry, not acknowledged.
    const h2 = host();
    const r2 = record(h2, ["22", "80"]);
    proxy.script([{ match: { path: /^\/_bulk/, body: /"_id":"[0-9a-f]{64}@/ }, fault: dropItems }]);
    expect((await ingestBatch([r2], deps(viaProxy()))).batchItemFailures).toEqual([
      { itemIdentifier: r2.messageId },
    ]);
    expect(await dlqCount()).toBe(0);
  });
});

describe("last attempt", () => {
  it("a record failing transiently on its last attempt goes to the DLQ as retries-exhausted with the error; before that it is retried", async () => {
    const h = host();
    const attempt = (n: number) => {
      const r = record(h, ["22"]);
      r.attributes.ApproximateReceiveCount = String(n);
      return r;
    };
    const down = {
      match: { path: /^\/_bulk/ },
      fault: { kind: "status" as const, status: 503, body: '{"error":"x"}' },
    };
    proxy.script([{ ...down, times: 1 }]);
    const early = attempt(4);
    expect(
      (await ingestBatch([early], { ...deps(viaProxy(1)), maxReceiveCount: 5 })).batchItemFailures,
    ).toEqual([{ itemIdentifier: early.messageId }]);
    expect(await dlqCount()).toBe(0);
    proxy.script([{ ...down, times: 1 }]);
    const last = attempt(5);
    expect(
      (await ingestBatch([last], { ...deps(viaProxy(1)), maxReceiveCount: 5 })).batchItemFailures,
    ).toEqual([]);
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    const dead = (got.Messages ?? []).find(
      (m) => m.MessageAttributes?.[Attr.requestId]?.StringValue === last.messageId,
    );
    expect(dead?.MessageAttributes?.[Attr.errorCode]?.StringValue).toBe("retries-exhausted");
    expect(dead?.MessageAttributes?.[Attr.errorMessage]?.StringValue).toMatch(/503/);
    expect(dead?.Body).toBe(last.body);
  });
});

describe("invocation deadline (item 7)", () => {
  it("derives the deadline from the remaining time, keeping a margin", () => {
    expect(invocationDeadline({ getRemainingTimeInMillis: () => 60_000 }, 1000)).toBe(1000 + 57_000);
    expect(invocationDeadline({ getRemainingTimeInMillis: () => 2000 }, 0)).toBe(1500);
    expect(invocationDeadline(undefined)).toBeUndefined();
  });

  it("answers before the function's timeout when OpenSearch hangs, reporting the batch for retry", async () => {
    const h = host();
    const r = record(h, ["22"]);
    setStoreOverride(OpenSearchStore.unsigned(proxy.url)); // default policy: 5 attempts × 30 s requests
    proxy.script([{ match: { path: /^\/_bulk/ }, fault: { kind: "timeout" } }]);
    const context = { getRemainingTimeInMillis: () => 2500 } as Context;
    const t0 = Date.now();
    const res = await handler({ Records: [r] } as SQSEvent, context);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: r.messageId }]);
    setStoreOverride(undefined);
  });
});

describe("hostile bodies (item 8)", () => {
  it("a body nested deeply enough to overflow the stack is dead-lettered alone; its siblings are ingested", async () => {
    const h = host();
    const good = record(h, ["22"]);
    const c = scanCollection(task, { host: host(), end: T0, docs: { ports: ["1"] }, docTypes: TYPES });
    const depth = 20_000;
    const nested = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    const body = JSON.stringify(c).replace('"key":"1"', `"key":"1","deep":${nested}`);
    expect(body.length).toBeGreaterThan(depth * 6);
    const deep = sqsRecord(body);
    expect((await ingestBatch([deep, good], deps(direct))).batchItemFailures).toEqual([]);
    expect(await snapshotOf(direct, task, h, TYPES)).toEqual(["ports:22"]);
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    const dead = got.Messages?.find(
      (m) => m.MessageAttributes?.[Attr.requestId]?.StringValue === deep.messageId,
    );
    expect(dead?.MessageAttributes?.[Attr.errorCode]?.StringValue).toBe("unprocessable");
    expect(dead?.MessageAttributes?.[Attr.errorMessage]?.StringValue).toMatch(/RangeError/);
    expect(dead?.Body).toBe(body);
  });
});

describe("error logs (item 17)", () => {
  it("logs the error's name, message and status, never the bulk body", async () => {
    const spy = jest.spyOn(logger, "error");
    try {
      const secret = "banner-" + "z".repeat(50_000);
      const c = scanCollection(task, { host: host(), end: T0, docs: { ports: ["22"] }, docTypes: TYPES });
      c.docs.ports[0].data.banner = secret;
      proxy.script([{ match: { path: /^\/_bulk/ }, fault: { kind: "drop" } }]);
      await ingestBatch([sqsRecord(c)], deps(viaProxy(2)));
      proxy.script([
        {
          match: { path: /^\/_bulk/ },
          fault: {
            kind: "status",
            status: 500,
            body: JSON.stringify({ error: { type: "boom", reason: secret } }),
          },
        },
      ]);
      await ingestBatch([sqsRecord(c)], deps(viaProxy(2)));
      expect(spy).toHaveBeenCalled();
      for (const call of spy.mock.calls) {
        const line = JSON.stringify(call);
        // OpenSearch's own reason is kept, bounded; the request body never is.
        expect(line).not.toMatch(/z{400}/);
        expect(line.length).toBeLessThan(2000);
      }
      const logged = spy.mock.calls
        .map((c) => (c[1] as { error?: Record<string, unknown> })?.error)
        .filter(Boolean);
      expect(logged.some((e) => e!.status === 500 && e!.name === "OpenSearchError")).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("visibility on a real cluster", () => {
  it("document writes wait for the next refresh (a later clean-up must see them); marker writes do not", async () => {
    const before = proxy.log.length;
    expect((await ingestBatch([record(host(), ["22"])], deps(viaProxy()))).batchItemFailures).toEqual([]);
    const bulks = proxy.log.slice(before).filter((l) => l.path.startsWith("/_bulk"));
    expect(bulks.map((l) => l.path)).toEqual(["/_bulk", "/_bulk?refresh=wait_for", "/_bulk"]);
  });
});

describe("late-replay guard without the marker index (_msearch)", () => {
  it.each<[string, Fault]>([
    ["403", { kind: "status", status: 403, body: '{"error":"x"}' }],
    ["500", { kind: "status", status: 500, body: '{"error":"x"}' }],
    ["dropped connection", { kind: "drop" }],
    ["short response", { kind: "short", bytes: 5 }],
  ])("a %s on _msearch fails only the guarded records, for retry, and loses nothing", async (_, fault) => {
    const bare = await openSearchForTests();
    const p = await FaultProxy.start(bare.url);
    try {
      const admin = OpenSearchStore.unsigned(bare.url);
      await createIndices(admin, task, "ports", ["snapshot", "history"]);
      const doc = sqsRecord({ kind: "document", index: `${task}_ports_history`, id: "x", doc: { key: "x" } });
      const h = host();
      const r = record(h, ["22"]);
      p.script([{ match: { path: /^\/_msearch/ }, fault, times: 3 }]);
      const store = OpenSearchStore.unsigned(p.url, { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 });
      const res = await ingestBatch([r, doc], deps(store));
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: r.messageId }]);
      expect(p.log.filter((l) => l.fault).length).toBeGreaterThan(0);
      p.clear();
      expect((await ingestBatch([r], deps(store))).batchItemFailures).toEqual([]);
      expect(await snapshotOf(admin, task, h, TYPES)).toEqual(["ports:22"]);
      expect(await dlqCount()).toBe(0);
    } finally {
      await p.close();
      await bare.close();
    }
  });
});
