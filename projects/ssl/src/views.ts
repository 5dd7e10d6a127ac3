import {
  SSL_TASK,
  SslDocType,
  indexBase,
  savedObjectId,
  type IndexFlavour,
  type SavedObjectType,
} from "@sec-an/contracts";
import mappingsJson from "../views/mappings.json";
import savedJson from "../views/saved-objects.json";

/**
 * The ssl task's OpenSearch views, declared in `views/*.json` and rendered here into index specs and
 * saved-object templates. Saved-object ids derive from type + logical name (never titles), so views
 * reference each other by id and no two objects are confused.
 */
type DocType = (typeof SslDocType)[keyof typeof SslDocType];

export interface SslIndex {
  docType: DocType;
  flavour: IndexFlavour;
  base: string;
  mappings: Record<string, unknown>;
}

export interface SslView {
  type: SavedObjectType;
  logicalName: string;
  title: string;
  template: { attributes: Record<string, unknown>; references: Record<string, unknown>[] };
  /** Placeholder values: ids of the objects this one references. */
  substitutions: Record<string, string>;
  /** Logical names (saved objects) or index bases this object needs first. */
  dependsOn: string[];
}

interface SearchDecl {
  name: string;
  title: string;
  index: DocType;
  query: string;
  columns: string[];
  sort: [string, "asc" | "desc"][];
}
interface VisDecl {
  name: string;
  title: string;
  search?: string;
  index?: DocType;
  query?: string;
  visState: { type: string; params: Record<string, unknown>; aggs: unknown[] };
}
interface DashboardDecl {
  name: string;
  title: string;
  panels: string[];
}

const decls = savedJson as unknown as {
  searches: SearchDecl[];
  visualisations: VisDecl[];
  dashboards: DashboardDecl[];
};
const MAPPINGS = mappingsJson as Record<DocType, Record<string, unknown>>;

/** Views read the latest state (snapshot); history indices are there for trends and audits. */
const viewBase = (docType: DocType) => indexBase(SSL_TASK, docType, "snapshot");

export function sslIndexes(): SslIndex[] {
  return Object.values(SslDocType).flatMap((docType) =>
    (["snapshot", "history"] as const).map((flavour) => ({
      docType,
      flavour,
      base: indexBase(SSL_TASK, docType, flavour),
      mappings: MAPPINGS[docType],
    })),
  );
}

const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";
const searchSource = (query: string, indexRef: boolean) =>
  JSON.stringify({
    query: { query, language: "kuery" },
    filter: [],
    ...(indexRef ? { indexRefName: INDEX_REF } : {}),
  });

function searchView(s: SearchDecl): SslView {
  const base = viewBase(s.index);
  return {
    type: "search",
    logicalName: s.name,
    title: s.title,
    template: {
      attributes: {
        title: "${object_title}",
        description: "",
        columns: s.columns,
        sort: s.sort,
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource(s.query, true) },
      },
      references: [{ name: INDEX_REF, type: "index-pattern", id: "${index}" }],
    },
    substitutions: { index: savedObjectId("index-pattern", base) },
    dependsOn: [base],
  };
}

function visView(v: VisDecl): SslView {
  if (!v.search === !v.index) throw new Error(`visualisation ${v.name}: give exactly one of search or index`);
  const visState = JSON.stringify({ title: "${object_title}", ...v.visState });
  const common = { title: "${object_title}", description: "", uiStateJSON: "{}", version: 1, visState };
  if (v.search) {
    return {
      type: "visualization",
      logicalName: v.name,
      title: v.title,
      template: {
        attributes: {
          ...common,
          savedSearchRefName: "search_0",
          kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", false) },
        },
        references: [{ name: "search_0", type: "search", id: "${search}" }],
      },
      substitutions: { search: savedObjectId("search", v.search) },
      dependsOn: [v.search],
    };
  }
  const base = viewBase(v.index as DocType);
  return {
    type: "visualization",
    logicalName: v.name,
    title: v.title,
    template: {
      attributes: {
        ...common,
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource(v.query ?? "", true) },
      },
      references: [{ name: INDEX_REF, type: "index-pattern", id: "${index}" }],
    },
    substitutions: { index: savedObjectId("index-pattern", base) },
    dependsOn: [base],
  };
}

function dashboardView(d: DashboardDecl, typeOf: Map<string, SavedObjectType>): SslView {
  const panels = d.panels.map((_name, i) => ({
    panelIndex: String(i + 1),
    // Two panels per row, 24 of 48 columns each.
    gridData: { x: (i % 2) * 24, y: Math.floor(i / 2) * 15, w: 24, h: 15, i: String(i + 1) },
    embeddableConfig: {},
    panelRefName: `panel_${i}`,
  }));
  const refs = d.panels.map((name, i) => {
    const type = typeOf.get(name);
    if (!type)
      throw new Error(`dashboard ${d.name}: panel ${name} is not a declared search or visualisation`);
    return { name: `panel_${i}`, type, id: `\${panel_${i}}` };
  });
  return {
    type: "dashboard",
    logicalName: d.name,
    title: d.title,
    template: {
      attributes: {
        title: "${object_title}",
        description: "",
        panelsJSON: JSON.stringify(panels),
        optionsJSON: JSON.stringify({ useMargins: true, hidePanelTitles: false }),
        timeRestore: false,
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", false) },
      },
      references: refs,
    },
    substitutions: Object.fromEntries(
      refs.map((r, i) => [`panel_${i}`, savedObjectId(r.type as SavedObjectType, d.panels[i])]),
    ),
    dependsOn: [...d.panels],
  };
}

/** Every saved object, each after the objects it references. */
export function sslViews(): SslView[] {
  const searches = decls.searches.map(searchView);
  const vis = decls.visualisations.map(visView);
  const typeOf = new Map<string, SavedObjectType>([...searches, ...vis].map((v) => [v.logicalName, v.type]));
  return [...searches, ...vis, ...decls.dashboards.map((d) => dashboardView(d, typeOf))];
}
