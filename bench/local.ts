// Local pipeline overhead: one `sec-an local` run against its loopback demo services; prints the wall
// time, the time spent inside nmap and inside the TLS scanner, and the rest (our pipeline's overhead:
// emulators, queues, parsers, ingest).
import { runLocal } from "../packages/cli/src/local/run";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sec-an-bench-"));
  try {
    const r = await runLocal({ dataDir, timeoutSeconds: 300, log: () => undefined });
    const { totalMs, nmapMs, tlsMs } = r.timings;
    const overhead = totalMs - nmapMs - tlsMs;
    console.log(`open ports found:        ${r.summary.openPorts.length}`);
    console.log(`TLS findings:            ${r.summary.tls.reduce((n, t) => n + t.findings.length, 0)}`);
    console.log(`total wall time:         ${(totalMs / 1000).toFixed(1)} s`);
    console.log(`inside nmap:             ${(nmapMs / 1000).toFixed(1)} s`);
    console.log(`inside the TLS scanner:  ${(tlsMs / 1000).toFixed(1)} s`);
    console.log(
      `pipeline overhead:       ${(overhead / 1000).toFixed(1)} s (${((overhead / totalMs) * 100).toFixed(0)}% of wall time)`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
