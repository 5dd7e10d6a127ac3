import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processesMentioning as mentioning } from "../src/local/proc";

/** Ours only: the test runner's own command line may carry the data dir too. */
const processesMentioning = (marker: string) => mentioning(marker).filter((p) => !p.includes("jest"));

/**
 * `sec-an local` as a user runs it, interrupted: Ctrl-C while nmap scans must leave no nmap of ours
 * running and no temporary directory; and a run that would queue nothing fails instead of waiting.
 * Loopback only, bounded by --timeout and by a kill if the CLI overruns.
 */
jest.setTimeout(240_000);
const root = join(__dirname, "../../..");
const bin = join(root, "packages/cli/bin/sec-an.js");
const dataDir = mkdtempSync(join(tmpdir(), "sec-an-interrupt-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function start(args: string[]) {
  const child = spawn(process.execPath, [bin, "local", ...args], {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  let stderr = "";
  child.stderr.on("data", (b) => (stderr += b));
  child.stdout.resume();
  const killer = setTimeout(() => child.kill("SIGKILL"), 200_000);
  const exited = new Promise<number | null>((r) =>
    child.on("exit", (code) => {
      clearTimeout(killer);
      r(code);
    }),
  );
  return { child, exited, stderr: () => stderr };
}

it("Ctrl-C during a scan stops nmap and removes every task's temporary directory", async () => {
  // Every TCP port of one loopback address, with version detection: long enough to interrupt.
  const run = start(["--target", "127.0.0.1", "--data-dir", dataDir, "--timeout", "180"]);
  for (let i = 0; i < 1200 && !processesMentioning(join(dataDir, "tmp")).some((p) => /\bnmap\b/.test(p)); i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(processesMentioning(join(dataDir, "tmp")).join("\n")).toMatch(/\bnmap\b/);

  run.child.kill("SIGINT");
  const code = await run.exited;

  expect(run.stderr()).toMatch(/interrupted/);
  expect(code).toBe(0);
  expect(processesMentioning(dataDir)).toEqual([]);
  expect(existsSync(join(dataDir, "tmp")) ? readdirSync(join(dataDir, "tmp")) : []).toEqual([]);
});

it("fails loudly, without waiting, when no scan would be queued", async () => {
  // Without the nmap stage only the demo services can be scanned: an explicit target gets nothing.
  const run = start([
    "--target",
    "127.0.0.1",
    "--scanners",
    "ssl",
    "--data-dir",
    dataDir,
    "--timeout",
    "120",
  ]);
  const code = await run.exited;
  expect(code).toBe(2);
  expect(run.stderr()).toMatch(/no scan was queued for 127\.0\.0\.1/);
  expect(run.stderr()).not.toMatch(/deadline reached/);
});
