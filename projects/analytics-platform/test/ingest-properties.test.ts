import fc from "fast-check";
import { openSearchForTests, type OpenSearchUnderTest } from "@sec-an/testing";
import { ingestBatch } from "../src/ingest";
import { OpenSearchStore } from "../src/store/opensearch";
import type { DocumentStore } from "../src/store/types";
import { createIngestIndices, scanCollection, snapshotOf, sqsRecord, type ScanSpec } from "./helpers";

/**
 * The ingest state machine, property-based: whatever scans of one host arrive (random documents per
 * scan, random end times, re-parses, parts, duplicates and redeliveries), in whatever order, through
 * however many concurrent ingestors with their store calls interleaved at random, and with store calls
 * failing (before or after they took effect) and their records redelivered, the host's snapshot
 * converges to the newest run's documents: the newest scan, and of its parse runs the latest.
 */
const TYPES = ["ports", "cves"];
const T0 = Date.parse("2026-07-01T00:00:00Z");
const DAY = 24 * 3_600_000;
/** Parse runs far enough apart that their order is never in doubt. */
const PARSE_OFFSETS = [0, DAY, 30 * DAY];

let os: OpenSearchUnderTest;
let store: OpenSearchStore;
let task: string;
beforeAll(async () => {
  os = await openSearchForTests();
  store = OpenSearchStore.unsigned(os.url);
  task = os.prefix;
  await createIngestIndices(store, task, TYPES);
});
afterAll(async () => {
  await os.close();
});

/** One parse run of one scan: which documents it found, and into how many parts it was split. */
const run = fc.record({
  end: fc.integer({ min: 0, max: 5 }),
  parse: fc.integer({ min: 0, max: PARSE_OFFSETS.length - 1 }),
  ports: fc.uniqueArray(fc.constantFrom("22", "80", "443", "8080", "tcp/22"), { maxLength: 4 }),
  cves: fc.uniqueArray(fc.constantFrom("CVE-1", "CVE-2", "CVE-3"), { maxLength: 2 }),
  parts: fc.integer({ min: 1, max: 2 }),
});
type Run = typeof run extends fc.Arbitrary<infer T> ? T : never;

/** The messages of a run: its documents dealt round-robin into its parts (a part may be empty). */
function messages(host: string, r: Run): string[] {
  const docs = [...r.ports.map((k) => ["ports", k]), ...r.cves.map((k) => ["cves", k])];
  return Array.from({ length: r.parts }, (_, index) => {
    const mine = docs.filter((_, i) => i % r.parts === index);
    const spec: ScanSpec = {
      host,
      end: T0 + r.end * 60_000,
      parsedAt: T0 + r.end * 60_000 + PARSE_OFFSETS[r.parse],
      docs: Object.fromEntries(TYPES.map((t) => [t, mine.filter(([type]) => type === t).map(([, k]) => k)])),
      docTypes: TYPES,
      tag: `e${r.end}p${r.parse}`,
      ...(r.parts > 1 ? { part: { index, count: r.parts } } : {}),
    };
    return JSON.stringify(scanCollection(task, spec));
  });
}

/** The model: the newest (end, parse) run's documents. */
function expected(runs: Run[]): string[] {
  const newest = runs.reduce((a, b) => (b.end > a.end || (b.end === a.end && b.parse > a.parse) ? b : a));
  const tag = `#e${newest.end}p${newest.parse}`;
  return [
    ...newest.ports.map((k) => `ports:${k}${tag}`),
    ...newest.cves.map((k) => `cves:${k}${tag}`),
  ].sort();
}

/**
 * Store faults, drawn per call: 0 passes, 1 fails before the request (a refused connection), 2 fails
 * after it was applied (a reset or timeout that lost the answer). At most `budget` faults per run, so
 * redelivery always ends.
 */
type Faults = { kinds: Iterator<number>; budget: number };
const fault = fc.constantFrom(0, 0, 0, 0, 1, 2);

async function faulty<T>(faults: Faults, f: () => Promise<T>): Promise<T> {
  const kind = faults.budget > 0 ? (faults.kinds.next().value as number) : 0;
  if (kind === 0) return f();
  faults.budget -= 1;
  if (kind === 2) await f();
  throw Object.assign(new Error(kind === 1 ? "connect ECONNREFUSED" : "socket hang up"), {
    code: kind === 1 ? "ECONNREFUSED" : "ECONNRESET",
  });
}

/** How many other store calls a store call lets finish first: now and then enough for a whole run. */
const delay = fc.constantFrom(0, 0, 8, 16);

/**
 * Holds a store call back until `n` other calls have finished (or until every ingestor still running
 * is held back, or has finished: then the earliest goes). The scheduler alone cannot make such races
 * likely: a call doing real I/O leaves only the other ingestor's calls pending, which it then releases.
 */
class Holds {
  private finished = 0;
  private waiting: Array<{ until: number; go: () => void }> = [];
  constructor(private running: number) {}
  async hold(n: number): Promise<void> {
    if (n === 0) return;
    await new Promise<void>((go) => {
      this.waiting.push({ until: this.finished + n, go });
      this.settle();
    });
  }
  callDone(): void {
    this.finished += 1;
    this.settle();
  }
  ingestorDone(): void {
    this.running -= 1;
    this.settle();
  }
  private settle(): void {
    const ready = this.waiting.filter((w) => w.until <= this.finished);
    if (ready.length === 0 && this.waiting.length > 0 && this.waiting.length >= this.running)
      ready.push(this.waiting.reduce((a, b) => (b.until < a.until ? b : a)));
    this.waiting = this.waiting.filter((w) => !ready.includes(w));
    for (const w of ready) w.go();
  }
}

/**
 * Every store call is held back as `delays` say, then starts only when the fast-check scheduler says so
 * (random interleavings), and may fail as `faults` say.
 */
function scheduled(
  s: fc.Scheduler,
  inner: DocumentStore,
  delays: Iterator<number>,
  holds: Holds,
  faults: Faults,
): DocumentStore {
  const gate = async <T>(label: string, f: () => Promise<T>, fallible = true) => {
    await holds.hold(delays.next().value as number);
    await s.schedule(Promise.resolve(label), label);
    try {
      return await (fallible ? faulty(faults, f) : f());
    } finally {
      holds.callDone();
    }
  };
  return {
    // Alias lookup faults are ingest-faults.test.ts's: here they would only use up the budget.
    writeAliases: () => gate("aliases", () => inner.writeAliases(), false),
    bulk: (ops, o) => gate(`bulk ${ops.length}`, () => inner.bulk(ops, o)),
    deleteByQuery: (i, f) => gate("delete-by-query", () => inner.deleteByQuery(i, f)),
    countMany: (q) => gate("count", () => inner.countMany!(q)),
    search: (i, f, n) => inner.search(i, f, n),
    count: (i, f) => inner.count(i, f),
    refresh: (i) => inner.refresh(i),
  };
}

let hosts = 0;

describe("ingest convergence (property-based)", () => {
  it("runs delivered in any order, duplicated, split across concurrent ingestors, with failed store calls redelivered, converge to the newest run", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        // Distinct (end, parse) pairs: one scan's parse run has one set of documents.
        fc.uniqueArray(run, { minLength: 1, maxLength: 5, selector: (r) => `${r.end}/${r.parse}` }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.infiniteStream(fc.nat()),
        fc.infiniteStream(fault),
        fc.integer({ min: 0, max: 10 }),
        fc.infiniteStream(delay),
        async (s, runs, dupes, ingestors, order, kinds, budget, delays) => {
          hosts += 1;
          const host = `10.9.${Math.floor(hosts / 250)}.${hosts % 250}`;
          const all = runs.flatMap((r) => messages(host, r));
          // Redeliveries: some messages again; then a random order; then dealt to the ingestors.
          const bodies = [...all, ...dupes.map((d) => all[d % all.length])];
          const it = order[Symbol.iterator]();
          const shuffled = bodies
            .map((b) => [it.next().value as number, b] as const)
            .sort((a, b) => a[0] - b[0])
            .map(([, b]) => b);
          const batches = Array.from({ length: ingestors }, (_, k) =>
            shuffled.filter((_, i) => i % ingestors === k).map((b) => sqsRecord(b)),
          ).filter((b) => b.length > 0);
          const faults: Faults = { kinds: kinds[Symbol.iterator](), budget };
          const turns = delays[Symbol.iterator]();
          const holds = new Holds(batches.length);
          // Each ingestor takes its queue in SQS-sized pieces, one after another; a record it reports
          // as failed goes to the back of its queue, as SQS redelivers it after the visibility timeout.
          const work = batches.map(async (queue) => {
            for (let rounds = 0; queue.length > 0; rounds++) {
              expect(rounds).toBeLessThan(100);
              const batch = queue.splice(0, 3);
              const res = await ingestBatch(batch, { store: scheduled(s, store, turns, holds, faults) });
              const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
              queue.push(...batch.filter((r) => failed.has(r.messageId)));
            }
            holds.ingestorDone();
          });
          await s.waitFor(Promise.all(work));
          expect(await snapshotOf(store, task, host, TYPES)).toEqual(expected(runs));
        },
      ),
      { numRuns: 500 },
    );
  });
});
