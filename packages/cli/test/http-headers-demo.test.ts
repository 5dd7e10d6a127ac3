import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { indexBase, readAlias } from "@sec-an/contracts";
import { repoRoot } from "@sec-an/contracts/registry";
import { SqliteStore } from "../src/local/sqlite-store";
import { runBounded, succeeded } from "./bounded-process";

/**
 * The worked example on the demo services of `npm start`: nmap finds their ports, the ports topic's
 * filter policy sends the web ones to http-headers, and its findings reach the local store. Everything
 * runs on loopback; the run has its own --timeout and is killed if it overruns.
 */
const root = repoRoot(__dirname);
const data = mkdtempSync(join(tmpdir(), "sec-an-http-headers-"));
afterAll(() => rmSync(data, { recursive: true, force: true }));

const local = () =>
  runBounded(
    process.execPath,
    [join(root, "packages/cli/bin/sec-an.js"), "local", "--scanners", "nmap,http-headers", "--json"].concat([
      "--data-dir",
      data,
      "--timeout",
      "150",
    ]),
    root,
    200_000,
  );

it("the demo HTTP and TLS services yield real header findings through the nmap → http-headers cascade", async () => {
  const r = succeeded(await local(), "sec-an local");
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
