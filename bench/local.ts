// Local pipeline overhead: `sec-an local` against its loopback demo services, first with an empty
// topology cache (a fresh clone) and then with it filled, each run in a process of its own (as a user
// runs it: handlers keep module state); prints the wall time, the time reading the topology, inside
// nmap and inside the TLS scanner, and the rest (our pipeline's overhead: emulators, queues, parsers,
// ingest, settling). Then `sec-an local` interrupted (SIGINT) while nmap scans: how
// long until it has exited, with every task process gone and its temporary directory removed.
import { spawn, spawnSync } from "node:child_process";
import { processesMentioning } from "../packages/cli/src/local/proc";
import { runLocal } from "../packages/cli/src/local/run";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One run in this process: `tsx bench/local.ts --one <data-dir> <cache-dir>` prints its result as JSON. */
async function one(dataDir: string, topologyCacheDir: string): Promise<void> {
  const r = await runLocal({ dataDir, timeoutSeconds: 300, topologyCacheDir, log: () => undefined });
  process.stdout.write(
    `\n${JSON.stringify({ ...r.timings, openPorts: r.summary.openPorts.length, tls: r.summary.tls.reduce((n, t) => n + t.findings.length, 0) })}\n`,
  );
}

(async () => {
  if (process.argv[2] === "--one") return one(process.argv[3], process.argv[4]);
  const root = mkdtempSync(join(tmpdir(), "sec-an-bench-"));
  try {
    // First as on a fresh clone (an empty topology cache), then again with the cache filled.
    for (const pass of ["first run (no topology cache)", "second run (topology cached)"]) {
      const dataDir = mkdtempSync(join(root, "run-"));
      const child = spawnSync(
        process.execPath,
        [...process.execArgv, __filename, "--one", dataDir, join(root, "cache")],
        {
          encoding: "utf8",
          maxBuffer: 64 * 1024 * 1024,
          stdio: ["ignore", "pipe", "ignore"],
        },
      );
      if (child.status !== 0) throw new Error(`${pass} failed (exit ${child.status})`);
      const r = JSON.parse(child.stdout.trim().split("\n").pop()!);
      const { totalMs, nmapMs, tlsMs, topologyMs } = r;
      const overhead = totalMs - nmapMs - tlsMs - topologyMs;
      console.log(`${pass}, demo services' ports only (sec-an local --full scans all 65,535):`);
      console.log(`  open ports found:        ${r.openPorts}`);
      console.log(`  TLS findings:            ${r.tls}`);
      console.log(
        `  total wall time:         ${(totalMs / 1000).toFixed(1)} s   target ≤ 20 s (first run): ${totalMs <= 20_000 ? "met" : "MISSED"}`,
      );
      console.log(`  reading the topology:    ${(topologyMs / 1000).toFixed(1)} s`);
      console.log(`  inside nmap:             ${(nmapMs / 1000).toFixed(1)} s`);
      console.log(`  inside the TLS scanner:  ${(tlsMs / 1000).toFixed(1)} s`);
      console.log(
        `  pipeline overhead:       ${(overhead / 1000).toFixed(1)} s (the rest: emulators, queues, handlers, settling)   target ≤ 2 s: ${overhead <= 2000 ? "met" : "MISSED"}`,
      );
    }
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
