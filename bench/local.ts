// The local run: `sec-an local` against its loopback demo services, each run in a process of its own
// (as a user runs it: handlers keep module state), timed from spawn to exit as `npm start` is. First as
// on a fresh clone (no topology or bundle cache, tsx's compile cache empty; the topology comes from the
// shipped file while it is current), then again with the caches warm. Prints the wall time, the time
// inside nmap and inside the TLS scanner, the rest (the pipeline's overhead) and where that goes, stage
// by stage. Then what reading the topology costs without the shipped file (every program run under the
// mock engine), and `sec-an local` interrupted (SIGINT) while nmap scans: how long until it has exited,
// with every task process gone and its temporary directory removed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { processesMentioning } from "../packages/cli/src/local/proc";
import { runLocal, type LocalResult } from "../packages/cli/src/local/run";

const FIRST_RUN_TARGET_MS = 20_000;
const OVERHEAD_TARGET_MS = 2_000;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const verdict = (ok: boolean, why: string) => (ok ? "met" : `MISSED (${why})`);

/** One run in this process: `tsx bench/local.ts --one <data-dir> <cache-dir>` prints its result as JSON. */
async function one(dataDir: string, topologyCacheDir: string): Promise<void> {
  const loadedMs = performance.now(); // since this process started: node, tsx and every module loaded
  const r = await runLocal({ dataDir, timeoutSeconds: 300, topologyCacheDir, log: () => undefined });
  const cleanupMs = performance.now() - loadedMs - r.timings.totalMs;
  const tls = r.summary.tls.reduce((n, t) => n + t.findings.length, 0);
  process.stdout.write(
    `\n${JSON.stringify({ ...r.timings, loadedMs, cleanupMs, openPorts: r.summary.openPorts.length, tls })}\n`,
  );
}

/** Every program under the mock engine, as a run does when the shipped topology is stale or absent. */
async function programsOnly(cacheDir: string): Promise<void> {
  const { runProgramsCached } = await import("../packages/cli/src/local/programs");
  const { repoRoot } = await import("../packages/cli/src/local/run");
  const t0 = Date.now();
  await runProgramsCached(repoRoot(), "local", cacheDir);
  process.stdout.write(`\n${JSON.stringify({ ms: Date.now() - t0 })}\n`);
  process.exit(0);
}

/** What `one` prints: the run's timings and what it found. */
type OneRun = LocalResult["timings"] & {
  loadedMs: number;
  cleanupMs: number;
  openPorts: number;
  tls: number;
};

/** Spawns this script with `args`; returns its JSON line and its wall time from spawn to exit. */
function child<T>(args: string[], env: NodeJS.ProcessEnv = process.env): { out: T; wallMs: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "ignore"],
    env,
  });
  const wallMs = Date.now() - t0;
  if (r.status !== 0) throw new Error(`${args[0]} failed (exit ${r.status})`);
  return { out: JSON.parse(r.stdout.trim().split("\n").pop()!) as T, wallMs };
}

(async () => {
  if (process.argv[2] === "--one") return one(process.argv[3], process.argv[4]);
  if (process.argv[2] === "--programs") return programsOnly(process.argv[3]);
  const root = mkdtempSync(join(tmpdir(), "sec-an-bench-"));
  try {
    const cache = join(root, "cache");
    const passes = [
      // A fresh TMPDIR empties tsx's compile cache too, as on a machine that never ran the code.
      {
        name: "first run (fresh clone: no caches)",
        env: { ...process.env, TMPDIR: mkdtempSync(join(root, "tmp-")) },
      },
      { name: "second run (caches warm)", env: process.env },
    ];
    for (const [i, pass] of passes.entries()) {
      const { out: r, wallMs } = child<OneRun>(["--one", mkdtempSync(join(root, "run-")), cache], pass.env);
      const overhead = wallMs - r.nmapMs - r.tlsMs;
      // The wall time by stage; the pipeline's own share is what remains after nmap and the TLS scanner.
      const parts: [string, number][] = [
        ["node start and module loading (tsx compiles on a cold cache)", r.loadedMs],
        ...r.stages.map((st): [string, number] =>
          st.stage.startsWith("pipeline")
            ? [`${st.stage}; less nmap and TLS: ${s(st.ms - r.nmapMs - r.tlsMs)}`, st.ms]
            : [st.stage, st.ms],
        ),
        ["clean-up: tasks, bridges, emulators, store", r.cleanupMs],
        ["process exit", wallMs - r.loadedMs - r.totalMs - r.cleanupMs],
      ];
      const largest = parts
        .map(([name, ms]): [string, number] =>
          name.startsWith("pipeline") ? ["the pipeline's hops", ms - r.nmapMs - r.tlsMs] : [name, ms],
        )
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([name, ms]) => `${name.split(" (")[0]} ${s(ms)}`)
        .join(", ");
      const why = `largest: ${largest}; load average ${loadavg()[0].toFixed(1)} on 2 cores; stages below`;
      console.log(
        `${pass.name}, demo services' ports only (sec-an local --full scans all 65,535), load average ${loadavg()[0].toFixed(1)}:`,
      );
      console.log(`  open ports found:          ${r.openPorts}`);
      console.log(`  TLS findings:              ${r.tls}`);
      console.log(
        `  wall time, spawn to exit:  ${s(wallMs)}${i === 0 ? `   target ≤ 20 s: ${verdict(wallMs <= FIRST_RUN_TARGET_MS, why)}` : ""}`,
      );
      console.log(`  inside nmap (task spawn to exit): ${s(r.nmapMs)}`);
      console.log(`  inside the TLS scanner:    ${s(r.tlsMs)}`);
      console.log(
        `  pipeline overhead (the rest): ${s(overhead)}   target ≤ 2 s: ${verdict(overhead <= OVERHEAD_TARGET_MS, why)}`,
      );
      const stale =
        r.topologySource === "programs" ? "; the shipped file is stale: npm run local:topology" : "";
      console.log(
        `  where the wall time goes (topology ${r.topologySource}, read in ${s(r.topologyMs)}${stale}):`,
      );
      for (const [name, ms] of parts) console.log(`    ${s(ms).padStart(7)}  ${name}`);
    }
    const { out: p } = child<{ ms: number }>(["--programs", join(root, "programs-cache")]);
    console.log(
      `reading the topology without the shipped file (every program under the mock engine): ${s(p.ms)}, load average ${loadavg()[0].toFixed(1)}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  await interruptFigure();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

/** A `sec-an local` process interrupted with SIGINT (as Ctrl-C) once its nmap task scans. */
async function interruptFigure(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "sec-an-bench-int-"));
  const tmp = join(dataDir, "tmp");
  const cli = spawn(
    process.execPath,
    [
      "packages/cli/bin/sec-an.js",
      "local",
      "--target",
      "127.0.0.1",
      "--data-dir",
      dataDir,
      "--timeout",
      "300",
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise((r) => cli.once("exit", r));
  try {
    for (let i = 0; i < 1200 && processesMentioning(tmp).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    const scanning = processesMentioning(tmp).length;
    const t0 = Date.now();
    cli.kill("SIGINT");
    await exited;
    const left = processesMentioning(tmp).length;
    const dirs = existsSync(tmp) ? readdirSync(tmp).length : 0;
    console.log(
      `interrupted during a scan:  ${scanning} task process(es) → ${left} left, ${dirs} temp dir(s) left, ${((Date.now() - t0) / 1000).toFixed(1)} s from Ctrl-C to exit`,
    );
  } finally {
    cli.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
}
