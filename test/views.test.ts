import type { SavedObjectDecl } from "@sec-an/contracts";
import { loadAllViews, queryFields, viewProblems, type Loaded } from "./views-lib";

/**
 * Every project's views, checked together (panels may name another project's objects): every field a
 * search or visualisation reads is in its index's mappings (and aggregatable where it is aggregated),
 * every reference resolves, ids are unique, and no two objects share a title.
 */
const all = loadAllViews();

describe("every project's views", () => {
  it("are found for every project with a views/ folder", () => {
    expect(all.map((a) => a.project)).toEqual(
      expect.arrayContaining(["analytics-platform", "task-execution", "nmap", "ssl", "http-headers"]),
    );
  });

  it("read only mapped fields, reference only existing objects, and have unique ids and titles", () => {
    expect(viewProblems(all)).toEqual([]);
  });
});

/** A deep copy of every project's views with one project's saved objects changed. */
function mutate(project: string, change: (objects: SavedObjectDecl[]) => SavedObjectDecl[]): Loaded[] {
  return all.map((a) =>
    a.project !== project
      ? a
      : {
          project,
          views: { ...a.views, savedObjects: change(JSON.parse(JSON.stringify(a.views.savedObjects))) },
        },
  );
}
const visNamed = (objects: SavedObjectDecl[], logicalName: string) =>
  objects.find((o) => o.type === "visualization" && o.logicalName === logicalName)!;

/** Problems a mutation adds (the mutation tests are about their own change alone). */
const baseline = viewProblems(all);
const added = (broken: Loaded[]) => viewProblems(broken).filter((p) => !baseline.includes(p));

describe("the check fails when", () => {
  it("a visualisation aggregates a field its index does not map", () => {
    const broken = mutate("nmap", (objects) => {
      const v = visNamed(objects, "nmap.open-services");
      v.template.attributes.visState = String(v.template.attributes.visState).replace(
        '"service"',
        '"no_such_field"',
      );
      return objects;
    });
    expect(added(broken)).toEqual([expect.stringMatching(/open-services: field no_such_field is not in/)]);
  });

  it("a search's query or columns name a field its index does not map", () => {
    const broken = mutate("ssl", (objects) => {
      const s = objects.find((o) => o.type === "search")!;
      (s.template.attributes.columns as string[]).push("nowhere");
      return objects;
    });
    expect(added(broken)).toEqual([expect.stringMatching(/field nowhere is not in the mappings/)]);
    expect(queryFields('a:1 and (b >= 2 or not c.d:"x:y")')).toEqual(["a", "b", "c.d"]);
  });

  it("a text field is aggregated", () => {
    const broken = mutate("analytics-platform", (objects) => {
      const v = visNamed(objects, "dead-letters-by-queue");
      v.template.attributes.visState = String(v.template.attributes.visState).replace(
        '"reason.keyword"',
        '"reason"',
      );
      return objects;
    });
    expect(added(broken)).toEqual([expect.stringMatching(/field reason of dead_letter_data is text/)]);
  });

  it("a dashboard panel references an object that is gone", () => {
    const broken = mutate("nmap", (objects) => objects.filter((o) => o.logicalName !== "nmap.likely-os"));
    const problems = added(broken);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => / visualization .* does not exist$/.test(p))).toBe(true);
    // The overview (another project) names it too.
    expect(problems.some((p) => p.startsWith("analytics-platform dashboard platform-overview"))).toBe(true);
  });

  it("two objects get the same id", () => {
    const broken = mutate("http-headers", (objects) => [
      ...objects,
      { ...objects[0], title: "a title of its own" },
    ]);
    expect(added(broken)).toEqual([expect.stringMatching(/^id .* collides/)]);
  });

  it("two objects share a title (whatever the case)", () => {
    const broken = mutate("task-execution", (objects) => {
      objects[1] = { ...objects[1], title: objects[0].title.toUpperCase() };
      return objects;
    });
    expect(added(broken)).toEqual([expect.stringMatching(/^title .* repeats/)]);
  });
});
