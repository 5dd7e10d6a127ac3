import { savedObjectId, type SavedObjectType } from "./analytics";
import { indexBase, type IndexFlavour } from "./names";
import type { SavedObjectDecl } from "./scanner";

/**
 * The one views format: Dashboards searches, visualisations, filter controls and dashboards declared
 * as data (a project's `views/*.json`) and rendered into `SavedObjectDecl`s, which the `Views`
 * component deploys and the local report draws. Ids derive from type + logical name, never titles, so
 * objects reference each other by id and renaming a title breaks nothing.
 *
 * An index is named `docType` (the snapshot of the project's own task), `docType_history`, or, for
 * another task's index, `task/docType` (`task/docType_history`); a project with several tasks (the DNS
 * views) names them all the second way.
 */
export interface SearchDecl {
  readonly name: string;
  readonly title: string;
  readonly index: string;
  /** KQL (or Lucene with `language`). */
  readonly query: string;
  /** "kuery" (default) or "lucene". */
  readonly language?: string;
  readonly columns: readonly string[];
  /** `[field, "asc" | "desc"]` pairs (plain arrays, as a JSON file gives them). */
  readonly sort: readonly (readonly string[])[];
}

/** Chart kinds the format builds (and the local report draws). */
export const VIS_KINDS = [
  "metric",
  "pie",
  "table",
  "histogram",
  "horizontal_bar",
  "line",
  "area",
  "tagcloud",
] as const;
export type VisKind = (typeof VIS_KINDS)[number];

export const METRIC_TYPES = ["count", "cardinality", "min", "max", "sum", "avg"] as const;

export interface MetricDecl {
  /** One of `METRIC_TYPES` (typed loosely so a JSON file's inferred type fits; checked when rendered). */
  readonly type: string;
  readonly field?: string;
  readonly label?: string;
}

export interface VisualisationDecl {
  readonly name: string;
  readonly title: string;
  readonly description?: string;
  /** Exactly one of: a search (by name) or an index. */
  readonly search?: string;
  readonly index?: string;
  readonly query?: string;
  /**
   * The chart, one of `VIS_KINDS` (checked when rendered); give `kind` (built here) or a raw `visState`
   * (a Dashboards chart the kinds lack, e.g. a numeric histogram).
   */
  readonly kind?: string;
  /** What is measured (default: count of documents). */
  readonly metric?: MetricDecl;
  /** x axis over time: a date histogram on this field (line, area, histogram). */
  readonly time?: string;
  /** Terms split: the slices (pie, tag cloud, bars), or one series each beside `time`. */
  readonly field?: string;
  /** Table rows: one terms level per field. */
  readonly fields?: readonly string[];
  /** How many terms to keep (default 10; 100 for the first table level). */
  readonly size?: number;
  /** Order of the terms by the metric: "desc" (default) or "asc" (e.g. soonest first). */
  readonly order?: string;
  /** Label of documents without the field (tables and splits); by default they are left out. */
  readonly missing?: string;
  readonly visState?: { type: string; params: Record<string, unknown>; aggs: unknown[] };
}

/** A filter control: one drop-down of the values of each field, filtering every panel of its dashboard. */
export interface ControlDecl {
  readonly name: string;
  readonly title: string;
  readonly index: string;
  readonly fields: readonly string[];
}

export interface DashboardDecl {
  readonly name: string;
  readonly title: string;
  readonly description?: string;
  /**
   * Panels, two per row: names of this file's searches, visualisations and controls (`search:x` or
   * `visualization:x` where a name is both), or `type/logicalName` of another project's object.
   */
  readonly panels: readonly string[];
}

export interface SavedObjectsFile {
  readonly searches?: readonly SearchDecl[];
  readonly visualisations?: readonly VisualisationDecl[];
  readonly controls?: readonly ControlDecl[];
  readonly dashboards?: readonly DashboardDecl[];
}
/** The views format under its own name (a file of it is a project's views). */
export type ViewsSpec = SavedObjectsFile;

/** One logical index per owned document type and flavour. */
export interface ScannerIndex {
  readonly docType: string;
  readonly flavour: IndexFlavour;
  readonly base: string;
  readonly mappings: Record<string, unknown>;
}

export function scannerIndexes(
  task: string,
  mappings: Readonly<Record<string, Record<string, unknown>>>,
): ScannerIndex[] {
  return Object.entries(mappings).flatMap(([docType, m]) =>
    (["snapshot", "history"] as const).map((flavour) => ({
      docType,
      flavour,
      base: indexBase(task, docType, flavour),
      mappings: m,
    })),
  );
}

/** An index a project's views create: base, mappings, and the index pattern's time field. */
export interface ViewIndex {
  readonly base: string;
  readonly mappings: Record<string, unknown>;
  readonly timeField?: string;
  /** False for indices of plain documents (no collection fields added). */
  readonly collection?: boolean;
}

/**
 * Everything one project shows in Dashboards: its indices and saved objects, each object after the
 * objects it references. Every project exports one as `views` from its `src/views` module, and one
 * generic test checks them all (fields against mappings, panel references, ids, titles).
 */
export interface ProjectViews {
  readonly indexes: readonly ViewIndex[];
  readonly savedObjects: readonly SavedObjectDecl[];
}

/** A scanner's views: its snapshot and history indices (time field: the index's default, scan end) and saved objects. */
export function scannerViews(
  task: string,
  views: {
    mappings: Readonly<Record<string, Record<string, unknown>>>;
    savedObjects: readonly SavedObjectDecl[];
  },
): ProjectViews {
  return {
    indexes: scannerIndexes(task, views.mappings).map((ix) => ({ base: ix.base, mappings: ix.mappings })),
    savedObjects: views.savedObjects,
  };
}

/** Index base of a views index name (see the format's comment), for `task`'s views. */
export function viewIndexBase(task: string, name: string): string {
  const slash = name.indexOf("/");
  const owner = slash < 0 ? task : name.slice(0, slash);
  const rest = slash < 0 ? name : name.slice(slash + 1);
  const history = rest.endsWith("_history");
  return indexBase(
    owner,
    history ? rest.slice(0, -"_history".length) : rest,
    history ? "history" : "snapshot",
  );
}

const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";
const searchSource = (query: string, indexRef: boolean, language = "kuery") =>
  JSON.stringify({
    query: { query, language },
    filter: [],
    ...(indexRef ? { indexRefName: INDEX_REF } : {}),
  });

type Agg = { id: string; enabled: true; type: string; schema: string; params: Record<string, unknown> };
const agg = (id: string, type: string, schema: string, params: Record<string, unknown> = {}): Agg => ({
  id,
  enabled: true,
  type,
  schema,
  params,
});

function metricAgg(v: VisualisationDecl): Agg {
  const m = v.metric ?? { type: "count" };
  if (!(METRIC_TYPES as readonly string[]).includes(m.type))
    throw new Error(`visualisation ${v.name}: unknown metric ${m.type} (one of ${METRIC_TYPES.join(", ")})`);
  if (m.type !== "count" && !m.field)
    throw new Error(`visualisation ${v.name}: a ${m.type} metric needs a field`);
  return agg("1", m.type, "metric", {
    ...(m.field && m.type !== "count" ? { field: m.field } : {}),
    ...(m.label ? { customLabel: m.label } : {}),
  });
}

function termsAgg(
  id: string,
  field: string,
  schema: string,
  size: number,
  missing?: string,
  order = "desc",
): Agg {
  if (order !== "asc" && order !== "desc")
    throw new Error(`terms on ${field}: order is "asc" or "desc", got ${order}`);
  return agg(id, "terms", schema, {
    field,
    size,
    order,
    orderBy: "1",
    otherBucket: false,
    missingBucket: missing !== undefined,
    ...(missing !== undefined ? { missingBucketLabel: missing } : {}),
  });
}

const dateHistogram = (id: string, field: string) =>
  agg(id, "date_histogram", "segment", { field, interval: "auto", min_doc_count: 1, extended_bounds: {} });

/** vislib charts need their axes spelled out, or Dashboards renders nothing. */
function xyParams(type: "histogram" | "line" | "area" | "horizontal_bar", label: string) {
  const horizontal = type === "horizontal_bar";
  return {
    type,
    addTooltip: true,
    addLegend: true,
    legendPosition: "right",
    times: [],
    addTimeMarker: false,
    categoryAxes: [
      {
        id: "CategoryAxis-1",
        type: "category",
        position: horizontal ? "left" : "bottom",
        show: true,
        scale: { type: "linear" },
        labels: { show: true, truncate: 100 },
        title: {},
      },
    ],
    valueAxes: [
      {
        id: "ValueAxis-1",
        name: "LeftAxis-1",
        type: "value",
        position: horizontal ? "bottom" : "left",
        show: true,
        scale: { type: "linear", mode: "normal" },
        labels: { show: true, truncate: 100 },
        title: { text: label },
      },
    ],
    seriesParams: [
      {
        show: true,
        type: type === "horizontal_bar" ? "histogram" : type,
        mode: type === "line" ? "normal" : "stacked",
        data: { label, id: "1" },
        valueAxis: "ValueAxis-1",
        drawLinesBetweenPoints: true,
        showCircles: true,
      },
    ],
  };
}

/** The Dashboards `visState` of a visualisation declared by kind. */
export function buildVisState(v: VisualisationDecl): {
  type: string;
  params: Record<string, unknown>;
  aggs: Agg[];
} {
  const metric = metricAgg(v);
  const label = v.metric?.label ?? "Count";
  const need = (what: "field" | "fields") => {
    if (what === "field" && !v.field) throw new Error(`visualisation ${v.name}: a ${v.kind} needs a field`);
    if (what === "fields" && !v.fields?.length)
      throw new Error(`visualisation ${v.name}: a table needs fields`);
  };
  switch (v.kind) {
    case "metric":
      return {
        type: "metric",
        params: {
          addTooltip: true,
          addLegend: false,
          type: "metric",
          metric: {
            percentageMode: false,
            colorSchema: "Green to Red",
            metricColorMode: "None",
            colorsRange: [{ from: 0, to: 10000 }],
            labels: { show: true },
            style: { fontSize: 60 },
          },
        },
        aggs: [metric],
      };
    case "pie":
      need("field");
      return {
        type: "pie",
        params: {
          type: "pie",
          addTooltip: true,
          addLegend: true,
          legendPosition: "right",
          isDonut: true,
          labels: { show: false, values: true, last_level: true, truncate: 100 },
        },
        aggs: [metric, termsAgg("2", v.field!, "segment", v.size ?? 10, v.missing)],
      };
    case "tagcloud":
      need("field");
      return {
        type: "tagcloud",
        params: { scale: "linear", orientation: "single", minFontSize: 18, maxFontSize: 72, showLabel: true },
        aggs: [metric, termsAgg("2", v.field!, "segment", v.size ?? 50)],
      };
    case "table":
      need("fields");
      return {
        type: "table",
        params: {
          perPage: 20,
          showPartialRows: false,
          showMetricsAtAllLevels: false,
          sort: { columnIndex: null, direction: null },
          showTotal: false,
          totalFunc: "sum",
          percentageCol: "",
        },
        aggs: [
          metric,
          ...v.fields!.map((f, i) =>
            i === 0
              ? termsAgg("2", f, "bucket", v.size ?? 100, undefined, v.order)
              : termsAgg(String(i + 2), f, "bucket", 10, v.missing),
          ),
        ],
      };
    case "histogram":
    case "horizontal_bar":
    case "line":
    case "area": {
      if (!v.time && !v.field)
        throw new Error(`visualisation ${v.name}: a ${v.kind} needs a time or a field`);
      const x = v.time
        ? dateHistogram("2", v.time)
        : termsAgg("2", v.field!, "segment", v.size ?? 20, v.missing);
      const series = v.time && v.field ? [termsAgg("3", v.field, "group", v.size ?? 10, v.missing)] : [];
      return { type: v.kind, params: xyParams(v.kind, label), aggs: [metric, x, ...series] };
    }
    default:
      throw new Error(`visualisation ${v.name}: unknown kind ${String(v.kind)}`);
  }
}

function controlVisState(c: ControlDecl) {
  return {
    type: "input_control_vis",
    params: {
      controls: c.fields.map((field, i) => ({
        id: String(i + 1),
        fieldName: field,
        label: field,
        type: "list",
        parent: "",
        indexPatternRefName: `control_${i}_index_pattern`,
        options: { type: "terms", multiselect: true, dynamicOptions: true, size: 20, order: "desc" },
      })),
      updateFiltersOnChange: true,
      useTimeFilter: false,
      pinFilters: false,
    },
    aggs: [],
  };
}

export interface RenderOptions {
  /** Index bases this project creates (objects wait for them); default: every base of `task`'s own names. */
  readonly ownIndex?: (base: string) => boolean;
  /** Index names given their base outright (an index outside the snapshot/history scheme). */
  readonly indexNames?: Readonly<Record<string, string>>;
}

/**
 * Render a views file. `prefix` namespaces logical names (e.g. the task name), because ids are
 * global to the Dashboards tenant and two scanners may both call a search "findings".
 */
export function renderSavedObjects(
  task: string,
  file: SavedObjectsFile,
  prefix = `${task}.`,
  opts: RenderOptions = {},
): SavedObjectDecl[] {
  const id = (n: string) => `${prefix}${n}`;
  const own = opts.ownIndex ?? ((base: string) => base.startsWith(`${task}_`));
  const onIndex = (name: string, refNames = [INDEX_REF]) => {
    const base = opts.indexNames?.[name] ?? viewIndexBase(task, name);
    return {
      references: refNames.map((n) => ({ name: n, type: "index-pattern", id: "${index}" })),
      substitutions: { index: savedObjectId("index-pattern", base) },
      dependsOn: own(base) ? [base] : [],
    };
  };

  const searches = (file.searches ?? []).map((s): SavedObjectDecl => {
    if (s.language !== undefined && s.language !== "kuery" && s.language !== "lucene")
      throw new Error(`search ${s.name}: language is "kuery" or "lucene", got ${JSON.stringify(s.language)}`);
    for (const pair of s.sort)
      if (pair.length !== 2 || !["asc", "desc"].includes(pair[1]))
        throw new Error(
          `search ${s.name}: sort entries are [field, "asc" | "desc"], got ${JSON.stringify(pair)}`,
        );
    const ix = onIndex(s.index);
    return {
      type: "search",
      logicalName: id(s.name),
      title: s.title,
      template: {
        attributes: {
          title: "${object_title}",
          description: "",
          columns: s.columns,
          sort: s.sort,
          kibanaSavedObjectMeta: { searchSourceJSON: searchSource(s.query, true, s.language) },
        },
        references: ix.references,
      },
      substitutions: ix.substitutions,
      dependsOn: ix.dependsOn,
    };
  });

  const visualisations = (file.visualisations ?? []).map((v): SavedObjectDecl => {
    if (!v.search === !v.index)
      throw new Error(`visualisation ${v.name}: give exactly one of search or index`);
    if (!v.kind === !v.visState)
      throw new Error(`visualisation ${v.name}: give exactly one of kind or visState`);
    const visState = JSON.stringify({ title: "${object_title}", ...(v.visState ?? buildVisState(v)) });
    const common = {
      title: "${object_title}",
      description: v.description ?? "",
      uiStateJSON: "{}",
      version: 1,
      visState,
    };
    if (v.search) {
      if (!searches.some((s) => s.logicalName === id(v.search!)))
        throw new Error(`visualisation ${v.name}: no search named ${v.search}`);
      return {
        type: "visualization",
        logicalName: id(v.name),
        title: v.title,
        template: {
          attributes: {
            ...common,
            savedSearchRefName: "search_0",
            kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", false) },
          },
          references: [{ name: "search_0", type: "search", id: "${search}" }],
        },
        substitutions: { search: savedObjectId("search", id(v.search)) },
        dependsOn: [id(v.search)],
      };
    }
    const ix = onIndex(v.index!);
    return {
      type: "visualization",
      logicalName: id(v.name),
      title: v.title,
      template: {
        attributes: {
          ...common,
          kibanaSavedObjectMeta: { searchSourceJSON: searchSource(v.query ?? "", true) },
        },
        references: ix.references,
      },
      substitutions: ix.substitutions,
      dependsOn: ix.dependsOn,
    };
  });

  const controls = (file.controls ?? []).map((c): SavedObjectDecl => {
    if (c.fields.length === 0) throw new Error(`control ${c.name}: give at least one field`);
    const ix = onIndex(
      c.index,
      c.fields.map((_, i) => `control_${i}_index_pattern`),
    );
    return {
      type: "visualization",
      logicalName: id(c.name),
      title: c.title,
      template: {
        attributes: {
          title: "${object_title}",
          description: "",
          uiStateJSON: "{}",
          version: 1,
          visState: JSON.stringify({ title: "${object_title}", ...controlVisState(c) }),
          kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", false) },
        },
        references: ix.references,
      },
      substitutions: ix.substitutions,
      dependsOn: ix.dependsOn,
    };
  });

  const owned = [...searches, ...visualisations, ...controls];
  const panelRef = (
    d: DashboardDecl,
    panel: string,
  ): { type: SavedObjectType; logicalName: string; own: boolean } => {
    const slash = panel.indexOf("/");
    if (slash > 0) {
      const type = panel.slice(0, slash);
      if (type !== "search" && type !== "visualization")
        throw new Error(`dashboard ${d.name}: panel ${panel} is not search/… or visualization/…`);
      return { type, logicalName: panel.slice(slash + 1), own: false };
    }
    const colon = panel.indexOf(":");
    const [type, name] = colon > 0 ? [panel.slice(0, colon), panel.slice(colon + 1)] : [undefined, panel];
    const found = owned.filter((o) => o.logicalName === id(name) && (!type || o.type === type));
    if (found.length !== 1)
      throw new Error(
        found.length
          ? `dashboard ${d.name}: panel ${panel} is both a search and a visualisation: write search:${name} or visualization:${name}`
          : `dashboard ${d.name}: panel ${panel} is not a declared search, visualisation or control`,
      );
    return { type: found[0].type, logicalName: found[0].logicalName, own: true };
  };
  const dashboards = (file.dashboards ?? []).map((d): SavedObjectDecl => {
    const refs = d.panels.map((p) => panelRef(d, p));
    const panels = refs.map((_, i) => ({
      panelIndex: String(i + 1),
      // Two panels per row, 24 of 48 columns each.
      gridData: { x: (i % 2) * 24, y: Math.floor(i / 2) * 15, w: 24, h: 15, i: String(i + 1) },
      embeddableConfig: {},
      panelRefName: `panel_${i}`,
    }));
    return {
      type: "dashboard",
      logicalName: id(d.name),
      title: d.title,
      template: {
        attributes: {
          title: "${object_title}",
          description: d.description ?? "",
          panelsJSON: JSON.stringify(panels),
          optionsJSON: JSON.stringify({ useMargins: true, hidePanelTitles: false }),
          timeRestore: false,
          kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", false) },
        },
        references: refs.map((r, i) => ({ name: `panel_${i}`, type: r.type, id: `\${panel_${i}}` })),
      },
      substitutions: Object.fromEntries(
        refs.map((r, i) => [`panel_${i}`, savedObjectId(r.type, r.logicalName)]),
      ),
      dependsOn: [...new Set(refs.filter((r) => r.own).map((r) => r.logicalName))],
    };
  });
  return [...owned, ...dashboards];
}
