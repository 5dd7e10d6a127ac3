import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { StoredDoc } from "@sec-an/project-analytics-platform";
import {
  savedObjectId,
  scannerViews,
  type ProjectViews,
  type SavedObjectDecl,
  type ScannerModule,
} from "@sec-an/contracts";
import { discoverProjects, loadProjectSync, repoRoot } from "@sec-an/contracts/registry";

/**
 * What a person reads after a local run: a terminal summary and a self-contained HTML report standing
 * in for the dashboards. Both are built from the documents in the local store, nothing else.
 */
export interface RunSummary {
  hosts: { address: string; status?: string; hostnames: string[] }[];
  openPorts: {
    address: string;
    port: number;
    protocol: string;
    service?: string;
    product?: string;
    tunnel?: string;
  }[];
  tls: {
    address: string;
    port: number;
    hostname?: string;
    findings: string[];
    facts: Record<string, unknown>;
  }[];
  deadLetters: { queue: string; reason?: string; time?: string }[];
  documents: Record<string, number>;
  /** Every project's dashboards, with the documents each panel reads (drawn by the report's page). */
  dashboards?: ReportDashboard[];
}

const pick = (d: Record<string, unknown>, ...names: string[]): any => {
  for (const n of names) if (d[n] !== undefined && d[n] !== null) return d[n];
  return undefined;
};

/** Documents of one logical index family, e.g. ("nmap", "ports") → `nmap_ports_snapshot.read`. */
function docs(all: Record<string, StoredDoc[]>, task: string, docType: string): Record<string, unknown>[] {
  for (const name of [`${task}_${docType}_snapshot.read`, `${task}_${docType}.read`])
    if (all[name]) return all[name].map((d) => d.source);
  return [];
}

export function summarise(
  all: Record<string, StoredDoc[]>,
  views: readonly ProjectViews[] = registeredViews().map((r) => r.views),
): RunSummary {
  const hosts = docs(all, "nmap", "data").map((d) => ({
    address: String(pick(d, "address") ?? "?"),
    status: pick(d, "status", "state"),
    hostnames: []
      .concat(pick(d, "hostnames") ?? [])
      .map((h: any) => (typeof h === "string" ? h : h?.name))
      .filter(Boolean),
  }));
  const openPorts = docs(all, "nmap", "ports")
    .filter((d) => (pick(d, "state") ?? "open") === "open")
    .map((d) => ({
      address: String(pick(d, "address")),
      port: Number(pick(d, "port", "port_id", "portid")),
      protocol: String(pick(d, "protocol") ?? "tcp"),
      service: pick(d, "service", "service_name"),
      product: pick(d, "product", "service_product"),
      tunnel: pick(d, "tunnel", "service_tunnel"),
    }))
    .sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  const tls = tlsFindings(all);
  const deadLetters = (all["dead_letter_data.read"] ?? all["dead_letter_data_snapshot.read"] ?? []).map(
    (d) => ({
      queue: String(pick(d.source, "queueName", "deadletterqueuename") ?? "?"),
      reason: pick(d.source, "reason", "errormessage"),
      time: pick(d.source, "sentTime", "deadlettersenttime"),
    }),
  );
  const documents = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.length]));
  return { hosts, openPorts, tls, deadLetters, documents, dashboards: reportDashboards(all, views) };
}

function tlsFindings(all: Record<string, StoredDoc[]>): RunSummary["tls"] {
  // The ssl parser's summary fields ride on its documents (summary_* when posted with summaries).
  const out = new Map<string, RunSummary["tls"][number]>();
  for (const [index, list] of Object.entries(all)) {
    if (!index.startsWith("ssl_") || !index.includes("snapshot")) continue;
    for (const { source } of list) {
      const d = source as Record<string, unknown>;
      const address = String(pick(d, "address") ?? "?");
      const port = Number(pick(d, "port") ?? 0);
      const key = `${address}:${port}`;
      const entry: RunSummary["tls"][number] = out.get(key) ?? {
        address,
        port,
        hostname: pick(d, "hostname"),
        findings: [],
        facts: {},
      };
      for (const [k, v] of Object.entries(d)) {
        if (k.startsWith("summary_") && v !== undefined) entry.facts[k.slice(8)] = v;
      }
      out.set(key, entry);
    }
  }
  for (const e of out.values()) {
    const f = e.facts;
    if (f.chain_valid === false) e.findings.push("certificate chain does not verify");
    if (f.self_signed === true) e.findings.push("self-signed certificate");
    if (typeof f.days_to_expiry === "number" && f.days_to_expiry < 0)
      e.findings.push(`certificate expired ${-f.days_to_expiry} days ago`);
    else if (typeof f.days_to_expiry === "number" && f.days_to_expiry < 30)
      e.findings.push(`certificate expires in ${f.days_to_expiry} days`);
    if (typeof f.weakest_protocol === "string" && /TLSv1(\.[01])?$|SSL/.test(f.weakest_protocol))
      e.findings.push(`accepts ${f.weakest_protocol}`);
    if (typeof f.key_bits === "number" && f.key_bits < 2048) e.findings.push(`${f.key_bits}-bit key`);
    if (f.hostname_mismatch === true) e.findings.push("hostname does not match the certificate");
  }
  return [...out.values()];
}

export function terminalSummary(s: RunSummary): string {
  const lines = [
    `Hosts: ${s.hosts.length}`,
    ...s.hosts.map(
      (h) =>
        `  ${h.address}${h.status ? ` (${h.status})` : ""}${h.hostnames.length ? ` ${h.hostnames.join(", ")}` : ""}`,
    ),
    `Open ports: ${s.openPorts.length}`,
    ...s.openPorts.map(
      (p) =>
        `  ${p.address}:${p.port}/${p.protocol} ${[p.tunnel === "ssl" ? "ssl/" : "", p.service ?? "", p.product ? ` (${p.product})` : ""].join("")}`,
    ),
    `TLS endpoints: ${s.tls.length}`,
    ...s.tls.map(
      (t) => `  ${t.address}:${t.port}: ${t.findings.length ? t.findings.join("; ") : "no findings"}`,
    ),
    `Dead letters: ${s.deadLetters.length}`,
    ...s.deadLetters.slice(0, 10).map((d) => `  ${d.queue}: ${d.reason ?? ""}`),
  ];
  return lines.join("\n") + "\n";
}

const esc = (v: unknown) =>
  String(v ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

function table(headers: string[], rows: unknown[][], id: string): string {
  if (!rows.length) return `<p class="empty" id="${id}">None.</p>`;
  return `<table id="${id}"><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

export function htmlReport(
  s: RunSummary,
  meta: { startedAt: Date; finishedAt: Date; targets: string[] },
): string {
  const findings = s.tls.reduce((n, t) => n + t.findings.length, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sec-an local run</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2430;background:#f7f8fa}
h1{margin:0 0 .25rem}h2{margin-top:2rem;border-bottom:1px solid #d8dde6;padding-bottom:.25rem}
.meta{color:#5b6576}.cards{display:flex;gap:1rem;margin:1rem 0}.card{background:#fff;border:1px solid #d8dde6;border-radius:8px;padding:.75rem 1.25rem;min-width:8rem}
.card b{display:block;font-size:1.8rem}.bad b{color:#b3261e}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border:1px solid #d8dde6;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#eef1f6}.finding{color:#b3261e;font-weight:600}.empty{color:#5b6576}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}.panel{background:#fff;border:1px solid #d8dde6;border-radius:8px;margin:0;padding:.75rem;overflow:auto;max-height:26rem}
.panel figcaption{font-weight:600;margin-bottom:.5rem}.panel label{display:block;margin:.25rem 0}
</style></head><body>
<h1>sec-an local run</h1>
<p class="meta">Targets: ${esc(meta.targets.join(", "))} · ${esc(meta.startedAt.toISOString())} → ${esc(meta.finishedAt.toISOString())}</p>
<div class="cards">
<div class="card"><b id="n-hosts">${s.hosts.length}</b>hosts</div>
<div class="card"><b id="n-ports">${s.openPorts.length}</b>open ports</div>
<div class="card ${findings ? "bad" : ""}"><b id="n-findings">${findings}</b>TLS findings</div>
<div class="card ${s.deadLetters.length ? "bad" : ""}"><b id="n-dead">${s.deadLetters.length}</b>dead letters</div>
</div>
<h2>TLS findings</h2>
${table(
  ["endpoint", "findings", "facts"],
  s.tls.map((t) => [
    `${t.address}:${t.port}`,
    t.findings.join("; ") || "none",
    Object.entries(t.facts)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(", "),
  ]),
  "tls",
)}
<h2>Open ports</h2>
${table(
  ["address", "port", "protocol", "service", "product", "tunnel"],
  s.openPorts.map((p) => [p.address, p.port, p.protocol, p.service, p.product, p.tunnel]),
  "ports",
)}
<h2>Hosts</h2>
${table(
  ["address", "status", "hostnames"],
  s.hosts.map((h) => [h.address, h.status, h.hostnames.join(", ")]),
  "hosts",
)}
<h2>Dead letters</h2>
${table(
  ["queue", "reason", "time"],
  s.deadLetters.map((d) => [d.queue, d.reason, d.time]),
  "dead-letters",
)}
<h2>Documents by index</h2>
${table(["index", "documents"], Object.entries(s.documents).sort(), "indices")}
${dashboardsSection(s.dashboards ?? [])}
</body></html>
`;
}

// ---------------------------------------------------------------------------------------------------
// Dashboards: the projects' own saved objects, drawn with Vega-Lite against the local store.

/** One bucket or metric aggregation of a visualisation, as the page computes it. */
export interface PanelAgg {
  readonly type: string;
  readonly schema: string;
  readonly field?: string;
  readonly size?: number;
  readonly order?: string;
  readonly missing?: string;
  readonly interval?: number;
}

export interface ReportPanel {
  /** Saved-object id. */
  readonly id: string;
  readonly title: string;
  /** The Dashboards chart type (`metric`, `pie`, `table`, `line`, …), `search`, or `input_control_vis`. */
  readonly chart: string;
  readonly aggs: readonly PanelAgg[];
  /** Search columns, or a control's fields. */
  readonly fields: readonly string[];
  /** The documents the panel reads: its index's, filtered by its saved query. */
  readonly docs: readonly Record<string, unknown>[];
  /** Set when the panel could not be prepared (its object or index is missing). */
  readonly missing?: string;
}

export interface ReportDashboard {
  readonly id: string;
  readonly title: string;
  readonly panels: readonly ReportPanel[];
}

/**
 * The views of every registered project with a views/ folder: exported as `views` from its src/views,
 * or, for a scanner that does not, its scanner module's views.
 */
export function registeredViews(
  root = repoRoot(__dirname),
): { readonly project: string; readonly views: ProjectViews }[] {
  if (!root) return [];
  return discoverProjects(root)
    .filter((p) => existsSync(join(p.dir, "views")))
    .map((p) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(join(p.dir, "src", "views")) as { views?: ProjectViews };
      const scanner = mod.views ? undefined : (loadProjectSync(p).scanner as ScannerModule | undefined);
      const views = mod.views ?? (scanner && scannerViews(scanner.name, scanner.views));
      if (!views) throw new Error(`${p.name}: src/views exports no views (the one views format)`);
      return { project: p.name, views };
    });
}

const get = (d: Record<string, unknown>, field: string): unknown =>
  field.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as any)[k] : undefined), d);

/**
 * Whether a document matches a saved query: the KQL the views use (`f:v`, `f:*`, `f:(a or b)`,
 * `f < n`, `and`, `or`, `not`, parentheses, quoted values) and Lucene ranges (`f:[now TO now+1d}`).
 */
export function matchesQuery(query: string, doc: Record<string, unknown>, now = Date.now()): boolean {
  const tokens = query.match(/"[^"]*"|\[[^\]]*[\]}]|[()]|<=|>=|[<>:]|[^\s()<>:"]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i]?.toLowerCase();
  const values = (field: string): unknown[] => {
    const v = get(doc, field);
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  };
  const when = (t: string) => {
    const m = /^now(?:([+-])(\d+)([dhm]))?$/.exec(t.trim());
    if (!m) return Date.parse(t);
    const n = m[2] ? Number(m[2]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[3] as "d"] : 0;
    return now + (m[1] === "-" ? -n : n);
  };
  const equals = (field: string, raw: string) => {
    const want = raw.startsWith('"') ? raw.slice(1, -1) : raw;
    if (want === "*") return values(field).length > 0;
    return values(field).some((v) => String(v) === want);
  };
  const term = (): boolean => {
    const t = tokens[i++];
    if (t === undefined) return true;
    if (t.toLowerCase() === "not") return !term();
    if (t === "(") {
      const r = or();
      i++; // ")"
      return r;
    }
    const op = tokens[i];
    if (op === ":") {
      i++;
      const v = tokens[i++] ?? "";
      if (v === "(") {
        const alts: string[] = [];
        while (tokens[i] !== undefined && tokens[i] !== ")") {
          if (peek() !== "or") alts.push(tokens[i]);
          i++;
        }
        i++;
        return alts.some((a) => equals(t, a));
      }
      if (v.startsWith("[")) {
        const [lo, hi] = v.slice(1, -1).split(/\s+TO\s+/);
        const upperOpen = v.endsWith("}");
        return values(t).some((x) => {
          const n = typeof x === "number" ? x : Date.parse(String(x));
          return n >= when(lo) && (upperOpen ? n < when(hi) : n <= when(hi));
        });
      }
      return equals(t, v);
    }
    if (op === "<" || op === ">" || op === "<=" || op === ">=") {
      i++;
      const bound = Number(tokens[i++]);
      return values(t).some((x) => {
        const n = Number(x);
        return op === "<" ? n < bound : op === ">" ? n > bound : op === "<=" ? n <= bound : n >= bound;
      });
    }
    throw new Error(`cannot read the query ${JSON.stringify(query)} at ${JSON.stringify(t)}`);
  };
  const and = (): boolean => {
    let r = term();
    while (peek() === "and") {
      i++;
      r = term() && r;
    }
    return r;
  };
  const or = (): boolean => {
    let r = and();
    while (peek() === "or") {
      i++;
      r = and() || r;
    }
    return r;
  };
  return or();
}

const attrsOf = (o: SavedObjectDecl) => o.template.attributes as Record<string, any>;
const queryOf = (o: SavedObjectDecl): string =>
  JSON.parse(attrsOf(o).kibanaSavedObjectMeta?.searchSourceJSON ?? "{}").query?.query ?? "";

/** Each dashboard of `views`, its panels with the documents they read from `all` (the local store). */
export function reportDashboards(
  all: Record<string, StoredDoc[]>,
  views: readonly ProjectViews[],
): ReportDashboard[] {
  const bases = new Map(
    views.flatMap((v) => v.indexes.map((ix) => [savedObjectId("index-pattern", ix.base), ix.base])),
  );
  const objects = new Map(
    views.flatMap((v) => v.savedObjects.map((o) => [savedObjectId(o.type, o.logicalName), o] as const)),
  );
  const docsOf = (patternId: string | undefined) => {
    const base = patternId && bases.get(patternId);
    return base ? (all[`${base}.read`] ?? []).map((d) => d.source as Record<string, unknown>) : undefined;
  };
  const panel = (id: string): ReportPanel => {
    const o = objects.get(id);
    if (!o)
      return { id, title: id, chart: "missing", aggs: [], fields: [], docs: [], missing: "no such object" };
    const search = o.substitutions.search ? objects.get(o.substitutions.search) : undefined;
    const docs = docsOf(o.substitutions.index ?? search?.substitutions.index);
    if (!docs)
      return { id, title: o.title, chart: "missing", aggs: [], fields: [], docs: [], missing: "no index" };
    const queries = [queryOf(o), search ? queryOf(search) : ""].filter(Boolean);
    let matching: Record<string, unknown>[];
    try {
      matching = docs.filter((d) => queries.every((q) => matchesQuery(q, d)));
    } catch (e) {
      // One query this reader does not understand loses that panel, not the report.
      return {
        id,
        title: o.title,
        chart: "missing",
        aggs: [],
        fields: [],
        docs: [],
        missing: (e as Error).message,
      };
    }
    if (o.type === "search")
      return {
        id,
        title: o.title,
        chart: "search",
        aggs: [],
        fields: attrsOf(o).columns ?? [],
        docs: matching,
      };
    const vis = JSON.parse(attrsOf(o).visState) as {
      type: string;
      aggs: { type: string; schema: string; params: Record<string, any> }[];
      params: { controls?: { fieldName: string }[] };
    };
    return {
      id,
      title: o.title,
      chart: vis.type,
      aggs: vis.aggs.map((a) => ({
        type: a.type,
        schema: a.schema,
        field: a.params.field,
        size: a.params.size,
        order: a.params.order,
        missing: a.params.missingBucket ? (a.params.missingBucketLabel ?? "(missing)") : undefined,
        interval: typeof a.params.interval === "number" ? a.params.interval : undefined,
      })),
      fields: (vis.params.controls ?? []).map((c) => c.fieldName),
      docs: matching,
    };
  };
  return [...objects.entries()]
    .filter(([, o]) => o.type === "dashboard")
    .map(([id, d]) => ({
      id,
      title: d.title,
      panels: Object.keys(d.substitutions)
        .filter((k) => k.startsWith("panel_"))
        .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)))
        .map((k) => panel(d.substitutions[k])),
    }));
}

/**
 * The data points of a panel, as the page computes and draws them (also run here by the tests): the
 * metric over the documents, split by the bucket aggregations. Written without closures over this
 * module, because the page runs its source.
 */
export function panelPoints(
  panel: Pick<ReportPanel, "chart" | "aggs" | "fields">,
  docs: readonly Record<string, unknown>[],
): Record<string, unknown>[] {
  const read = (d: Record<string, unknown>, f: string): unknown[] => {
    const v = f
      .split(".")
      .reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as any)[k] : undefined), d);
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  };
  if (panel.chart === "search")
    return docs
      .slice(0, 100)
      .map((d) => Object.fromEntries(panel.fields.map((f) => [f, read(d, f).join(", ")])));
  const metric = panel.aggs.find((a) => a.schema === "metric") ?? { type: "count", schema: "metric" };
  const measure = (ds: readonly Record<string, unknown>[]): number | null => {
    if (metric.type === "count") return ds.length;
    const vals = ds.flatMap((d) => read(d, metric.field!));
    if (metric.type === "cardinality") return new Set(vals.map((v) => JSON.stringify(v))).size;
    const nums = vals
      .map((v) => (typeof v === "number" ? v : Date.parse(String(v))))
      .filter((n) => !Number.isNaN(n));
    if (!nums.length) return null;
    if (metric.type === "min") return Math.min(...nums);
    if (metric.type === "max") return Math.max(...nums);
    const sum = nums.reduce((a, b) => a + b, 0);
    return metric.type === "sum" ? sum : sum / nums.length;
  };
  const buckets = panel.aggs.filter((a) => a.schema !== "metric");
  const keysOf = (a: PanelAgg, d: Record<string, unknown>): string[] => {
    const vals = read(d, a.field!);
    if (a.type === "date_histogram")
      return vals.map((v) => new Date(typeof v === "number" ? v : String(v)).toISOString().slice(0, 10));
    if (a.type === "histogram") {
      const step = a.interval ?? 1;
      return vals.map((v) => String(Math.floor(Number(v) / step) * step));
    }
    const keys = vals.map((v) => String(v));
    return keys.length ? keys : a.missing !== undefined ? [a.missing] : [];
  };
  const split = (
    level: number,
    ds: readonly Record<string, unknown>[],
    row: Record<string, unknown>,
  ): Record<string, unknown>[] => {
    if (level === buckets.length) return [{ ...row, value: measure(ds) }];
    const a = buckets[level];
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const d of ds) for (const k of new Set(keysOf(a, d))) groups.set(k, [...(groups.get(k) ?? []), d]);
    let entries = [...groups.entries()].map(([k, g]) => ({ k, g, m: measure(g) ?? 0 }));
    if (a.type === "terms") {
      entries.sort((x, y) => (a.order === "asc" ? x.m - y.m : y.m - x.m) || x.k.localeCompare(y.k));
      entries = entries.slice(0, a.size ?? 10);
    } else entries.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
    return entries.flatMap((e) => split(level + 1, e.g, { ...row, [a.field!]: e.k }));
  };
  return split(0, docs, {});
}

/** The Vega-Lite spec of a panel's points (tables, searches and controls are HTML). */
export function vegaLiteSpec(panel: Pick<ReportPanel, "chart" | "aggs">, points: Record<string, unknown>[]) {
  const buckets = panel.aggs.filter((a) => a.schema !== "metric");
  const [x, series] = buckets;
  const timeX = x?.type === "date_histogram";
  const base = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    data: { values: points },
    width: 360,
    height: 200,
  };
  const color = series ? { color: { field: series.field, type: "nominal" } } : {};
  switch (panel.chart) {
    case "metric":
      return {
        ...base,
        height: 60,
        mark: { type: "text", fontSize: 40 },
        encoding: { text: { field: "value", type: "quantitative" } },
      };
    case "pie":
      return {
        ...base,
        mark: { type: "arc", innerRadius: 40 },
        encoding: {
          theta: { field: "value", type: "quantitative" },
          color: { field: x?.field, type: "nominal" },
        },
      };
    case "line":
    case "area":
      return {
        ...base,
        mark: { type: panel.chart, point: true },
        encoding: {
          x: { field: x?.field, type: timeX ? "temporal" : "ordinal" },
          y: { field: "value", type: "quantitative" },
          ...color,
        },
      };
    case "horizontal_bar":
    case "tagcloud":
      return {
        ...base,
        mark: "bar",
        encoding: {
          y: { field: x?.field, type: "nominal", sort: "-x" },
          x: { field: "value", type: "quantitative" },
          ...color,
        },
      };
    default:
      return {
        ...base,
        mark: "bar",
        encoding: {
          x: { field: x?.field, type: timeX ? "temporal" : x?.type === "histogram" ? "ordinal" : "nominal" },
          y: { field: "value", type: "quantitative" },
          ...color,
        },
      };
  }
}

/** A file of an installed package (its exports map hides build/): found from the package's entry. */
function vendor(pkg: string, file: string): string {
  let dir = dirname(require.resolve(pkg));
  while (
    !existsSync(join(dir, "package.json")) ||
    JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name !== pkg
  ) {
    if (dirname(dir) === dir) throw new Error(`cannot find the ${pkg} package`);
    dir = dirname(dir);
  }
  return readFileSync(join(dir, file), "utf8").replace(/<\/script/gi, "<\\/script");
}

/** The report's dashboards section: data, the chart libraries (inlined: the report works offline) and the drawing script. */
function dashboardsSection(dashboards: readonly ReportDashboard[]): string {
  if (!dashboards.length) return "";
  const data = JSON.stringify(dashboards).replace(/</g, "\\u003c");
  return `<h2>Dashboards</h2>
<p class="meta">The projects' own Dashboards objects, drawn from the local store. Filter controls filter every panel of their dashboard.</p>
<div id="dashboards"></div>
<script>${vendor("vega", "build/vega.min.js")}</script>
<script>${vendor("vega-lite", "build/vega-lite.min.js")}</script>
<script>
// The functions below are this module's own source; a transpiler may wrap names with __name.
var __name = (f) => f;
window.panelPoints = ${panelPoints.toString()};
window.vegaLiteSpec = ${vegaLiteSpec.toString()};
${drawDashboards.toString()}
drawDashboards(${data});
</script>`;
}

/** Runs in the page: one section per dashboard, one figure per panel, re-drawn when a control changes. */
/* istanbul ignore next */
function drawDashboards(dashboards: readonly ReportDashboard[]): void {
  const w = globalThis as any;
  const doc = w.document;
  const root = doc.getElementById("dashboards");
  const el = (tag: string, attrs: Record<string, string> = {}, text?: string) => {
    const e = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const read = (d: Record<string, unknown>, f: string): string[] => {
    const v = f
      .split(".")
      .reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as any)[k] : undefined), d);
    return v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).map(String);
  };
  for (const dash of dashboards) {
    const section = el("section", { class: "dashboard", "data-dashboard": dash.id });
    section.appendChild(el("h3", {}, dash.title));
    const grid = el("div", { class: "grid" });
    section.appendChild(grid);
    root.appendChild(section);
    // A link may preset the controls: report.html#service=https&address=127.0.0.2
    const preset = Object.fromEntries(new w.URLSearchParams(String(w.location.hash).slice(1))) as Record<
      string,
      string
    >;
    const filters: Record<string, string> = {};
    const figures: { panel: ReportPanel; fig: any }[] = [];
    const draw = async (panel: ReportPanel, fig: any) => {
      const body = fig.querySelector(".body");
      body.innerHTML = "";
      if (panel.missing) {
        body.textContent = `not drawn: ${panel.missing}`;
        fig.setAttribute("data-rendered", "missing");
        return;
      }
      const docs = panel.docs.filter((d) =>
        Object.entries(filters).every(([f, v]) => !v || read(d, f).length === 0 || read(d, f).includes(v)),
      );
      const points = (w.panelPoints as typeof panelPoints)(panel, docs);
      if (panel.chart === "search" || panel.chart === "table") {
        const cols = points.length ? Object.keys(points[0]) : [];
        const t = el("table");
        const head = el("tr");
        for (const c of cols) head.appendChild(el("th", {}, c));
        t.appendChild(head);
        for (const p of points) {
          const tr = el("tr");
          for (const c of cols) tr.appendChild(el("td", {}, String(p[c] ?? "")));
          t.appendChild(tr);
        }
        body.appendChild(points.length ? t : el("p", { class: "empty" }, "No documents."));
      } else {
        const spec = (w.vegaLiteSpec as typeof vegaLiteSpec)(panel, points);
        const view = new w.vega.View(w.vega.parse(w.vegaLite.compile(spec).spec), {
          renderer: "svg",
          container: body,
          hover: true,
        });
        await view.runAsync();
      }
      fig.setAttribute("data-points", JSON.stringify(points));
      fig.setAttribute("data-rendered", "true");
    };
    const redraw = () => Promise.all(figures.map((f) => draw(f.panel, f.fig)));
    for (const panel of dash.panels) {
      const fig = el("figure", { class: "panel", "data-panel": panel.id, "data-chart": panel.chart });
      fig.appendChild(el("figcaption", {}, panel.title));
      if (panel.chart === "input_control_vis") {
        for (const f of panel.fields) {
          const label = el("label", {}, `${f} `);
          const select = el("select", { "data-field": f });
          select.appendChild(el("option", { value: "" }, "(all)"));
          const values = [...new Set(panel.docs.flatMap((d) => read(d, f)))].sort();
          for (const v of values) select.appendChild(el("option", { value: v }, v));
          if (preset[f] !== undefined) {
            filters[f] = preset[f];
            select.value = preset[f];
          }
          select.addEventListener("change", () => {
            filters[f] = select.value;
            void redraw();
          });
          label.appendChild(select);
          fig.appendChild(label);
        }
        fig.setAttribute("data-rendered", "true");
        grid.appendChild(fig);
        continue;
      }
      fig.appendChild(el("div", { class: "body" }));
      grid.appendChild(fig);
      figures.push({ panel, fig });
    }
    void redraw();
  }
}
