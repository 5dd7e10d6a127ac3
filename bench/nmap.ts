/**
 * nmap parser throughput: a synthetic 10,000-host report (realistic element shapes, see
 * projects/nmap/test/synthetic.ts) through the full parser (XML → documents → validated, size-split
 * collection messages), next to a bare fast-xml-parser parse of the same bytes. Run: npx tsx bench/nmap.ts
 */
import { XMLParser } from "fast-xml-parser";
import { createParseTools } from "@sec-an/runtime";
import { PARSER_VERSION, parseNmapResult, readNmapXml } from "../projects/nmap/src/parser";
import { hostileNmapXml } from "../projects/nmap/test/hostile";
import { syntheticNmapXml } from "../projects/nmap/test/synthetic";

const HOSTS = Number(process.env.BENCH_NMAP_HOSTS ?? 10_000);
const RUNS = Number(process.env.BENCH_NMAP_RUNS ?? 2);
const xml = Buffer.from(syntheticNmapXml({ hosts: HOSTS, portsPerHost: 5, cvesPerPort: 2, tlsEvery: 5 }));
const mb = xml.length / 1e6;
const metadata = {
  scanId: "bench",
  task: "nmap",
  scanStartTime: "2026-11-23T10:00:00Z",
  scanEndTime: "2026-11-23T10:05:00Z",
  request: {},
};

function time<T>(label: string, runs: number, fn: () => T): { label: string; seconds: number; result: T } {
  let best = Infinity;
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    result = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { label, seconds: best, result };
}

const bare = time("fast-xml-parser only (bare)", RUNS, () =>
  new XMLParser({ ignoreAttributes: false }).parse(xml),
);
const read = time("readNmapXml (typed hosts)", RUNS, () => readNmapXml(xml));
const full = time("full parser → messages", RUNS, () => {
  const tools = createParseTools({
    task: "nmap",
    metadata,
    rawKey: "nmap/bench.xml",
    parserVersion: PARSER_VERSION,
  });
  parseNmapResult({ key: "nmap/bench.xml", body: xml, metadata }, tools);
  return tools.messages();
});

const docs = full.result.reduce(
  (n, m) => n + Object.values(m.message.docs).reduce((k, d) => k + d.length, 0),
  0,
);
console.log(
  `nmap parser benchmark: ${HOSTS} hosts, ${mb.toFixed(1)} MB XML, ${docs} documents in ${full.result.length} messages (best of ${RUNS})`,
);
for (const r of [bare, read, full]) {
  console.log(
    `  ${r.label.padEnd(32)} ${r.seconds.toFixed(2).padStart(6)} s  ${(mb / r.seconds).toFixed(1).padStart(6)} MB/s  ${(HOSTS / r.seconds).toFixed(0).padStart(7)} hosts/s`,
  );
}
console.log(`  full parser / bare parse: ${(full.seconds / bare.seconds).toFixed(2)}x the time`);

// A hostile result: one host whose banner fields, script output, OS and cipher names are 3 MB each, among
// three good hosts. Every host is kept; the hostile one's fields are cut to the document limit.
const hostile = Buffer.from(hostileNmapXml({ bannerBytes: 3 * 1024 * 1024 }));
const cut = time("hostile result → messages", RUNS, () => {
  const tools = createParseTools({
    task: "nmap",
    metadata,
    rawKey: "nmap/hostile.xml",
    parserVersion: PARSER_VERSION,
  });
  const run = parseNmapResult({ key: "nmap/hostile.xml", body: hostile, metadata }, tools);
  return { run, messages: tools.messages() };
});
const largest = Math.max(
  ...cut.result.messages.flatMap((m) =>
    Object.values(m.message.docs)
      .flat()
      .map((d) => Buffer.byteLength(JSON.stringify(d.data))),
  ),
);
console.log(
  `  hostile result: ${(hostile.length / 1e6).toFixed(1)} MB XML, ${cut.result.run.hosts.length} hosts, ${cut.result.run.failedHosts.length} failed, ` +
    `largest document ${(largest / 1024).toFixed(1)} KiB, ${cut.seconds.toFixed(2)} s`,
);
