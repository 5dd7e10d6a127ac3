/**
 * Analytics ingest benchmark: `npx tsx bench/analytics.ts`.
 * 1. Bulk-body build throughput: 100,000 collection documents → bulk ops (plan) → NDJSON, against the
 *    200,000 docs/s target.
 * 2. Documents per bulk request and end-to-end ingest rate through the ingestor into the OpenSearch
 *    test double (in-memory; measures our code, not a cluster), SQS batches of 10 messages, against
 *    the 10,000 docs/s target, with a CPU profile of where the time goes.
 * Figures are wall-clock on a shared machine: the load average is printed beside them.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import {
  indexBase,
  keyHash,
  versionedIndexName,
  withDocFieldMappings,
  type DocumentCollection,
} from "@sec-an/contracts";
import { OpenSearchDouble } from "@sec-an/testing";
import type { SQSRecord } from "aws-lambda";
import { applyIndex } from "../projects/analytics-platform/src/admin";
import { ingestBatch, planMessage } from "../projects/analytics-platform/src/ingest";
import { OpenSearchStore, bulkBody } from "../projects/analytics-platform/src/store/opensearch";
import { profileSummary } from "./lib/profile";

const BUILD_TARGET = 200_000;
const INGEST_TARGET = 10_000;
const verdict = (rate: number, target: number, why: string) =>
  rate >= target ? `target ≥ ${target}: met` : `target ≥ ${target}: MISSED (${why})`;

const TOTAL = 100_000;
const DOCS_PER_COLLECTION = 50; // e.g. one host with 50 open ports
const TASK = "bench";

function collection(i: number): DocumentCollection {
  const parent = { address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
  const end = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const scanId = `scan-${i}`;
  return {
    kind: "collection",
    task: TASK,
    parentKey: keyHash(parent),
    temporalKey: keyHash({ ...parent, end }),
    scanId,
    scanStartTime: end,
    scanEndTime: end,
    lineage: { scanId, task: TASK, rawKey: `${TASK}/2026/01/01/${scanId}.xml`, parserVersion: "1" },
    docs: {
      ports: Array.from({ length: DOCS_PER_COLLECTION }, (_, p) => ({
        nonTemporalKey: keyHash({ ...parent, port: p + 1 }),
        data: {
          address: parent.address,
          port: p + 1,
          protocol: "tcp",
          state: "open",
          service: "http",
          product: "nginx",
          version: "1.25.3",
        },
      })),
    },
  };
}

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

async function main() {
  const collections = Array.from({ length: TOTAL / DOCS_PER_COLLECTION }, (_, i) => collection(i));
  const known = new Set([`${TASK}_ports_snapshot.write`, `${TASK}_ports_history.write`]);

  // 1. Plan + NDJSON build.
  let t = performance.now();
  const ops = collections.flatMap((c) => planMessage(c, known).ops);
  const planMs = performance.now() - t;
  t = performance.now();
  const body = bulkBody(ops);
  const buildMs = performance.now() - t;
  console.log(
    `bulk body build: ${TOTAL} documents → ${ops.length} bulk ops, ${mb(Buffer.byteLength(body))} MiB NDJSON`,
  );
  const buildRate = Math.round(TOTAL / ((planMs + buildMs) / 1000));
  console.log(
    `  plan ${planMs.toFixed(0)} ms (${Math.round(TOTAL / (planMs / 1000))} docs/s), NDJSON ${buildMs.toFixed(0)} ms (${Math.round(TOTAL / (buildMs / 1000))} docs/s)`,
  );
  console.log(
    `  bulk body build (plan + NDJSON): ${buildRate} docs/s   ${verdict(buildRate, BUILD_TARGET, "see the plan and NDJSON split above")}   load average ${loadavg()[0].toFixed(1)}`,
  );

  // 2. End to end through the ingestor into the double.
  const E2E = 20_000; // the double is in-memory JavaScript: keep its share of the run short
  const double = new OpenSearchDouble();
  const url = await double.start();
  try {
    const store = OpenSearchStore.unsigned(url);
    for (const f of ["snapshot", "history"] as const) {
      const base = indexBase(TASK, "ports", f);
      const mappings = withDocFieldMappings({ properties: { port: { type: "integer" } } });
      await applyIndex(
        {
          kind: "index",
          base,
          index: versionedIndexName(base, { mappings, settings: {} }),
          mappings,
          settings: {},
          forceDestroy: true,
        },
        store,
      );
    }
    const records = collections.slice(0, E2E / DOCS_PER_COLLECTION).map(
      (c, i) =>
        ({
          messageId: `m${i}`,
          body: JSON.stringify(c),
          messageAttributes: {},
          eventSourceARN: "arn:aws:sqs:us-east-1:1:q",
        }) as unknown as SQSRecord,
    );
    const before = double.requests.filter((r) => r.path === "/_bulk").length;
    const ingestAll = async (from: number, to: number) => {
      for (let i = from; i < to; i += 10) {
        const res = await ingestBatch(records.slice(i, i + 10), { store });
        if (res.batchItemFailures.length)
          throw new Error(`failures: ${JSON.stringify(res.batchItemFailures)}`);
      }
    };
    t = performance.now();
    await ingestAll(0, records.length);
    const ms = performance.now() - t;
    const bulks = double.requests.filter((r) => r.path === "/_bulk").length - before;
    console.log(
      `ingest (batches of 10 messages × ${DOCS_PER_COLLECTION} docs): ${bulks} bulk requests for ${E2E} documents = ${E2E / bulks} documents (${(2 * E2E) / bulks} ops) per request`,
    );
    const rate = Math.round(E2E / (ms / 1000));
    console.log(
      `  ${ms.toFixed(0)} ms end to end into the in-memory double: ${rate} docs/s   ${verdict(rate, INGEST_TARGET, "see the profile below")}   load average ${loadavg()[0].toFixed(1)}`,
    );
    // The same records again (a redelivery: every write is a same-generation overwrite), profiled.
    const prof = await profileSummary(() => ingestAll(0, records.length), 12);
    console.log(`  where an ingest's time goes (self time, ingestor and double in one process):\n${prof}`);
    const snap = [...double.indices.entries()].find(([n]) => n.startsWith(`${TASK}_ports_snapshot`))![1].docs
      .size;
    console.log(`  snapshot documents stored: ${snap}`);
  } finally {
    await double.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
