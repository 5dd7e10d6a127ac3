// Scheduler benchmark: time to plan 1,000,000 addresses over a day of 96 buckets, and how evenly they
// land (largest minus smallest bucket size; the planner guarantees at most 1).
import { performance } from "node:perf_hooks";
import { bucketOf, planScans } from "../projects/task-execution/src/plan/planner";

const N = 1_000_000;
const cfg = { start: 1_795_000_000, period: 86_400, buckets: 96 };

const addresses = new Array<string>(N);
for (let i = 0; i < N; i++) addresses[i] = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

planScans(addresses.slice(0, 10_000), cfg); // warm-up
const runs: number[] = [];
let plan = planScans([], cfg);
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  plan = planScans(addresses, cfg);
  runs.push(performance.now() - t0);
}
runs.sort((a, b) => a - b);

const sizes = new Array<number>(cfg.buckets).fill(0);
let outside = 0;
for (const p of plan) {
  if (p.plannedScanTime < cfg.start || p.plannedScanTime >= cfg.start + cfg.period) outside += 1;
  else sizes[bucketOf(p.plannedScanTime, cfg)] += 1;
}

console.log(`plan ${N.toLocaleString("en")} addresses, ${cfg.buckets} buckets over ${cfg.period} s`);
console.log(
  `  median ${runs[2].toFixed(1)} ms, best ${runs[0].toFixed(1)} ms, worst ${runs[4].toFixed(1)} ms (5 runs)`,
);
console.log(`  ${(((N / runs[2]) * 1000) / 1e6).toFixed(2)} M addresses/s`);
console.log(
  `  bucket sizes min ${Math.min(...sizes)}, max ${Math.max(...sizes)}, largest difference ${Math.max(...sizes) - Math.min(...sizes)}`,
);
console.log(`  times outside [start, start+period): ${outside}`);
if (outside || Math.max(...sizes) - Math.min(...sizes) > 1) process.exitCode = 1;
