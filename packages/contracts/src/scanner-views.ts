import { savedObjectId, type SavedObjectType } from "./analytics";
import { indexBase, type IndexFlavour } from "./names";
import type { SavedObjectDecl } from "./scanner";

/**
 * Saved objects declared as data (a scanner's `views/saved-objects.json`) rendered into
 * `SavedObjectDecl`s. Views read the latest state (snapshot indices); ids derive from type + logical
 * name, never titles, so objects reference each other by id and renaming a title breaks nothing.
 */
export interface SearchDecl {
  readonly name: string;
  readonly title: string;
  /** Owned document type whose snapshot index the search reads. */
  readonly index: string;
  /** KQL. */
  readonly query: string;
  readonly columns: readonly string[];
  /** `[field, "asc" | "desc"]` pairs (plain arrays, as a JSON file gives them). */
  readonly sort: readonly (readonly string[])[];
}

export interface VisualisationDecl {
  readonly name: string;
  readonly title: string;
  /** Exactly one of: a search (by name) or an owned document type. */
  readonly search?: string;
  readonly index?: string;
  readonly query?: string;
  readonly visState: { type: string; params: Record<string, unknown>; aggs: unknown[] };
}

export interface DashboardDecl {
  readonly name: string;
  readonly title: string;
  /** Names of searches and visualisations, two per row. */
  readonly panels: readonly string[];
}

export interface SavedObjectsFile {
  readonly searches?: readonly SearchDecl[];
  readonly visualisations?: readonly VisualisationDecl[];
  readonly dashboards?: readonly DashboardDecl[];
}

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

const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";
const searchSource = (query: string, indexRef: boolean) =>
  JSON.stringify({
    query: { query, language: "kuery" },
    filter: [],
    ...(indexRef ? { indexRefName: INDEX_REF } : {}),
  });

/**
 * Render a saved-objects file. `prefix` namespaces logical names (e.g. the task name), because ids are
 * global to the Dashboards tenant and two scanners may both call a search "findings".
 */
export function renderSavedObjects(
  task: string,
  file: SavedObjectsFile,
  prefix = `${task}.`,
): SavedObjectDecl[] {
  const id = (n: string) => `${prefix}${n}`;
  const snapshot = (docType: string) => indexBase(task, docType, "snapshot");
  const onIndex = (docType: string) => ({
    references: [{ name: INDEX_REF, type: "index-pattern", id: "${index}" }],
    substitutions: { index: savedObjectId("index-pattern", snapshot(docType)) },
    dependsOn: [snapshot(docType)],
  });

  const searches = (file.searches ?? []).map((s): SavedObjectDecl => {
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
          kibanaSavedObjectMeta: { searchSourceJSON: searchSource(s.query, true) },
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
    const visState = JSON.stringify({ title: "${object_title}", ...v.visState });
    const common = { title: "${object_title}", description: "", uiStateJSON: "{}", version: 1, visState };
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

  const typeOf = new Map<string, SavedObjectType>(
    [...searches, ...visualisations].map((o) => [o.logicalName, o.type]),
  );
  const dashboards = (file.dashboards ?? []).map((d): SavedObjectDecl => {
    const refs = d.panels.map((name, i) => {
      const type = typeOf.get(id(name));
      if (!type)
        throw new Error(`dashboard ${d.name}: panel ${name} is not a declared search or visualisation`);
      return { name: `panel_${i}`, type, id: `\${panel_${i}}` };
    });
    const panels = d.panels.map((_, i) => ({
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
          description: "",
          panelsJSON: JSON.stringify(panels),
          optionsJSON: JSON.stringify({ useMargins: true, hidePanelTitles: false }),
          timeRestore: false,
          kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", false) },
        },
        references: refs,
      },
      substitutions: Object.fromEntries(
        refs.map((r) => [r.name, savedObjectId(r.type, id(d.panels[Number(r.name.slice(6))]))]),
      ),
      dependsOn: d.panels.map(id),
    };
  });
  return [...searches, ...visualisations, ...dashboards];
}
