// `npm run bench`: runs every benchmark script in this folder, one process each (so one's memory or
// warm JIT never flatters another), and prints their figures. Pass names to run some: `npm run bench -- nmap ssl`.
// `soak` (about a minute) sends 10,000 scan results through the ingest path with faults injected and
// exits non-zero if any is lost.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const only = process.argv.slice(2);
const scripts = readdirSync(__dirname)
  .filter((f) => f.endsWith(".ts") && f !== "index.ts")
  .map((f) => f.slice(0, -3))
  .filter((n) => !only.length || only.includes(n))
  .sort();

// tsx as an ESM loader, so lazy import() of TypeScript works (the local run loads projects that way).
const tsx = pathToFileURL(require.resolve("tsx")).href;
let failed = 0;
for (const name of scripts) {
  process.stdout.write(`\n=== ${name} ===\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ["--import", tsx, "--expose-gc", join(__dirname, `${name}.ts`)], {
    stdio: "inherit",
    cwd: join(__dirname, ".."),
  });
  process.stdout.write(
    `(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s${r.status ? `, exit ${r.status}` : ""})\n`,
  );
  if (r.status) failed += 1;
}
process.exitCode = failed ? 1 : 0;
