/**
 * TLS checks per second on loopback: `npx tsx bench/ssl.ts`. The server runs in a child process so
 * its handshake work does not share the scanner's event loop. Prints single-probe latency, full scans
 * per second one at a time and with several scans in flight (a Lambda runs one; a local run, several).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { issue } from "../projects/ssl/test/pki";
import { probeProtocol } from "../projects/ssl/src/scanner/tls";
import { scanTls } from "../projects/ssl/src/scanner/scan";
import type { PortDetected } from "@sec-an/contracts";

const SERVER = `
const tls = require("node:tls");
let input = "";
process.stdin.on("data", (d) => (input += d)).on("end", () => {
  const { key, cert } = JSON.parse(input);
  const s = tls.createServer({ key, cert, minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" }, (c) => c.end());
  s.on("tlsClientError", () => {});
  s.listen(0, "127.0.0.1", () => process.stdout.write(String(s.address().port) + "\\n"));
});`;

async function main() {
  const ca = issue({ cn: "Bench CA", isCa: true });
  const leaf = issue({ cn: "bench.test", dnsNames: ["bench.test"], issuer: ca });
  const child = spawn(process.execPath, ["-e", SERVER], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin.end(JSON.stringify({ key: leaf.keyPem, cert: leaf.certPem + ca.certPem }));
  const [line] = (await once(child.stdout, "data")) as [Buffer];
  const port = Number(line.toString().trim());
  const target = { address: "127.0.0.1", port };
  const event: PortDetected = {
    kind: "port-detected",
    address: "127.0.0.1",
    addressType: "ipv4",
    port,
    protocol: "tcp",
    service: "https",
    hostnames: ["bench.test"],
    detectedAt: new Date().toISOString(),
    lineage: { rootScanId: "bench", parentScanId: "bench", rule: "bench", rawKey: "bench", depth: 1 },
  };
  const opts = { timeoutMs: 5000, extraCAs: [ca.certPem] };
  try {
    for (let i = 0; i < 20; i++) await probeProtocol(target, "TLSv1.3", "bench.test", opts); // warm-up

    const probes = 300;
    let t = performance.now();
    for (let i = 0; i < probes; i++) await probeProtocol(target, "TLSv1.3", "bench.test", opts);
    let s = (performance.now() - t) / 1000;
    console.log(
      `single TLS 1.3 probe, sequential: ${(probes / s).toFixed(0)} handshakes/s (${((s / probes) * 1000).toFixed(2)} ms each)`,
    );

    const scans = 60;
    t = performance.now();
    for (let i = 0; i < scans; i++) await scanTls(event, opts);
    s = (performance.now() - t) / 1000;
    console.log(
      `full scan (4 protocol probes + verifying and served-chain handshakes for 1 host name), sequential: ${(scans / s).toFixed(1)} scans/s (${((s / scans) * 1000).toFixed(1)} ms each)`,
    );

    for (const inFlight of [4, 16]) {
      const total = 120;
      let next = 0;
      t = performance.now();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next++ < total) await scanTls(event, opts);
        }),
      );
      s = (performance.now() - t) / 1000;
      console.log(
        `full scans, ${inFlight} in flight: ${(total / s).toFixed(1)} scans/s (${((total * 6) / s).toFixed(0)} handshakes/s)`,
      );
    }
  } finally {
    child.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
