// Core components benchmark: esbuild bundle time and size per Lambda handler (cold and cached), the
// gzip-compressed size (what the deployment zip roughly weighs), and module load + init time of each
// bundle in a fresh Node process (a floor for the Lambda "Init" phase, without the runtime's own start).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { bundleEntry, defaultGlueEntry, defaultRecorderEntry } from "../packages/components/src/core";
import { defaultLayerModules, layerFiles } from "../projects/shared-code/src/program";

const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const sdkDir = dirname(dirname(dirname(require.resolve("@aws-sdk/client-sqs/package.json"))));

function loadTimeMs(code: string, runs = 5): number {
  const dir = mkdtempSync(join(tmpdir(), "bench-core-"));
  try {
    const file = join(dir, "index.js");
    writeFileSync(file, code);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(
        process.execPath,
        [
          "-e",
          `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});if(typeof m.handler!=="function")process.exit(2);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`,
        ],
        { env: { ...process.env, NODE_PATH: sdkDir }, encoding: "utf8" },
      );
      if (r.status !== 0) throw new Error(`bundle failed to load: ${r.stderr}`);
      times.push(Number(r.stdout));
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const handlers: [string, string][] = [
  ["dead-letter-recorder", defaultRecorderEntry()],
  ["sqs-sns-glue", defaultGlueEntry()],
];

console.log("handler                 cold build  cached   bundle     gzip      load+init (median of 5)");
for (const [name, entry] of handlers) {
  let t = process.hrtime.bigint();
  const code = bundleEntry(entry);
  const cold = ms(t);
  t = process.hrtime.bigint();
  bundleEntry(entry);
  const cached = ms(t);
  const load = loadTimeMs(code);
  console.log(
    `${name.padEnd(22)}  ${cold.toFixed(0).padStart(7)} ms  ${cached.toFixed(2).padStart(5)} ms  ${kb(code.length).padStart(9)}  ${kb(gzipSync(code).length).padStart(8)}  ${load.toFixed(1).padStart(7)} ms`,
  );
}

const t = process.hrtime.bigint();
const files = layerFiles(defaultLayerModules());
const layerMs = ms(t);
const total = Object.values(files).reduce((n, f) => n + f.length, 0);
const gz = Object.values(files).reduce((n, f) => n + gzipSync(f).length, 0);
console.log(
  `\nshared-code layer: ${Object.keys(files).length} files, ${kb(total)} (${kb(gz)} gzip), built in ${layerMs.toFixed(0)} ms`,
);
