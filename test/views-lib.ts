import {
  DOC_FIELD_MAPPINGS,
  savedObjectId,
  type ProjectViews,
  type SavedObjectDecl,
} from "@sec-an/contracts";
import { registeredViews } from "../packages/cli/src/local/report";

/**
 * Loading and checking every project's views (test/views.test.ts and test/views-parity.test.ts).
 * Every project's views are checked together (panels may name another project's objects): every field a
 * search or visualisation reads is in its index's mappings (and aggregatable where it is aggregated),
 * every reference resolves, ids are unique, and no two objects share a title.
 */
export interface Loaded {
  readonly project: string;
  readonly views: ProjectViews;
}

/** The views of every registered project that has a views/ folder (as the local report loads them). */
export const loadAllViews = (): Loaded[] => registeredViews();

type Mapping = { type?: string; properties?: Record<string, Mapping>; fields?: Record<string, Mapping> };

/** The mapping of a dotted field (object properties, or a multi-field such as `reason.keyword`). */
function fieldMapping(props: Record<string, Mapping>, field: string): Mapping | undefined {
  const [head, ...rest] = field.split(".");
  const m = props[head];
  if (!m || rest.length === 0) return m;
  return fieldMapping(m.properties ?? m.fields ?? {}, rest.join("."));
}

/** Field names a KQL or Lucene query filters on (`field:…`, `field < n`). */
export function queryFields(query: string): string[] {
  const unquoted = query.replace(/"[^"]*"/g, '""');
  return [...unquoted.matchAll(/(?:^|[\s(])([A-Za-z_][\w.]*)\s*(?::|<=|>=|<|>)/g)].map((m) => m[1]);
}

const attrs = (o: SavedObjectDecl) => o.template.attributes as Record<string, any>;
const sourceOf = (o: SavedObjectDecl) =>
  JSON.parse(attrs(o).kibanaSavedObjectMeta?.searchSourceJSON ?? "{}") as { query?: { query?: string } };

/** What is wrong with a set of projects' views; empty when nothing is. */
export function viewProblems(all: readonly Loaded[]): string[] {
  const problems: string[] = [];
  const patterns = new Map<string, { base: string; props: Record<string, Mapping> }>();
  for (const { views } of all)
    for (const ix of views.indexes) {
      const own = ((ix.mappings as { properties?: Record<string, Mapping> }).properties ?? {}) as Record<
        string,
        Mapping
      >;
      const props =
        ix.collection === false ? own : { ...(DOC_FIELD_MAPPINGS as Record<string, Mapping>), ...own };
      patterns.set(savedObjectId("index-pattern", ix.base), { base: ix.base, props });
    }
  const objects = all.flatMap(({ project, views }) => views.savedObjects.map((o) => ({ project, o })));
  const byId = new Map<string, (typeof objects)[number][]>();
  for (const x of objects) {
    const id = savedObjectId(x.o.type, x.o.logicalName);
    byId.set(id, [...(byId.get(id) ?? []), x]);
  }
  for (const [id, xs] of byId)
    if (xs.length > 1)
      problems.push(
        `id ${id} collides: ${xs.map((x) => `${x.project} ${x.o.type} ${x.o.logicalName}`).join(", ")}`,
      );
  const titles = new Map<string, string[]>();
  for (const { project, o } of objects) {
    const t = o.title.trim().toLowerCase();
    titles.set(t, [...(titles.get(t) ?? []), `${project} ${o.type} ${o.logicalName}`]);
  }
  for (const [t, who] of titles) if (who.length > 1) problems.push(`title "${t}" repeats: ${who.join(", ")}`);

  const indexOf = (o: SavedObjectDecl): string | undefined => {
    if (o.substitutions.index) return o.substitutions.index;
    const search = o.substitutions.search && byId.get(o.substitutions.search)?.[0]?.o;
    return search ? search.substitutions.index : undefined;
  };
  for (const { project, o } of objects) {
    const where = `${project} ${o.type} ${o.logicalName}`;
    for (const [placeholder, id] of Object.entries(o.substitutions)) {
      const ref = (o.template.references ?? []).find((r) => r.id === `\${${placeholder}}`);
      const known = ref?.type === "index-pattern" ? patterns.has(id) : byId.has(id);
      if (!known) problems.push(`${where}: ${String(ref?.type ?? placeholder)} ${id} does not exist`);
    }
    if (o.type === "dashboard") continue;
    const pattern = patterns.get(indexOf(o) ?? "");
    if (!pattern) continue; // reported above
    const read: { field: string; aggregated: boolean }[] = [];
    for (const f of queryFields(sourceOf(o).query?.query ?? "")) read.push({ field: f, aggregated: false });
    if (o.type === "search") {
      for (const c of attrs(o).columns ?? []) read.push({ field: c, aggregated: false });
      for (const [f] of attrs(o).sort ?? []) read.push({ field: f, aggregated: true });
    } else {
      const vis = JSON.parse(attrs(o).visState) as {
        aggs: { params: { field?: string } }[];
        params: { controls?: { fieldName: string }[] };
      };
      for (const a of vis.aggs) if (a.params.field) read.push({ field: a.params.field, aggregated: true });
      for (const c of vis.params.controls ?? []) read.push({ field: c.fieldName, aggregated: true });
    }
    for (const { field, aggregated } of read) {
      const m = fieldMapping(pattern.props, field);
      if (!m) problems.push(`${where}: field ${field} is not in the mappings of ${pattern.base}`);
      else if (aggregated && m.type === "text")
        problems.push(
          `${where}: field ${field} of ${pattern.base} is text, which cannot be aggregated or sorted`,
        );
    }
  }
  return problems;
}
