/**
 * The nmap views as data: one snapshot and one history index per document type, and Dashboards
 * searches, visualisations and dashboards built from views/objects.json. Pure, so tests check titles,
 * fields and references without Pulumi; the scanner module carries them and the Scanner component
 * turns them into resources.
 */
import {
  DocFields,
  NMAP_TASK,
  NmapDocType,
  indexBase,
  savedObjectId,
  type SavedObjectDecl,
  type SavedObjectType,
} from "@sec-an/contracts";
import mappingsJson from "../../views/mappings.json";
import objectsJson from "../../views/objects.json";

export type IndexKey = string; // "<docType>" (snapshot) or "<docType>_history"

export interface IndexDef {
  readonly key: IndexKey;
  readonly base: string;
  readonly mappings: Record<string, unknown>;
}

/** Where a placeholder's value comes from: an index pattern, or another of our objects. */
export type Source = { readonly index: IndexKey } | { readonly object: string };

export interface SavedObjectDef {
  readonly key: string;
  readonly type: SavedObjectType;
  readonly title: string;
  readonly template: { attributes: Record<string, unknown>; references?: Record<string, unknown>[] };
  readonly substitutions: Record<string, Source>;
  /** Fields the object reads, per index (checked against the mappings by the tests). */
  readonly fields: { index: IndexKey; names: string[] };
}

interface SearchSpec {
  key: string;
  title: string;
  index: string;
  query: string;
  columns: string[];
  sort: [string, string];
}
interface VisSpec {
  key: string;
  title: string;
  kind: string;
  index: string;
  query?: string;
  field?: string;
  fields?: string[];
  uniqueField?: string;
}
interface DashSpec {
  key: string;
  title: string;
  panels: string[];
}

export const MAPPINGS = mappingsJson as Record<string, { properties: Record<string, unknown> }>;
const OBJECTS = objectsJson as { searches: SearchSpec[]; visualisations: VisSpec[]; dashboards: DashSpec[] };

export const INDICES: readonly IndexDef[] = Object.values(NmapDocType).flatMap((docType) => {
  const mappings = MAPPINGS[docType];
  if (!mappings) throw new Error(`views/mappings.json has no mapping for ${docType}`);
  return [
    { key: docType, base: indexBase(NMAP_TASK, docType, "snapshot"), mappings },
    { key: `${docType}_history`, base: indexBase(NMAP_TASK, docType, "history"), mappings },
  ];
});

const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";
const searchSource = (query: string) => ({
  searchSourceJSON: JSON.stringify({
    query: { query, language: "kuery" },
    filter: [],
    indexRefName: INDEX_REF,
  }),
});
const indexReference = [{ name: INDEX_REF, type: "index-pattern", id: "${index}" }];

function search(s: SearchSpec): SavedObjectDef {
  return {
    key: s.key,
    type: "search",
    title: s.title,
    template: {
      attributes: {
        title: "${object_title}",
        description: "",
        columns: s.columns,
        sort: [s.sort],
        kibanaSavedObjectMeta: searchSource(s.query),
      },
      references: indexReference,
    },
    substitutions: { index: { index: s.index } },
    fields: { index: s.index, names: [...s.columns, s.sort[0]] },
  };
}

const count = { id: "1", enabled: true, type: "count", schema: "metric", params: {} };
const unique = (field: string) => ({
  id: "1",
  enabled: true,
  type: "cardinality",
  schema: "metric",
  params: { field },
});
const terms = (id: string, field: string, schema: string, size = 10) => ({
  id,
  enabled: true,
  type: "terms",
  schema,
  params: { field, size, order: "desc", orderBy: "1", otherBucket: false, missingBucket: false },
});
const overTime = {
  id: "2",
  enabled: true,
  type: "date_histogram",
  schema: "segment",
  params: { field: DocFields.scanEndTime, interval: "auto", min_doc_count: 1, extended_bounds: {} },
};

/** vislib charts need their axes spelled out, or Dashboards renders nothing. */
function xyParams(type: "histogram" | "line" | "horizontal_bar") {
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
        title: { text: "Count" },
      },
    ],
    seriesParams: [
      {
        show: true,
        type: type === "line" ? "line" : "histogram",
        mode: "normal",
        data: { label: "Count", id: "1" },
        valueAxis: "ValueAxis-1",
        drawLinesBetweenPoints: true,
        showCircles: true,
      },
    ],
  };
}

function visState(v: VisSpec): { type: string; params: Record<string, unknown>; aggs: unknown[] } {
  const metric = v.uniqueField ? unique(v.uniqueField) : count;
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
        aggs: [metric, terms("2", v.field!, "segment")],
      };
    case "tagcloud":
      return {
        type: "tagcloud",
        params: { scale: "linear", orientation: "single", minFontSize: 18, maxFontSize: 72, showLabel: true },
        aggs: [metric, terms("2", v.field!, "segment", 50)],
      };
    case "table":
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
        aggs: [metric, ...v.fields!.map((f, i) => terms(String(i + 2), f, "bucket", i === 0 ? 100 : 10))],
      };
    case "histogram":
    case "horizontal_bar":
      return { type: v.kind, params: xyParams(v.kind), aggs: [metric, terms("2", v.field!, "segment", 20)] };
    case "line":
      return {
        type: "line",
        params: xyParams("line"),
        aggs: [metric, overTime, ...(v.field ? [terms("3", v.field, "group", 5)] : [])],
      };
    default:
      throw new Error(`visualisation ${v.key}: unknown kind ${v.kind}`);
  }
}

function visualisation(v: VisSpec): SavedObjectDef {
  return {
    key: v.key,
    type: "visualization",
    title: v.title,
    template: {
      attributes: {
        title: "${object_title}",
        description: "",
        visState: JSON.stringify({ title: "${object_title}", ...visState(v) }),
        uiStateJSON: "{}",
        version: 1,
        kibanaSavedObjectMeta: searchSource(v.query ?? ""),
      },
      references: indexReference,
    },
    substitutions: { index: { index: v.index } },
    fields: {
      index: v.index,
      names: [...(v.field ? [v.field] : []), ...(v.fields ?? []), ...(v.uniqueField ? [v.uniqueField] : [])],
    },
  };
}

function dashboard(d: DashSpec, typeOf: (key: string) => SavedObjectType): SavedObjectDef {
  // Two panels per row, each 24 of the grid's 48 columns wide.
  const panels = d.panels.map((_, i) => ({
    panelIndex: String(i + 1),
    gridData: { x: (i % 2) * 24, y: Math.floor(i / 2) * 15, w: 24, h: 15, i: String(i + 1) },
    version: "2.11.0",
    embeddableConfig: {},
    panelRefName: `panel_${i}`,
  }));
  return {
    key: d.key,
    type: "dashboard",
    title: d.title,
    template: {
      attributes: {
        title: "${object_title}",
        description: "",
        panelsJSON: JSON.stringify(panels),
        optionsJSON: JSON.stringify({ useMargins: true, hidePanelTitles: false }),
        timeRestore: false,
        version: 1,
        kibanaSavedObjectMeta: {
          searchSourceJSON: JSON.stringify({ query: { query: "", language: "kuery" }, filter: [] }),
        },
      },
      references: d.panels.map((p, i) => ({ name: `panel_${i}`, type: typeOf(p), id: `\${panel_${i}}` })),
    },
    substitutions: Object.fromEntries(d.panels.map((p, i) => [`panel_${i}`, { object: p }])),
    fields: { index: "data", names: [] },
  };
}

/** Every saved object, dependencies first (searches and visualisations before the dashboards using them). */
export function savedObjects(): SavedObjectDef[] {
  const searches = OBJECTS.searches.map(search);
  const visualisations = OBJECTS.visualisations.map(visualisation);
  const types = new Map<string, SavedObjectType>(
    [...searches, ...visualisations].map((o) => [o.key, o.type]),
  );
  const typeOf = (key: string) => {
    const t = types.get(key);
    if (!t)
      throw new Error(`dashboard panel ${JSON.stringify(key)} is not a defined search or visualisation`);
    return t;
  };
  return [...searches, ...visualisations, ...OBJECTS.dashboards.map((d) => dashboard(d, typeOf))];
}

/** Stable logical name of one of our saved objects (ids derive from type + this, never from titles). */
export const logicalName = (key: string) => `nmap.${key}`;

/** The saved objects as the Scanner component takes them: placeholders resolved to ids, dependencies named. */
export function nmapSavedObjects(): SavedObjectDecl[] {
  const defs = savedObjects();
  const typeOf = new Map(defs.map((d) => [d.key, d.type]));
  const baseOf = (key: IndexKey) => {
    const ix = INDICES.find((i) => i.key === key);
    if (!ix) throw new Error(`nmap views: no index ${key}`);
    return ix.base;
  };
  return defs.map((d) => {
    const refs = Object.entries(d.substitutions).map(([placeholder, src]) => {
      if ("index" in src)
        return [placeholder, savedObjectId("index-pattern", baseOf(src.index)), baseOf(src.index)];
      const type = typeOf.get(src.object);
      if (!type) throw new Error(`nmap views: ${d.key} refers to ${src.object}, which is not defined`);
      return [placeholder, savedObjectId(type, logicalName(src.object)), logicalName(src.object)];
    });
    return {
      type: d.type,
      logicalName: logicalName(d.key),
      title: d.title,
      template: d.template,
      substitutions: Object.fromEntries(refs.map(([p, id]) => [p, id])),
      dependsOn: refs.map(([, , dep]) => dep),
    };
  });
}
