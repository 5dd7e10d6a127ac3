import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

/**
 * Cold-start figures for Lambda handler bundles: size, gzip size, load+init (a fresh process requiring
 * the bundle until `handler` is a function) and that process's wall time against a bare `node -e 0`.
 * The AWS SDK stays external in the bundles (the Lambda runtime ships it), so it resolves from the repo.
 */
export const SIZE_TARGET_BYTES = 1024 * 1024;
export const RATIO_TARGET = 2;
const RUNS = 7;
const sdkDir = dirname(dirname(dirname(require.resolve("@aws-sdk/client-sqs/package.json"))));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function run(args: string[]): { ms: number; stdout: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    env: { ...process.env, NODE_PATH: sdkDir },
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ").slice(0, 200)} failed: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

export interface ColdStart {
  name: string;
  bytes: number;
  gzipBytes: number;
  loadMs: number;
  wallMs: number;
  ratio: number;
}

/** Measures each `[name, bundle code]`; bare node is measured in the same run, interleaved, for a fair ratio. */
export function measureColdStarts(bundles: readonly (readonly [string, string])[]): {
  bareMs: number;
  rows: ColdStart[];
} {
  const dir = mkdtempSync(join(tmpdir(), "bench-cold-start-"));
  try {
    const bare: number[] = [];
    const rows = bundles.map(([name, code], i) => {
      const file = join(dir, `${i}.js`);
      writeFileSync(file, code);
      const loads: number[] = [];
      const walls: number[] = [];
      for (let k = 0; k < RUNS; k++) {
        bare.push(run(["-e", "0"]).ms);
        const probe = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});if(typeof m.handler!=="function")throw new Error("no handler export");process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
        const r = run(["-e", probe]);
        loads.push(Number(r.stdout));
        walls.push(r.ms);
      }
      return {
        name,
        bytes: Buffer.byteLength(code),
        gzipBytes: gzipSync(code).length,
        loadMs: median(loads),
        wallMs: median(walls),
        ratio: 0,
      };
    });
    const bareMs = median(bare);
    for (const r of rows) r.ratio = r.wallMs / bareMs;
    return { bareMs, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table `npm run bench` prints, with the targets beside each figure. */
export function coldStartTable(bareMs: number, rows: readonly ColdStart[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  const lines = [
    `bare \`node -e 0\`: ${bareMs.toFixed(1)} ms wall (median of ${RUNS}, interleaved with the handlers; load average ${loadavg()[0].toFixed(1)})`,
    `${"handler".padEnd(64)} ${"bundle".padStart(10)} ${"gzip".padStart(9)} ≤1 MB  ${"load+init".padStart(10)} ${"wall".padStart(9)} ${"vs bare".padStart(7)} ≤2x`,
  ];
  for (const r of rows)
    lines.push(
      `${r.name.padEnd(64)} ${kb(r.bytes).padStart(10)} ${kb(r.gzipBytes).padStart(9)} ${(r.bytes <= SIZE_TARGET_BYTES ? "met" : "MISSED").padEnd(6)} ${`${r.loadMs.toFixed(1)} ms`.padStart(10)} ${`${r.wallMs.toFixed(1)} ms`.padStart(9)} ${`${r.ratio.toFixed(2)}x`.padStart(7)} ${r.ratio <= RATIO_TARGET ? "met" : "MISSED"}`,
    );
  return lines.join("\n");
}
