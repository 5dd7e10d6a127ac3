import { readFileSync } from "node:fs";
import { join } from "node:path";
import { savedObjectId, type ProjectViews, type SavedObjectDecl } from "@sec-an/contracts";
import { repoRoot } from "@sec-an/contracts/registry";
import { loadAllViews } from "./views-lib";

/**
 * Dashboards at least on par with the original platform, re-counted from the projects' own views:
 * searches, visualisations (filter controls included, as the original counted them) and dashboards
 * per project, filter controls in all, and the questions an operator asks of nmap each answered.
 */
const ORIGINAL: Record<string, { searches: number; visualisations: number; dashboards: number }> = {
  nmap: { searches: 4, visualisations: 30, dashboards: 7 },
  ssl: { searches: 2, visualisations: 5, dashboards: 1 },
  "task-execution": { searches: 3, visualisations: 9, dashboards: 2 },
};
const ORIGINAL_CONTROLS = 7;

const all = loadAllViews();
const isControl = (o: SavedObjectDecl) =>
  o.type === "visualization" &&
  JSON.parse(String(o.template.attributes.visState)).type === "input_control_vis";
function count(v: ProjectViews) {
  const of = (t: string) => v.savedObjects.filter((o) => o.type === t).length;
  return {
    searches: of("search"),
    visualisations: of("visualization"),
    controls: v.savedObjects.filter(isControl).length,
    dashboards: of("dashboard"),
  };
}
const counts = Object.fromEntries(all.map((a) => [a.project, count(a.views)]));

describe("dashboards on par with the original", () => {
  it.each(Object.entries(ORIGINAL))(
    "%s has at least the original's searches, visualisations and dashboards",
    (p, min) => {
      const c = counts[p];
      expect({
        searches: c.searches >= min.searches,
        visualisations: c.visualisations >= min.visualisations,
        dashboards: c.dashboards >= min.dashboards,
        c,
      }).toEqual({
        searches: true,
        visualisations: true,
        dashboards: true,
        c,
      });
    },
  );

  it("has at least the original's filter controls, and every scanner's dashboards have one", () => {
    expect(Object.values(counts).reduce((n, c) => n + c.controls, 0)).toBeGreaterThanOrEqual(
      ORIGINAL_CONTROLS,
    );
    for (const p of ["nmap", "ssl", "task-execution"]) expect(counts[p].controls).toBeGreaterThan(0);
  });

  it("answers what an operator asks of nmap, each on a dashboard", () => {
    const nmap = all.find((a) => a.project === "nmap")!.views.savedObjects;
    const onDashboards = new Set(
      nmap.filter((o) => o.type === "dashboard").flatMap((d) => Object.values(d.substitutions)),
    );
    const vis = (name: string) => {
      const o = nmap.find((x) => x.type === "visualization" && x.logicalName === `nmap.${name}`);
      expect(
        o && onDashboards.has(savedObjectId("visualization", o.logicalName))
          ? name
          : `${name}: missing or on no dashboard`,
      ).toBe(name);
      return JSON.parse(String(o!.template.attributes.visState)) as {
        type: string;
        aggs: { type: string; params: { field?: string } }[];
        params: { controls?: { fieldName: string }[] };
      };
    };
    const fields = (v: ReturnType<typeof vis>) => v.aggs.map((a) => `${a.type}:${a.params.field ?? ""}`);
    // Open ports over time, by service, product and version.
    for (const [name, field] of [
      ["open-ports-over-time-by-service", "service"],
      ["open-ports-over-time-by-product", "product"],
      ["open-ports-over-time-by-version", "version"],
    ])
      expect(fields(vis(name))).toEqual(["count:", "date_histogram:scan_end_time", `terms:${field}`]);
    // New ports since the last scan: each open port's first sighting, newest first.
    expect(fields(vis("new-open-ports"))).toEqual([
      "min:scan_end_time",
      "terms:address",
      "terms:port_str",
      "terms:service",
    ]);
    expect(fields(vis("hosts-with-cves-over-time"))).toContain("terms:cve_severity_label");
    expect(fields(vis("weakest-tls-hosts"))).toContain("terms:summary_lowest_ssl_strength");
    expect(fields(vis("cert-expiry-timeline"))).toEqual(["count:", "date_histogram:validity.notAfter"]);
    expect(fields(vis("likely-os"))).toContain("terms:summary_most_likely_os");
    expect(fields(vis("scans-per-day"))).toEqual(["count:", "date_histogram:scan_end_time"]);
    const controlled = ["host-filter", "port-filter", "cve-severity-filter"].flatMap((c) =>
      vis(c).params.controls!.map((x) => x.fieldName),
    );
    expect(controlled).toEqual(
      expect.arrayContaining(["address", "port_str", "service", "cve_severity_label"]),
    );
  });

  it("has one overview dashboard across nmap, ssl, DNS, dead letters, http headers (and config findings once they have views)", () => {
    const owners = new Map(
      all.flatMap((a) =>
        a.views.savedObjects.map((o) => [savedObjectId(o.type, o.logicalName), a.project] as const),
      ),
    );
    const overview = all
      .find((a) => a.project === "analytics-platform")!
      .views.savedObjects.find((o) => o.type === "dashboard" && o.logicalName === "platform-overview")!;
    const projects = new Set(Object.values(overview.substitutions).map((id) => owners.get(id)));
    const expected = ["nmap", "ssl", "task-execution", "analytics-platform", "http-headers"];
    if (owners.size && all.some((a) => a.project === "config-scanner")) expected.push("config-scanner");
    expect([...projects].sort()).toEqual(expected.sort());
  });

  it("docs/dashboards-catalogue.md states the counts the views have", () => {
    const doc = readFileSync(join(repoRoot(__dirname)!, "docs", "dashboards-catalogue.md"), "utf8");
    const rows = Object.fromEntries(
      [...doc.matchAll(/^\| `([a-z-]+)` \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|/gm)].map((m) => [
        m[1],
        { searches: +m[2], visualisations: +m[3], controls: +m[4], dashboards: +m[5] },
      ]),
    );
    expect(rows).toEqual(counts);
  });
});
