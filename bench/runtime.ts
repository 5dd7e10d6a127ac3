/**
 * ResultsContext throughput (the collection-message body build): post N documents under one parent key
 * (key hash, one serialisation each), then build (envelope validation, byte-exact splitting into
 * ≤240 KiB parts). Prints docs/s and MB/s against the 200,000 docs/s target.
 * Run: npx tsx bench/runtime.ts [docs] [bytesPerDoc]
 */
import { loadavg } from "node:os";
import { Limits } from "@sec-an/contracts";
import { ResultsContext, messageBytes } from "../packages/runtime/src";
// The implementation before documents were serialised once (test-only), measured in the same run.
import { ResultsContext as PreviousContext } from "../packages/runtime/test/oracle/results-context";

const docs = Number(process.argv[2] ?? 100_000);
const TARGET = 200_000;
const docBytes = Number(process.argv[3] ?? 600);
const rounds = 3;

function once(Ctx: typeof ResultsContext | typeof PreviousContext = ResultsContext) {
  const ctx = new Ctx({
    task: "nmap",
    parentKey: { address: "10.0.0.1", address_type: "ipv4" },
    scanId: "bench",
    scanStartTime: "2026-11-23T10:00:00Z",
    scanEndTime: "2026-11-23T10:05:00Z",
    lineage: { scanId: "bench", task: "nmap", rawKey: "nmap/2026/11/23/bench.xml", parserVersion: "1" },
  });
  const filler = "x".repeat(docBytes);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < docs; i += 1) {
    ctx.pushContext({ port: i % 65535, protocol: i % 2 ? "tcp" : "udp", n: i });
    ctx.postResults(i % 3 ? "ports" : "cves", {
      service: "http",
      product: "nginx",
      version: "1.25",
      notes: filler,
      scripts: { a: [1, 2, 3] },
    });
    ctx.popContext();
  }
  const t1 = process.hrtime.bigint();
  const msgs = ctx.messages();
  const t2 = process.hrtime.bigint();
  const bytes = msgs.reduce((n, m) => n + messageBytes(m.body, m.attributes), 0);
  const largest = Math.max(...msgs.map((m) => messageBytes(m.body, m.attributes)));
  return {
    postMs: Number(t1 - t0) / 1e6,
    buildMs: Number(t2 - t1) / 1e6,
    parts: msgs.length,
    bytes,
    largest,
  };
}

once(); // warm-up (JIT, typebox compile)
const runs = Array.from({ length: rounds }, () => once());
const previous = once(PreviousContext);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const post = med(runs.map((r) => r.postMs));
const build = med(runs.map((r) => r.buildMs));
const { parts, bytes, largest } = runs[0];
const mb = bytes / 1024 / 1024;
console.log(`ResultsContext: ${docs} docs of ~${docBytes} B, ${rounds} rounds (median)`);
console.log(
  `  post   ${post.toFixed(1)} ms  ${((docs / post) * 1000).toFixed(0)} docs/s  ${((mb / post) * 1000).toFixed(1)} MB/s`,
);
console.log(
  `  build  ${build.toFixed(1)} ms  ${((docs / build) * 1000).toFixed(0)} docs/s  ${((mb / build) * 1000).toFixed(1)} MB/s (hash keys, validate, split)`,
);
const total = (docs / (post + build)) * 1000;
console.log(
  `  total  ${total.toFixed(0)} docs/s  ${((mb / (post + build)) * 1000).toFixed(1)} MB/s   target ≥ ${TARGET} docs/s: ${total >= TARGET ? "met" : "MISSED (each document is serialised once and its key hashed once; see post and build above)"}   load average ${loadavg()[0].toFixed(1)}`,
);
console.log(
  `  the previous ResultsContext, same run: ${((docs / (previous.postMs + previous.buildMs)) * 1000).toFixed(0)} docs/s (one round)`,
);
console.log(
  `  output ${mb.toFixed(2)} MB in ${parts} parts, largest ${largest} B (budget ${Limits.publishBudgetBytes} B, fill ${((bytes / parts / Limits.publishBudgetBytes) * 100).toFixed(1)}%)`,
);
