import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SqliteStore } from "../src/local/sqlite-store";

/**
 * The local run end to end, as a user runs it: `sec-an local` in a child process (it starts its own
 * emulators and loopback demo services, and stops them), against real nmap and the real handlers.
 * Bounded: the run has a --timeout and the test kills it if it overruns.
 */
const root = join(__dirname, "../../..");
const bin = join(root, "packages/cli/bin/sec-an.js");
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);

function runCli(
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: "0" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("sec-an local (end to end)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sec-an-local-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  let out: any;
  let stderr = "";

  beforeAll(async () => {
    const r = await runCli(["local", "--json", "--data-dir", dataDir, "--timeout", "200"], 260_000);
    stderr = r.stderr;
    if (r.code !== 0) throw new Error(`sec-an local exited ${r.code}\n${r.stderr.slice(-3000)}`);
    out = JSON.parse(r.stdout);
  }, 280_000);

  it("finds the open ports of the services it started", () => {
    const ports = out.openPorts.filter((p: any) => p.address === out.demo.host).map((p: any) => p.port);
    expect(ports).toEqual(expect.arrayContaining([out.demo.httpPort, out.demo.tlsPort]));
  });

  it("scans only the demo services' own address, where the emulators (on 127.0.0.1) do not listen", () => {
    expect(out.demo.host).toBe("127.0.0.2");
    expect(out.targets).toEqual([out.demo.host]);
    // Services listening on every address (0.0.0.0) may still answer there; 127.0.0.1-only ones do not.
    expect(out.openPorts.filter((p: any) => p.address !== out.demo.host)).toEqual([]);
  });

  it("reports the weak certificate through the nmap → ssl cascade", () => {
    const tls = out.tls.find((t: any) => t.port === out.demo.tlsPort);
    expect(tls).toBeDefined();
    expect(tls.findings.join("; ")).toMatch(/expired/);
    expect(tls.findings.join("; ")).toMatch(/self-signed/);
  });

  it("stops everything it started and reports progress", () => {
    expect(stderr).toMatch(/topology: \d+ queues/);
    expect(stderr).toMatch(/in flight/);
  });

  it("writes an HTML report that renders the findings in a browser", async () => {
    if (!CHROMIUM) throw new Error("Debian's chromium is needed to render the report (.ci/run installs it)");
    const report = readFileSync(out.report, "utf8");
    expect(report).toContain("sec-an local run");
    const { stdout } = await promisify(execFile)(
      CHROMIUM!,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        `--user-data-dir=${join(dataDir, "chromium")}`,
        "--virtual-time-budget=20000",
        "--dump-dom",
        `file://${out.report}`,
      ],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    expect(stdout).toContain(`${out.demo.host}:${out.demo.tlsPort}`);
    expect(stdout).toMatch(/<b id="n-ports">\d+<\/b>/);
    expect(stdout).toMatch(/expired/);
    // Every dashboard's panels drawn, and the open-services chart's points are the store's open ports by service.
    const figures = [
      ...stdout.matchAll(/<figure class="panel" data-panel="[^"]+" data-chart="[^"]+"([^>]*)>/g),
    ];
    const summary = JSON.parse(readFileSync(join(dataDir, "summary.json"), "utf8"));
    expect(figures).toHaveLength(summary.dashboards.reduce((n: number, d: any) => n + d.panels.length, 0));
    expect(figures.filter((f) => !/data-rendered="true"/.test(f[1]))).toEqual([]);
    const store = await SqliteStore.open(join(dataDir, "analytics.sqlite"));
    const open = (store.dump()["nmap_ports_snapshot.read"] ?? [])
      .map((d) => d.source as any)
      .filter((d) => d.state === "open");
    store.close();
    const direct = new Map<string, number>();
    for (const d of open) direct.set(String(d.service), (direct.get(String(d.service)) ?? 0) + 1);
    const services = figures.find((f) =>
      f[0].includes(
        `data-panel="${summary.dashboards.flatMap((d: any) => d.panels).find((p: any) => p.title === "nmap: open services").id}"`,
      ),
    )!;
    const points = JSON.parse(
      /data-points="([^"]*)"/
        .exec(services[1])![1]
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, "&"),
    );
    expect(points.map((p: any) => [p.service, p.value]).sort()).toEqual([...direct].sort());
    expect(open.length).toBeGreaterThan(0);
  });
});

describe("sec-an local --scanners ssl (the path taken without nmap)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sec-an-local-ssl-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("feeds the TLS scanner port events for the demo services and reports the weak certificate", async () => {
    const r = await runCli(
      ["local", "--scanners", "ssl", "--json", "--data-dir", dataDir, "--timeout", "120"],
      180_000,
    );
    if (r.code !== 0) throw new Error(`sec-an local exited ${r.code}\n${r.stderr.slice(-3000)}`);
    const out = JSON.parse(r.stdout);
    expect(out.openPorts).toEqual([]);
    const tls = out.tls.find((t: { port: number }) => t.port === out.demo.tlsPort);
    expect(tls.findings.join("; ")).toMatch(/expired.*\bdays ago/);
    expect(tls.facts.key_bits).toBe(1024);
  }, 200_000);
});
