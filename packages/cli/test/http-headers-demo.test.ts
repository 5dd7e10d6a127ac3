import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { indexBase, readAlias } from "@sec-an/contracts";
import { repoRoot } from "@sec-an/contracts/registry";
import { SqliteStore } from "../src/local/sqlite-store";

/**
 * The worked example on the demo services of `npm start`: nmap finds their ports, the ports topic's
 * filter policy sends the web ones to http-headers, and its findings reach the local store. Everything
 * runs on loopback; the run has its own --timeout and is killed if it overruns.
 */
const root = repoRoot(__dirname);
const data = mkdtempSync(join(tmpdir(), "sec-an-http-headers-"));
afterAll(() => rmSync(data, { recursive: true, force: true }));

function local(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const args = [
      "local",
      "--scanners",
      "nmap,http-headers",
      "--json",
      "--data-dir",
      data,
      "--timeout",
      "150",
    ];
    const child = spawn(process.execPath, [join(root, "packages/cli/bin/sec-an.js"), ...args], { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    const killer = setTimeout(() => child.kill("SIGKILL"), 200_000);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

it("the demo HTTP and TLS services yield real header findings through the nmap → http-headers cascade", async () => {
  const r = await local();
  if (r.code !== 0) throw new Error(`sec-an local exited ${r.code}\n${r.stderr.slice(-3000)}`);
  const { demo } = JSON.parse(r.stdout) as { demo: { httpPort: number; tlsPort: number } };
  const store = await SqliteStore.open(join(data, "analytics.sqlite"));
  try {
    const findings = await store.search(readAlias(indexBase("http-headers", "finding", "snapshot")));
    const checks = (port: number) =>
      findings
        .filter((d) => d.source.port === port)
        .map((d) => String(d.source.check))
        .sort();
    // The demo serves a versioned nginx banner and no security headers, over HTTP and over TLS.
    expect(checks(demo.httpPort)).toEqual(
      ["csp-missing", "framing", "nosniff-missing", "referrer-policy", "server-version"].sort(),
    );
    expect(checks(demo.tlsPort)).toEqual(expect.arrayContaining(["hsts-missing", "server-version"]));
  } finally {
    store.close();
  }
}, 220_000);
