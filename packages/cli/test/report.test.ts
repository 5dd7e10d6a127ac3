import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { StoredDoc } from "@sec-an/project-analytics-platform";
import {
  htmlReport,
  matchesQuery,
  panelPoints,
  registeredViews,
  reportDashboards,
  summarise,
} from "../src/local/report";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);

/** A small store as a local run leaves it: nmap ports and hosts, ssl endpoints, a dead letter. */
const stored = (index: string, sources: Record<string, unknown>[]): StoredDoc[] =>
  sources.map((source, i) => ({ index, id: `${index}-${i}`, source }));
const t0 = "2026-11-26T10:00:00.000Z";
const t1 = "2026-11-27T10:00:00.000Z";
const port = (address: string, port_id: number, service: string, state = "open", scan_end_time = t1) => ({
  address,
  port_id,
  port_str: `${port_id}/tcp`,
  protocol: "tcp",
  state,
  service,
  product: `${service}d`,
  version: "1.0",
  scan_end_time,
});
const all: Record<string, StoredDoc[]> = {
  "nmap_ports_snapshot.read": stored("nmap_ports_snapshot.read", [
    port("127.0.0.2", 80, "http"),
    port("127.0.0.2", 443, "https"),
    port("127.0.0.2", 8443, "https"),
    port("127.0.0.3", 22, "ssh"),
    port("127.0.0.3", 23, "telnet", "closed"),
  ]),
  "nmap_ports_history.read": stored("nmap_ports_history.read", [
    port("127.0.0.2", 80, "http", "open", t0),
    port("127.0.0.2", 80, "http", "open", t1),
    port("127.0.0.2", 443, "https", "open", t1),
  ]),
  "nmap_data_snapshot.read": stored("nmap_data_snapshot.read", [
    {
      address: "127.0.0.2",
      status: "up",
      summary_highest_cve_severity: 9.8,
      summary_highest_cve_severity_label: "critical",
      summary_cve_count: 2,
      summary_most_likely_os: "Linux 5.X",
      scan_end_time: t1,
    },
    { address: "127.0.0.3", status: "up", summary_cve_count: 0, scan_end_time: t1 },
  ]),
  "nmap_data_history.read": stored("nmap_data_history.read", [
    { address: "127.0.0.2", status: "up", scan_end_time: t0 },
    { address: "127.0.0.2", status: "up", scan_end_time: t1 },
    { address: "127.0.0.3", status: "up", scan_end_time: t1 },
  ]),
  "ssl_endpoint_snapshot.read": stored("ssl_endpoint_snapshot.read", [
    {
      address: "127.0.0.2",
      port: 443,
      hostname: "demo.test",
      connected: true,
      days_to_expiry: -1,
      chain_status: "invalid",
      weakest_protocol: "TLSv1.2",
      scan_end_time: t1,
    },
  ]),
  "dead_letter_data.read": stored("dead_letter_data.read", [
    { queueName: "dev-sec-an-nmap-dlq", errorCode: "InvalidTarget", reason: "not loopback", sentTime: t1 },
  ]),
};

describe("report dashboards", () => {
  const views = registeredViews().map((r) => r.views);
  const dashboards = reportDashboards(all, views);

  it("reads saved queries the way Dashboards does", () => {
    const d = { a: "x", n: 5, list: ["p", "q"], when: "2026-11-27T12:00:00Z" };
    expect(matchesQuery("a:x and n >= 5", d)).toBe(true);
    expect(matchesQuery("a:(y or x) and not n < 5", d)).toBe(true);
    expect(matchesQuery('list:"q" and missing:*', d)).toBe(false);
    expect(matchesQuery("when:[now TO now+1d}", d, Date.parse("2026-11-27T00:00:00Z"))).toBe(true);
    expect(matchesQuery("when:[now TO now+1d}", d, Date.parse("2026-11-28T00:00:00Z"))).toBe(false);
    expect(() => matchesQuery("a:x and ~fuzzy", d)).toThrow(/cannot read the query/);
  });

  it("has every project's dashboards, each panel an object the views define", () => {
    const titles = dashboards.map((d) => d.title);
    for (const t of [
      "nmap: open ports",
      "SSL: overview",
      "Security overview",
      "DNS Ingestion and Dead Letters",
    ])
      expect(titles).toContain(t);
    for (const d of dashboards)
      for (const p of d.panels)
        expect(`${d.title}: ${p.title}: ${p.missing ?? "ok"}`).toBe(`${d.title}: ${p.title}: ok`);
  });

  it("loses only the panel whose query it cannot read", () => {
    const odd = views.map((v) => ({
      ...v,
      savedObjects: v.savedObjects.map((o) =>
        o.logicalName === "nmap.open-services"
          ? {
              ...o,
              template: JSON.parse(JSON.stringify(o.template).replace("state:open", "state:open and ~x")),
            }
          : o,
      ),
    }));
    const panels = reportDashboards(all, odd).flatMap((d) => d.panels);
    expect(panels.filter((p) => p.missing).map((p) => [p.title, p.missing])).toEqual(
      expect.arrayContaining([["nmap: open services", expect.stringMatching(/cannot read the query/)]]),
    );
    expect(new Set(panels.filter((p) => p.missing).map((p) => p.title))).toEqual(
      new Set(["nmap: open services"]),
    );
  });

  it("computes a chart's points as a direct query of the store gives them", () => {
    const services = dashboards.flatMap((d) => d.panels).find((p) => p.title === "nmap: open services")!;
    const direct = new Map<string, number>();
    for (const { source } of all["nmap_ports_snapshot.read"])
      if (source.state === "open")
        direct.set(String(source.service), (direct.get(String(source.service)) ?? 0) + 1);
    expect(panelPoints(services, services.docs)).toEqual(
      [...direct]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([service, value]) => ({ service, value })),
    );
  });

  it("renders every dashboard's panels in headless Chromium, offline, with the points computed here", async () => {
    if (!CHROMIUM) throw new Error("Debian's chromium is needed to render the report (.ci/run installs it)");
    const dir = mkdtempSync(join(tmpdir(), "sec-an-report-"));
    try {
      const summary = summarise(all, views);
      const html = htmlReport(summary, {
        startedAt: new Date(t0),
        finishedAt: new Date(t1),
        targets: ["127.0.0.2"],
      });
      expect(html).not.toMatch(/<script[^>]+src=/); // inlined: nothing fetched
      const file = join(dir, "report.html");
      writeFileSync(file, html);
      const dump = async (url: string) =>
        (
          await promisify(execFile)(
            CHROMIUM!,
            [
              "--headless",
              "--no-sandbox",
              "--disable-gpu",
              "--disable-extensions",
              "--disable-sync",
              "--no-first-run",
              `--user-data-dir=${join(dir, "chromium")}`,
              "--virtual-time-budget=20000",
              "--dump-dom",
              url,
            ],
            { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
          )
        ).stdout;
      const stdout = await dump(`file://${file}`);
      const figures = [
        ...stdout.matchAll(/<figure class="panel" data-panel="([^"]+)" data-chart="([^"]+)"([^>]*)>/g),
      ].map((m) => ({
        id: m[1],
        chart: m[2],
        rendered: /data-rendered="true"/.test(m[3]),
        points: /data-points="([^"]*)"/.exec(m[3])?.[1],
      }));
      const expected = summary.dashboards!.reduce((n, d) => n + d.panels.length, 0);
      expect(figures).toHaveLength(expected);
      expect(figures.filter((f) => !f.rendered)).toEqual([]);
      // Vega drew charts (SVG) for the chart kinds.
      expect(stdout).toMatch(/<svg[^>]*class="marks"/);
      const services = summary
        .dashboards!.flatMap((d) => d.panels)
        .find((p) => p.title === "nmap: open services")!;
      const drawn = figures.find((f) => f.id === services.id)!;
      const unescape = (s: string) =>
        s
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, "&")
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">");
      expect(JSON.parse(unescape(drawn.points!))).toEqual(panelPoints(services, services.docs));

      // A filter control (preset by the link) narrows every panel of its dashboard, and only of its own.
      const filtered = await dump(`file://${file}#service=https`);
      const pointsIn = (title: string) => {
        const dash = summary.dashboards!.find((d) => d.title === title)!;
        const section = filtered.slice(filtered.indexOf(`data-dashboard="${dash.id}"`));
        const m = new RegExp(`data-panel="${services.id}"[^>]*data-points="([^"]*)"`).exec(section)!;
        return JSON.parse(unescape(m[1]));
      };
      expect(pointsIn("nmap: open ports")).toEqual([{ service: "https", value: 2 }]);
      // The attack-surface overview has no service control: unfiltered.
      expect(pointsIn("nmap: attack surface overview")).toEqual(panelPoints(services, services.docs));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
