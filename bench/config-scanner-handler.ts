/**
 * Config-scanner handlers: `npm run bench -- config-scanner-handler`. Prints, for the scan handler (the
 * one EventBridge events reach) and the parser, the esbuild bundle as deployed (`bundleEntry`, the AWS
 * SDK left to the Lambda runtime) and its gzip size, against the 1 MB target; and cold load+init (a fresh
 * process requiring the bundle) against a bare `node -e 0` on this machine, target at most 2x.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildSync } from "esbuild";
import { bundleEntry } from "../packages/components/src/core";
import { scanner } from "../projects/config-scanner/src/scanner";

const MB = 1024 * 1024;
const RUNS = 9;
const sdkDir = dirname(dirname(dirname(require.resolve("@aws-sdk/client-ec2/package.json"))));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall time of a fresh `node` running `args`, median of RUNS (ms). */
function wallMs(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, {
      env: { ...process.env, NODE_PATH: sdkDir },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${r.stderr}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

/** Load+init of a bundle measured inside the process (require until `handler` is a function), median (ms). */
function loadMs(file: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
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
  return median(times);
}

const dir = mkdtempSync(join(tmpdir(), "bench-config-scanner-"));
/**
 * The floor every handler built on the runtime kit pays: one that only imports `@sec-an/runtime`,
 * bundled with the same settings as `bundleEntry`.
 */
const floor = buildSync({
  stdin: {
    contents:
      'import { sqsBatchHandler } from "@sec-an/runtime";\nexport const handler = sqsBatchHandler(async () => undefined);\n',
    resolveDir: join(__dirname, ".."),
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  external: ["@aws-sdk/*"],
  write: false,
  logLevel: "silent",
}).outputFiles[0].text;
const handlers: [string, string | { code: string }][] = [
  ["scan (events, sweeps)", (scanner.scan as { entry: string }).entry],
  ["parser", scanner.parseEntry],
  ["runtime kit alone", { code: floor }],
];
try {
  const bare = wallMs(["-e", "0"]);
  console.log(`bare \`node -e 0\`: ${bare.toFixed(1)} ms wall (median of ${RUNS})`);
  console.log(
    "handler                bundle      gzip      target ≤1 MB   load+init   process wall   vs bare   target ≤2x",
  );
  for (const [name, entry] of handlers) {
    const code = typeof entry === "string" ? bundleEntry(entry) : entry.code;
    const file = join(dir, `${name.split(" ")[0]}.js`);
    writeFileSync(file, code);
    const load = loadMs(file);
    const wall = wallMs(["-e", `require(${JSON.stringify(file)})`]);
    const ratio = wall / bare;
    console.log(
      `${name.padEnd(21)}  ${(code.length / 1024).toFixed(1).padStart(7)} kB  ${(gzipSync(code).length / 1024).toFixed(1).padStart(6)} kB  ${(code.length <= MB ? "met" : "MISSED").padStart(12)}  ${load.toFixed(1).padStart(7)} ms  ${wall.toFixed(1).padStart(10)} ms  ${ratio.toFixed(2).padStart(6)}x  ${ratio <= 2 ? "met" : "MISSED"}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
