import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Attr, DEAD_LETTER_OBJECT_SUFFIX, readAlias } from "@sec-an/contracts";
import {
  FaultProxy,
  awsClientConfig,
  createTestBucket,
  emulatorEndpoints,
  openSearchForTests,
  s3ClientConfig,
  uniqueName,
  type Fault,
  type FaultRule,
  type OpenSearchUnderTest,
} from "@sec-an/testing";
import type { S3Event } from "aws-lambda";
import { ingestBatch } from "../src/ingest";
import { DEAD_LETTER_INDEX, reportDeadLetters } from "../src/reporter";
import { OpenSearchStore } from "../src/store/opensearch";
import { driveQueue, drainQueue, queueDepth, sendAll } from "./drive";
import { createIndices, createIngestIndices, sqsRecord } from "./helpers";
import { SCENARIO_TYPES, scenarioMessages, storeView } from "./scenario";

/**
 * The ingestor and the dead-letter reporter against the OpenSearch double behind the fault proxy (and
 * fauxqs for SQS/S3, also behind a proxy for the DLQ sends), through a matrix of faults. After each
 * run: every input message is in the store or in the DLQ with a code and reason, nothing is lost, and
 * the store equals what a sequential replay of the same messages without faults gives.
 */
let os: OpenSearchUnderTest;
let osProxy: FaultProxy;
let sqsProxy: FaultProxy;
let direct: OpenSearchStore;
let sqs: SQSClient;
let dlqSqs: SQSClient;
let s3: S3Client;
let reference: string[];
let n = 0;

beforeAll(async () => {
  os = await openSearchForTests();
  osProxy = await FaultProxy.start(os.url);
  sqsProxy = await FaultProxy.start(emulatorEndpoints().aws);
  direct = OpenSearchStore.unsigned(os.url);
  sqs = new SQSClient(awsClientConfig());
  // The ingestor's DLQ client goes through its own proxy, without SDK retries: faults reach our code.
  dlqSqs = new SQSClient({ ...awsClientConfig(sqsProxy.url), maxAttempts: 1 });
  s3 = new S3Client(s3ClientConfig());
  // The reference: the same messages, once each in order, no faults.
  const task = `${os.prefix}ref`;
  await createIngestIndices(direct, task, SCENARIO_TYPES);
  const { good } = scenarioMessages(task);
  for (const body of good)
    expect((await ingestBatch([sqsRecord(body)], { store: direct })).batchItemFailures).toEqual([]);
  reference = await storeView(direct, task);
  await createIndices(direct, "dead_letter", "data", [""]);
});
afterAll(async () => {
  sqs.destroy();
  dlqSqs.destroy();
  s3.destroy();
  await osProxy.close();
  await sqsProxy.close();
  await os.close();
});
afterEach(() => {
  osProxy.clear();
  sqsProxy.clear();
});

async function queue(prefix: string) {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(prefix) }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] })))
    .Attributes!.QueueArn!;
  return { url, arn };
}

/** Run the scenario through the ingestor with `rules` scripted on the OpenSearch and SQS proxies. */
async function ingestUnderFaults(osRules: FaultRule[], sqsRules: FaultRule[] = []) {
  n += 1;
  const task = `${os.prefix}m${n}`;
  await createIngestIndices(direct, task, SCENARIO_TYPES);
  const input = await queue("matrix-in");
  const dlq = await queue("matrix-dlq");
  const { good, bad } = scenarioMessages(task);
  await sendAll(sqs, input.url, [...good, ...bad]);
  osProxy.script(osRules);
  sqsProxy.script(sqsRules);
  const logged = { os: osProxy.log.length, sqs: sqsProxy.log.length };
  // One store per run: its alias cache starts empty, as in a fresh Lambda container.
  const store = OpenSearchStore.unsigned(osProxy.url, { attempts: 3, baseDelayMs: 1, maxDelayMs: 10 });
  await driveQueue(sqs, input, (records) => {
    const deadline = Date.now() + 1500; // a short function timeout keeps hung requests short
    return ingestBatch(records, {
      store: store.withDeadline(deadline),
      deadLetter: { sqs: dlqSqs, queueUrl: dlq.url },
      deadline,
      refreshKnown: () => store.invalidateAliases(),
    });
  });
  osProxy.clear();
  sqsProxy.clear();
  // The faults did happen.
  if (osRules.length) expect(osProxy.log.slice(logged.os).filter((l) => l.fault).length).toBeGreaterThan(0);
  if (sqsRules.length)
    expect(sqsProxy.log.slice(logged.sqs).filter((l) => l.fault).length).toBeGreaterThan(0);
  // Nothing in flight, nothing lost.
  expect(await queueDepth(sqs, input.url)).toBe(0);
  const dead = await drainQueue(sqs, dlq.url);
  expect(dead.map((m) => m.Body).sort()).toEqual([...bad].sort());
  for (const m of dead) {
    expect(m.MessageAttributes?.[Attr.errorCode]?.StringValue).toMatch(
      /^(malformed|future-scan-time|oversize)$/,
    );
    expect(m.MessageAttributes?.[Attr.errorMessage]?.StringValue?.length).toBeGreaterThan(10);
  }
  expect(await storeView(direct, task)).toEqual(reference);
}

const error = (status: number) =>
  JSON.stringify({ error: { type: "injected", reason: `injected ${status}` }, status });
const FAULTS: Array<[string, Fault, number]> = [
  ...[401, 403, 404, 429, 500, 503].map((s): [string, Fault, number] => [
    `${s}`,
    { kind: "status", status: s, body: error(s) },
    2,
  ]),
  ["timeout", { kind: "timeout" }, 1],
  ["dropped connection", { kind: "drop" }, 2],
  ["short response", { kind: "short", bytes: 7 }, 2],
  ["delay", { kind: "delay", ms: 200 }, 3],
];
const TARGETS: Array<[string, RegExp]> = [
  ["alias lookup", /^\/_alias\//],
  ["bulk", /^\/_bulk/],
  ["delete-by-query", /\/_delete_by_query/],
];

/** Bulk answers whose items all failed with `status` (OpenSearch rejecting for load, or a node error). */
const itemsFail = (status: number): Fault => ({
  kind: "rewrite",
  fn: (r) => {
    const b = JSON.parse(r.body);
    const items = b.items.map((it: Record<string, Record<string, unknown>>) => {
      const [op, v] = Object.entries(it)[0];
      return {
        [op]: { ...v, status, error: { type: "es_rejected_execution_exception", reason: "queue full" } },
      };
    });
    return { status: 200, body: JSON.stringify({ ...b, errors: true, items }) };
  },
});

describe("ingestor fault matrix", () => {
  for (const [target, path] of TARGETS)
    for (const [name, fault, times] of FAULTS)
      it(`${target}: ${name}`, async () => {
        await ingestUnderFaults([{ match: { path }, fault, times }]);
      });

  it("bulk: every item rejected for load (429), three times", async () => {
    await ingestUnderFaults([{ match: { path: /^\/_bulk/ }, fault: itemsFail(429), times: 3 }]);
  });

  it("bulk: every item failed on the node (500), then the markers' re-check dropped", async () => {
    await ingestUnderFaults([
      { match: { path: /^\/_bulk/ }, fault: itemsFail(500), times: 2 },
      { match: { path: /^\/_bulk/ }, skip: 1, fault: { kind: "drop" }, times: 1 },
    ]);
  });

  it("bulk: answers with fewer items than operations", async () => {
    const fewer: Fault = {
      kind: "rewrite",
      fn: (r) => {
        const b = JSON.parse(r.body);
        return { status: 200, body: JSON.stringify({ ...b, items: b.items.slice(0, -1) }) };
      },
    };
    await ingestUnderFaults([{ match: { path: /^\/_bulk/ }, fault: fewer, times: 4 }]);
  });

  it("everything slow and flaky at once", async () => {
    await ingestUnderFaults([
      { match: { path: /^\/_alias\// }, fault: { kind: "status", status: 403, body: error(403) }, times: 1 },
      { match: { path: /^\/_bulk/ }, fault: { kind: "delay", ms: 100 }, skip: 1, times: 3 },
      { match: { path: /^\/_bulk/ }, fault: { kind: "status", status: 503, body: error(503) }, times: 2 },
      { match: { path: /_delete_by_query/ }, fault: { kind: "drop" }, skip: 2, times: 2 },
    ]);
  });

  it.each<[string, Fault]>([
    ["500", { kind: "status", status: 500, body: '{"__type":"InternalError"}' }],
    ["dropped connection", { kind: "drop" }],
    ["timeout", { kind: "timeout" }],
  ])("DLQ send: %s (the record stays in its queue and is dead-lettered on a later try)", async (_, fault) => {
    await ingestUnderFaults([], [{ match: { header: { "x-amz-target": /SendMessage$/ } }, fault, times: 2 }]);
  });
});

describe("dead-letter reporter fault matrix", () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await createTestBucket(s3, "matrix-dl");
  });

  /** Report 3 dead-letter objects as Lambda's async invoke would: retried while it throws (up to 8 tries). */
  async function reportUnderFaults(rules: FaultRule[]) {
    n += 1;
    const keys = [1, 2, 3].map((i) => `ingest/m${n}-${i}${DEAD_LETTER_OBJECT_SUFFIX}`);
    for (const Key of keys)
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key, Body: `not gzip ${Key}`, Metadata: { reason: "r" } }),
      );
    const event = {
      Records: keys.map((key) => ({ s3: { bucket: { name: bucket }, object: { key } } })),
    } as unknown as S3Event;
    osProxy.script(rules);
    const logged = osProxy.log.length;
    const store = OpenSearchStore.unsigned(osProxy.url, { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 });
    const alias = readAlias(DEAD_LETTER_INDEX);
    const stored = async () => {
      await direct.refresh(alias);
      const ids = new Set((await direct.search(alias, undefined, 10_000)).map((d) => d.id));
      return keys.filter((k) => ids.has(`${bucket}/${k}`));
    };
    let ok = false;
    for (let attempt = 0; attempt < 8 && !ok; attempt++) {
      try {
        const r = await reportDeadLetters(event, { s3, store: store.withDeadline(Date.now() + 1500) });
        expect(r.indexed).toBe(3);
        // Success is only reported when every dead letter is stored.
        expect(await stored()).toEqual(keys);
        ok = true;
      } catch (e) {
        if ((e as Error).message?.includes("expect(")) throw e;
      }
    }
    expect(ok).toBe(true);
    expect(osProxy.log.slice(logged).filter((l) => l.fault).length).toBeGreaterThan(0);
  }

  for (const [name, fault, times] of FAULTS)
    it(`bulk: ${name}`, async () => {
      await reportUnderFaults([{ match: { path: /^\/_bulk/ }, fault, times }]);
    });

  it("bulk: every item rejected (429), three times", async () => {
    await reportUnderFaults([{ match: { path: /^\/_bulk/ }, fault: itemsFail(429), times: 3 }]);
  });

  it("bulk: answers with fewer items than operations", async () => {
    await reportUnderFaults([
      {
        match: { path: /^\/_bulk/ },
        times: 3,
        fault: {
          kind: "rewrite",
          fn: (r) => {
            const b = JSON.parse(r.body);
            return { status: 200, body: JSON.stringify({ ...b, items: b.items.slice(1) }) };
          },
        },
      },
    ]);
  });
});
