import { CreateQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import {
  Attr,
  DocFields,
  IngestFields,
  ScanTimeRules,
  indexBase,
  readAlias,
  writeAlias,
} from "@sec-an/contracts";
import { openSearchForTests, uniqueName } from "@sec-an/testing";
import { generation, ingestBatch, type IngestDeps } from "../src/ingest";
import { OpenSearchStore } from "../src/store/opensearch";
import type { DocumentStore } from "../src/store/types";
import { useAnalyticsDouble } from "./double";
import { createIngestIndices, scanCollection, snapshotOf, sqsRecord, type ScanSpec } from "./helpers";

// The current-state rules of docs/ingest-consistency.md, each checked against the OpenSearch double
// (or a real cluster with OPENSEARCH_URL) through the real ingestor.
const TYPES = ["ports", "cves", "ssl_cert"];
const T0 = Date.parse("2026-03-01T00:00:00Z");
const MIN = 60_000;

const ctx = useAnalyticsDouble({ attempts: 2, baseDelayMs: 1, maxDelayMs: 2 });
const { sqs } = ctx;
let dlqUrl: string;
let task: string;
beforeAll(async () => {
  dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("consistency-dlq") }))).QueueUrl!;
  task = ctx.os.prefix;
  await createIngestIndices(ctx.store, task, TYPES);
});

let hosts = 0;
const newHost = () => `10.1.${Math.floor(++hosts / 250)}.${hosts % 250}`;
const deps = (s: DocumentStore = ctx.store): IngestDeps => ({
  store: s,
  deadLetter: { sqs, queueUrl: dlqUrl },
});
const scan = (s: ScanSpec) => sqsRecord(scanCollection(task, s));
const ingest = async (specs: ScanSpec[], s: DocumentStore = ctx.store) => {
  const res = await ingestBatch(specs.map(scan), deps(s));
  expect(res.batchItemFailures).toEqual([]);
};
const snap = (host: string) => snapshotOf(ctx.store, task, host, TYPES);

describe("owned doc types (item 1)", () => {
  it("clears a type the rescan found nothing for: old CVEs and TLS documents do not stay current", async () => {
    const host = newHost();
    await ingest([
      { host, end: T0, docs: { ports: ["22", "443"], cves: ["CVE-1"], ssl_cert: ["c1"] }, docTypes: TYPES },
    ]);
    expect(await snap(host)).toEqual(["cves:CVE-1", "ports:22", "ports:443", "ssl_cert:c1"]);
    // Same ports, no CVEs, no TLS: the parser leaves the empty types out of docs, but declares them.
    await ingest([{ host, end: T0 + MIN, docs: { ports: ["22", "443"] }, docTypes: TYPES }]);
    expect(await snap(host)).toEqual(["ports:22", "ports:443"]);
    // Zero open ports: no documents at all.
    await ingest([{ host, end: T0 + 2 * MIN, docs: {}, docTypes: TYPES }]);
    expect(await snap(host)).toEqual([]);
  });

  it("a message without docTypes (published before the field) clears only the types it carries", async () => {
    const host = newHost();
    await ingest([{ host, end: T0, docs: { ports: ["22"], cves: ["CVE-1"] } }]);
    await ingest([{ host, end: T0 + MIN, docs: { ports: ["80"] } }]);
    expect(await snap(host)).toEqual(["cves:CVE-1", "ports:80"]);
  });
});

describe("future-dated scans (item 3)", () => {
  it("rejects an end time past now plus the tolerance to the DLQ with the reason, and accepts one within it", async () => {
    const now = Date.parse("2026-06-01T00:00:00Z");
    const host = newHost();
    const late = scan({
      host,
      end: Date.parse("2099-01-01T00:00:00Z"),
      docs: { ports: ["1"] },
      docTypes: TYPES,
    });
    const skewed = scan({ host, end: now + ScanTimeRules.futureToleranceMs - 1000, docs: { ports: ["2"] } });
    const res = await ingestBatch([late, skewed], { ...deps(), now: () => now });
    expect(res.batchItemFailures).toEqual([]);
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    const dead = (got.Messages ?? []).find((m) => m.Body === late.body);
    expect(dead?.MessageAttributes?.[Attr.errorCode]?.StringValue).toBe("future-scan-time");
    expect(dead?.MessageAttributes?.[Attr.errorMessage]?.StringValue).toMatch(
      /2099-01-01.*after the ingestor's clock/,
    );
    expect(await snap(host)).toEqual(["ports:2"]);
  });
});

describe("re-ingestion of a scan (item 4)", () => {
  it("a later parse run replaces the scan's documents whatever their keys; its parts never delete each other", async () => {
    const host = newHost();
    await ingest([{ host, end: T0, docs: { ports: ["22", "80"] }, docTypes: TYPES, tag: "v1" }]);
    // Parser v2 keys ports differently; its output came in two parts.
    const run2 = { host, end: T0, parsedAt: T0 + 30 * 24 * 60 * MIN, docTypes: TYPES, tag: "v2" };
    await ingest([{ ...run2, docs: { ports: ["tcp/22"] }, part: { index: 0, count: 2 } }]);
    await ingest([{ ...run2, docs: { ports: ["tcp/80"] }, part: { index: 1, count: 2 } }]);
    expect(await snap(host)).toEqual(["ports:tcp/22#v2", "ports:tcp/80#v2"]);
    // A late redelivery of the first parse run changes nothing.
    await ingest([{ host, end: T0, docs: { ports: ["22", "80"] }, docTypes: TYPES, tag: "v1" }]);
    expect(await snap(host)).toEqual(["ports:tcp/22#v2", "ports:tcp/80#v2"]);
  });

  it("orders generations by scan end first, then parse run", () => {
    expect(generation(T0 + 1)).toBeGreaterThan(generation(T0, T0 + 100 * 365 * 24 * 60 * MIN));
    expect(generation(T0, T0 + 10_000)).toBeGreaterThan(generation(T0, T0 + 5_000));
    expect(generation(T0, T0 - 5_000)).toBe(generation(T0));
    expect(Number.isSafeInteger(generation(Date.parse("2109-01-01T00:00:00Z"), Date.now()))).toBe(true);
  });

  it("stores the generation on each document", async () => {
    const host = newHost();
    await ingest([{ host, end: T0, docs: { ports: ["1"] } }]);
    const alias = readAlias(indexBase(task, "ports", "snapshot"));
    await ctx.store.refresh(alias);
    const [d] = (await ctx.store.search(alias, undefined, 10_000)).filter((x) => x.source.key === "1");
    expect(d.source[IngestFields.generation]).toBe(generation(T0));
    if (ctx.os.double) expect(d.version).toBe(generation(T0));
  });
});

/**
 * A ctx.store that stops before its `pauseAt`-th call until released, so a test can run another ingestor
 * between any two steps of this one: a controlled interleaving, not a race left to luck.
 */
function pausable(inner: DocumentStore, pauseAt: number) {
  let calls = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let reached = false;
  let onReach!: () => void;
  const paused = new Promise<void>((r) => (onReach = r));
  const gate = async () => {
    if (calls++ === pauseAt) {
      reached = true;
      onReach();
      await released;
    }
  };
  const s: DocumentStore = {
    writeAliases: async () => (await gate(), inner.writeAliases()),
    bulk: async (ops, o) => (await gate(), inner.bulk(ops, o)),
    deleteByQuery: async (i, f) => (await gate(), inner.deleteByQuery(i, f)),
    countMany: async (q) => (await gate(), inner.countMany!(q)),
    search: (i, f, n) => inner.search(i, f, n),
    count: (i, f) => inner.count(i, f),
    refresh: (i) => inner.refresh(i),
  };
  return { store: s, paused, release, reached: () => reached };
}

/**
 * Run `first` paused before each of its ctx.store calls in turn, run `second` to completion there, then let
 * `first` finish; the snapshot must be what the two give in sequence.
 */
async function everyInterleaving(
  first: (host: string) => ScanSpec[],
  second: (host: string) => ScanSpec[],
  expected: string[],
): Promise<number> {
  for (let k = 0; ; k++) {
    const host = newHost();
    const p = pausable(ctx.store, k);
    const a = ingestBatch(first(host).map(scan), deps(p.store));
    await Promise.race([p.paused, a]);
    if (!p.reached()) {
      expect((await a).batchItemFailures).toEqual([]);
      return k; // `first` made fewer than k + 1 calls: every point was tried
    }
    await ingest(second(host));
    p.release();
    expect((await a).batchItemFailures).toEqual([]);
    expect({ pausedBefore: k, snapshot: await snap(host) }).toEqual({ pausedBefore: k, snapshot: expected });
  }
}

describe("two ingestors at once (item 2)", () => {
  const old = (host: string): ScanSpec[] => [
    { host, end: T0, docs: { ports: ["22", "8080"], cves: ["CVE-1"] }, docTypes: TYPES },
  ];

  it("an older scan paused at any step never re-creates what a newer scan with no documents removed", async () => {
    const points = await everyInterleaving(
      old,
      (host) => [{ host, end: T0 + MIN, docs: {}, docTypes: TYPES }],
      [],
    );
    expect(points).toBeGreaterThanOrEqual(4); // alias lookup, marker, writes, re-check, clean-ups
  });

  it("an older scan paused at any step never outlives a newer scan's documents", async () => {
    await everyInterleaving(
      old,
      (host) => [{ host, end: T0 + MIN, docs: { ports: ["22"] }, docTypes: TYPES }],
      ["ports:22"],
    );
  });

  it("a newer scan paused at any step still wins over an older one that runs meanwhile", async () => {
    await everyInterleaving(
      (host) => [{ host, end: T0 + MIN, docs: { ports: ["443"] }, docTypes: TYPES }],
      old,
      ["ports:443"],
    );
  });

  it("two parts of one collection in two ingestors keep each other's documents", async () => {
    const part = (index: number, key: string) => (host: string) => [
      { host, end: T0, docs: { ports: [key] }, docTypes: TYPES, part: { index, count: 2 } },
    ];
    await everyInterleaving(part(0, "22"), part(1, "80"), ["ports:22", "ports:80"]);
  });

  it("a later parse run paused at any step still replaces an earlier one that runs meanwhile", async () => {
    await everyInterleaving(
      (host) => [
        { host, end: T0, parsedAt: T0 + 60 * MIN, docs: { ports: ["tcp/22"] }, docTypes: TYPES, tag: "v2" },
      ],
      (host) => [{ host, end: T0, docs: { ports: ["22"] }, docTypes: TYPES, tag: "v1" }],
      ["ports:tcp/22#v2"],
    );
  });
});

describe("without the marker index", () => {
  it("still stops a late older scan in sequence (documents of a newer generation guard the parent)", async () => {
    const bare = await openSearchForTests();
    try {
      const s = OpenSearchStore.unsigned(bare.url, { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 });
      const { createIndices } = await import("./helpers");
      for (const t of TYPES) await createIndices(s, task, t, ["snapshot", "history"]);
      const host = newHost();
      const run = async (x: ScanSpec) =>
        expect((await ingestBatch([scan(x)], { store: s })).batchItemFailures).toEqual([]);
      await run({ host, end: T0 + MIN, docs: { ports: ["22"] }, docTypes: TYPES });
      await run({ host, end: T0, docs: { ports: ["22", "8080"] }, docTypes: TYPES });
      expect(await snapshotOf(s, task, host, TYPES)).toEqual(["ports:22"]);
    } finally {
      await bare.close();
    }
  });
});

describe("a redelivery after a failed re-check", () => {
  /** `inner`, paused before call `pauseAt` until released, and failing call `failAt` (a connection reset). */
  function scripted(inner: DocumentStore, pauseAt: number, failAt: number) {
    let calls = 0;
    const fail = async () => {
      if (calls++ === failAt) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    };
    const failing: DocumentStore = {
      search: (i, f, n) => inner.search(i, f, n),
      count: (i, f) => inner.count(i, f),
      refresh: (i) => inner.refresh(i),
      writeAliases: async () => (await fail(), inner.writeAliases()),
      bulk: async (ops, o) => (await fail(), inner.bulk(ops, o)),
      deleteByQuery: async (i, f) => (await fail(), inner.deleteByQuery(i, f)),
      countMany: async (q) => (await fail(), inner.countMany!(q)),
    };
    return pausable(failing, pauseAt);
  }

  // Calls of one collection: 0 alias lookup, 1 marker claim, 2 document write, 3 marker re-check.
  it.each([
    ["its document write", 2],
    ["its re-check", 3],
  ])(
    "an older scan paused before %s while a newer one completes, whose re-check then fails, leaves only the newer scan's documents once redelivered",
    async (_, pauseAt) => {
      const host = newHost();
      const older = scan({
        host,
        end: T0,
        docs: { ports: ["22", "8080"], cves: ["CVE-1"] },
        docTypes: TYPES,
      });
      const p = scripted(ctx.store, pauseAt, 3);
      const a = ingestBatch([older], deps(p.store));
      await Promise.race([p.paused, a]);
      expect(p.reached()).toBe(true);
      await ingest([{ host, end: T0 + MIN, docs: { ports: ["22"] }, docTypes: TYPES }]);
      p.release();
      expect((await a).batchItemFailures).toEqual([{ itemIdentifier: older.messageId }]);
      // SQS redelivers it: its claim now conflicts with the newer scan's marker.
      expect((await ingestBatch([older], deps())).batchItemFailures).toEqual([]);
      expect(await snap(host)).toEqual(["ports:22"]);
    },
  );
});

describe("upgrading from scan-end-time versions", () => {
  it("a rescan clears the documents written before generations existed (no __generation field)", async () => {
    const host = newHost();
    const old = scanCollection(task, { host, end: T0, docs: { ports: ["22", "8080"], cves: ["CVE-1"] } });
    // As the ingestor before generations wrote them: version = scan end (ms), no generation field.
    const ops = Object.entries(old.docs).flatMap(([type, docs]) =>
      docs.map((d) => {
        const doc = {
          ...d.data,
          [DocFields.parentKey]: old.parentKey,
          [DocFields.nonTemporalKey]: d.nonTemporalKey,
          [DocFields.scanEndTime]: old.scanEndTime,
        };
        const index = writeAlias(indexBase(task, type, "snapshot"));
        return { action: "index" as const, index, id: d.nonTemporalKey, doc, externalVersion: T0 };
      }),
    );
    expect((await ctx.store.bulk(ops)).every((r) => r.ok)).toBe(true);
    expect(await snap(host)).toEqual(["cves:CVE-1", "ports:22", "ports:8080"]);
    await ingest([{ host, end: T0 + 24 * 60 * MIN, docs: { ports: ["22"] }, docTypes: TYPES }]);
    expect(await snap(host)).toEqual(["ports:22"]);
  });
});
