/**
 * Ingest soak: `npx tsx bench/soak.ts` (or `npm run bench -- soak`).
 * 10,000 scan results (document collections: 1,000 hosts × 10 scans, sent in random order, 1% hostile)
 * are sent at 200 a second through fauxqs (SQS) → the real ingestor Lambda handler (two concurrent
 * consumers, 3 s per invocation) → the OpenSearch double behind the fault proxy, with faults injected into ~15% of
 * invocations. Prints messages in, stored, dead-lettered, lost (must be 0), whether every host's
 * snapshot equals its newest scan, and the p50/p99 end-to-end latency (send → acknowledged or
 * dead-lettered). "Stored" is read from the store: a scan result counts when every one of its documents
 * is in history under its scan (each scan has a `data` document, as an nmap host does, so an empty scan
 * leaves a trace too); "dead-lettered" from the DLQ (with a reason); "lost" is every other message.
 * The double is in memory: the figures measure our code and the emulators, not a cluster.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Env, IngestMarkerIndex, OPENSEARCH_URL_ENV } from "@sec-an/contracts";
import { FaultProxy, OpenSearchDouble, type Fault, type FaultRule } from "@sec-an/testing";
import type { Context, SQSEvent } from "aws-lambda";
import { performance } from "node:perf_hooks";
import { createIndices, scanCollection } from "../projects/analytics-platform/test/helpers";
import { drainQueue, lambdaRecord, queueDepth } from "../projects/analytics-platform/test/drive";
import { OpenSearchStore } from "../projects/analytics-platform/src/store/opensearch";

const HOSTS = 1000;
const SCANS_PER_HOST = 10;
const HOSTILE_EVERY = 100; // 1%
const FAULT_RATE = 0.15;
const INVOCATION_MS = 3000;
const CONSUMERS = 2;
/** Messages sent per second. */
const SEND_RATE = 200;
const TASK = "soak";
const TYPES = ["data", "ports", "cves"];
const T0 = Date.UTC(2026, 0, 1);

/** mulberry32: a seeded generator, so a run can be repeated. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20261127);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];

const json503 = JSON.stringify({ error: { type: "injected", reason: "injected" }, status: 503 });
const FAULTS: Array<[weight: number, rule: () => FaultRule]> = [
  [
    3,
    () => ({
      match: { path: /^\/_bulk/ },
      fault: { kind: "status", status: pick([429, 500, 503]), body: json503 },
    }),
  ],
  [2, () => ({ match: { path: /^\/_bulk/ }, fault: { kind: "drop" } })],
  [2, () => ({ match: { path: /^\/_bulk/ }, fault: { kind: "short", bytes: 10 } })],
  [2, () => ({ match: { path: /_delete_by_query/ }, fault: { kind: "status", status: 503, body: json503 } })],
  [1, () => ({ match: { path: /_delete_by_query/ }, fault: { kind: "drop" } })],
  [2, () => ({ match: { path: /^\/_bulk/ }, fault: { kind: "delay", ms: 200 } })],
  [1, () => ({ match: { path: /^\/_bulk/ }, fault: itemsRejected })],
  [0.3, () => ({ match: { path: /^\/_bulk/ }, fault: { kind: "timeout" } })],
];
const itemsRejected: Fault = {
  kind: "rewrite",
  fn: (r) => {
    const b = JSON.parse(r.body);
    const items = (b.items ?? []).map((it: Record<string, Record<string, unknown>>) => {
      const [op, v] = Object.entries(it)[0];
      return {
        [op]: { ...v, status: 429, error: { type: "es_rejected_execution_exception", reason: "full" } },
      };
    });
    return { status: 200, body: JSON.stringify({ ...b, errors: true, items }) };
  },
};
function randomFault(): FaultRule {
  const total = FAULTS.reduce((s, [w]) => s + w, 0);
  let x = random() * total;
  for (const [w, rule] of FAULTS) if ((x -= w) < 0) return { ...rule(), times: 1 };
  return { ...FAULTS[0][1](), times: 1 };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

async function main() {
  // The emulators the tests use (plain ESM, no type declarations).
  const emulatorsModule: string = "../packages/testing/emulators.mjs";
  const { startEmulators } = (await import(emulatorsModule)) as {
    startEmulators(): Promise<{ awsEndpoint: string; stop(): Promise<void> }>;
  };
  const emulators = await startEmulators();
  const double = new OpenSearchDouble();
  const osUrl = await double.start();
  const proxy = await FaultProxy.start(osUrl);
  try {
    // The handler's clients: the SDK's endpoint override, as in a local run.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: emulators.awsEndpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      [OPENSEARCH_URL_ENV]: proxy.url,
      POWERTOOLS_LOG_LEVEL: "CRITICAL",
    });
    const sqs = new SQSClient({
      endpoint: emulators.awsEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "soak-ingest" }))).QueueUrl!;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "soak-ingest-dlq" }))).QueueUrl!;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))
    ).Attributes!.QueueArn!;
    process.env[Env.deadLetterQueueUrl] = dlqUrl;
    const admin = OpenSearchStore.unsigned(osUrl);
    for (const t of TYPES) await createIndices(admin, TASK, t, ["snapshot", "history"]);
    await createIndices(admin, IngestMarkerIndex.task, IngestMarkerIndex.docType, [""]);
    const { handler } = await import("../projects/analytics-platform/src/handlers/ingestor");

    // 1,000 hosts × 10 scans, random documents; 1% replaced by hostile input; random order.
    const expected = new Map<string, string[]>();
    const bodies: Array<{ body: string; bad: boolean; history?: string[] }> = [];
    for (let h = 0; h < HOSTS; h++) {
      const host = `10.8.${h >> 8}.${h & 255}`;
      let newest = -1;
      for (let s = 0; s < SCANS_PER_HOST; s++) {
        const ports = ["22", "80", "443", "8080", "3389"].filter(() => random() < 0.5);
        const cves = ["CVE-1", "CVE-2"].filter(() => random() < 0.3);
        const i = bodies.length;
        if (i % HOSTILE_EVERY === HOSTILE_EVERY - 1) {
          const hostile = i % (2 * HOSTILE_EVERY) === HOSTILE_EVERY - 1;
          const future = scanCollection(TASK, {
            host,
            end: Date.UTC(2099, 0, 1) + i,
            docs: { ports },
            docTypes: TYPES,
          });
          bodies.push({
            body: hostile ? `{"kind":"collection","n":${i}` : JSON.stringify(future),
            bad: true,
          });
          continue;
        }
        const end = T0 + s * 60_000;
        const c = scanCollection(TASK, { host, end, docs: { data: ["host"], ports, cves }, docTypes: TYPES });
        // Where its documents land in history: `{task}_{type}_history`, id `{key}@{temporalKey}`.
        const history = Object.entries(c.docs).flatMap(([t, ds]) =>
          ds.map((d) => `${t} ${d.nonTemporalKey}@${c.temporalKey}`),
        );
        bodies.push({ body: JSON.stringify(c), bad: false, history });
        if (end > newest) {
          newest = end;
          expected.set(
            host,
            ["data:host", ...ports.map((k) => `ports:${k}`), ...cves.map((k) => `cves:${k}`)].sort(),
          );
        }
      }
    }
    for (let i = bodies.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [bodies[i], bodies[j]] = [bodies[j], bodies[i]];
    }

    const sentAt = new Map<string, number>(); // message id → send time
    const latencies: number[] = [];
    const started = performance.now();
    let sending = true;
    const send = (async () => {
      const { SendMessageBatchCommand } = await import("@aws-sdk/client-sqs");
      for (let i = 0; i < bodies.length; i += 10) {
        // Paced below the consumers' rate, so latency measures the path rather than a backlog.
        const due = started + (i / SEND_RATE) * 1000;
        if (performance.now() < due) await new Promise((r) => setTimeout(r, due - performance.now()));
        const batch = bodies.slice(i, i + 10);
        const t = performance.now();
        const r = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((b, k) => ({ Id: `e${k}`, MessageBody: b.body })),
          }),
        );
        for (const s of r.Successful ?? []) sentAt.set(s.MessageId!, t);
        if (r.Failed?.length) throw new Error(`send failed: ${JSON.stringify(r.Failed)}`);
      }
      sending = false;
    })();

    let invocations = 0;
    let faulted = 0;
    let acked = 0;
    const consume = async () => {
      for (;;) {
        const got = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
        );
        const msgs = got.Messages ?? [];
        if (!msgs.length) {
          if (!sending && (await queueDepth(sqs, queueUrl)) === 0) return;
          continue;
        }
        if (random() < FAULT_RATE) {
          proxy.script([randomFault()]);
          faulted += 1;
        }
        invocations += 1;
        const t0 = Date.now();
        const context = { getRemainingTimeInMillis: () => INVOCATION_MS - (Date.now() - t0) } as Context;
        const res = await handler(
          { Records: msgs.map((m) => lambdaRecord(m, queueArn)) } as SQSEvent,
          context,
        );
        if (Date.now() - t0 > INVOCATION_MS)
          throw new Error(`an invocation took ${Date.now() - t0} ms, over its ${INVOCATION_MS} ms`);
        const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
        const done = msgs.filter((m) => !failed.has(m.MessageId!));
        const retry = msgs.filter((m) => failed.has(m.MessageId!));
        const now = performance.now();
        for (const m of done) latencies.push(now - (sentAt.get(m.MessageId!) ?? now));
        acked += done.length;
        if (done.length)
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: done.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        if (retry.length)
          await sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: queueUrl,
              Entries: retry.map((m, k) => ({
                Id: `r${k}`,
                ReceiptHandle: m.ReceiptHandle!,
                VisibilityTimeout: 0,
              })),
            }),
          );
      }
    };
    await Promise.all([send, ...Array.from({ length: CONSUMERS }, consume)]);
    const seconds = (performance.now() - started) / 1000;
    proxy.clear();

    const dead = await drainQueue(sqs, dlqUrl);
    const badBodies = new Set(bodies.filter((b) => b.bad).map((b) => b.body));
    const deadWithReason = new Set(
      dead.filter((m) => m.MessageAttributes?.ErrorCode?.StringValue).map((m) => m.Body!),
    );
    const goodIn = bodies.length - badBodies.size;
    // Stored, from the store: every history document of the scan result is there.
    const inHistory = new Set<string>();
    for (const t of TYPES)
      for (const d of await admin.search(`${TASK}_${t}_history.read`, undefined, 1_000_000))
        inHistory.add(`${t} ${d.id}`);
    const stored = bodies.filter((b) => b.history?.every((h) => inHistory.has(h))).length;
    const deadOk = bodies.filter((b) => deadWithReason.has(b.body)).length;
    const lost = bodies.filter(
      (b) => !deadWithReason.has(b.body) && !b.history?.every((h) => inHistory.has(h)),
    ).length;
    // Stored: every host's snapshot is exactly its newest scan's documents.
    const byHost = new Map<string, string[]>();
    for (const t of TYPES)
      for (const d of await admin.search(`${TASK}_${t}_snapshot.read`, undefined, 1_000_000))
        (
          byHost.get(String(d.source.address)) ??
          byHost.set(String(d.source.address), []).get(String(d.source.address))!
        ).push(`${t}:${String(d.source.key)}`);
    let hostsRight = 0;
    for (const [host, want] of expected)
      if (JSON.stringify((byHost.get(host) ?? []).sort()) === JSON.stringify(want)) hostsRight += 1;
    latencies.sort((a, b) => a - b);
    console.log(
      "path: fauxqs SQS → ingestor Lambda handler (2 consumers, 3 s invocations) → fault proxy → OpenSearch double",
    );
    console.log(
      `messages in:              ${bodies.length} (${goodIn} scan results, ${badBodies.size} hostile)`,
    );
    console.log(`stored (in the store):    ${stored} (${acked} acknowledged, DLQ included)`);
    console.log(`dead-lettered w/ reason:  ${deadOk} of ${dead.length} in the DLQ`);
    console.log(`lost:                     ${lost}`);
    console.log(`hosts whose snapshot is their newest scan: ${hostsRight} / ${expected.size}`);
    console.log(
      `invocations:              ${invocations} (${faulted} with an injected fault, ${proxy.log.filter((l) => l.fault).length} faults hit)`,
    );
    console.log(
      `end-to-end latency:       p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
    );
    console.log(
      `throughput:               ${(bodies.length / seconds).toFixed(0)} messages/s over ${seconds.toFixed(1)} s`,
    );
    if (lost !== 0 || stored !== goodIn || hostsRight !== expected.size || dead.length !== badBodies.size)
      process.exitCode = 1;
  } finally {
    await proxy.close();
    await double.stop();
    await emulators.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
