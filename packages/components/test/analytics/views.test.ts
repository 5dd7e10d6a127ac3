import { checkResources } from "@sec-an/policy";
import { resources, resourcesOfType, runProgram, setupPulumiMocks } from "@sec-an/testing";
import { renderSavedObjects, savedObjectId } from "@sec-an/contracts";

setupPulumiMocks();
// Import after the mocks are installed.
/* eslint-disable @typescript-eslint/no-require-imports */
const { Views } = require("../../src/analytics") as typeof import("../../src/analytics");
/* eslint-enable @typescript-eslint/no-require-imports */

beforeEach(() => setupPulumiMocks());

const savedObjects = renderSavedObjects("probe", {
  searches: [
    { name: "open", title: "Probe: open", index: "finding", query: "open:true", columns: ["port"], sort: [] },
  ],
  visualisations: [
    { name: "by-port", title: "Probe: by port", kind: "pie", index: "finding", field: "port" },
  ],
  controls: [{ name: "filter", title: "Probe: filter", index: "finding", fields: ["port"] }],
  dashboards: [
    { name: "overview", title: "Probe", panels: ["filter", "by-port", "open", "visualization/dead-letters"] },
  ],
});
const indexes = [{ base: "probe_finding_snapshot", mappings: { properties: { port: { type: "integer" } } } }];
const specs = () =>
  resourcesOfType("aws:lambda/invocation:Invocation").map(
    (r) => JSON.parse(r.inputs.input) as Record<string, any>,
  );

describe("Views", () => {
  it("creates the indices, then every object through the admin function, ids from type and logical name", async () => {
    await runProgram(() => new Views("probe-views", { adminFunctionName: "admin", indexes, savedObjects }));
    const objects = specs().filter((s) => s.kind === "saved-object" && s.type !== "index-pattern");
    expect(objects.map((s) => [s.type, s.id])).toEqual([
      ["search", savedObjectId("search", "probe.open")],
      ["visualization", savedObjectId("visualization", "probe.by-port")],
      ["visualization", savedObjectId("visualization", "probe.filter")],
      ["dashboard", savedObjectId("dashboard", "probe.overview")],
    ]);
    const control = JSON.parse(objects[2].attributes.visState);
    expect(control.type).toBe("input_control_vis");
    expect(objects[2].references).toEqual([
      {
        name: "control_0_index_pattern",
        type: "index-pattern",
        id: savedObjectId("index-pattern", "probe_finding_snapshot"),
      },
    ]);
    // Another project's object on the dashboard is named by its derived id.
    expect(objects[3].references.at(-1)).toEqual({
      name: "panel_3",
      type: "visualization",
      id: savedObjectId("visualization", "dead-letters"),
    });
    expect(await checkResources(resources())).toEqual([]);
  });

  it("takes another project's id read late instead of the derived one", async () => {
    await runProgram(
      () =>
        new Views("probe-views", {
          adminFunctionName: "admin",
          indexes,
          savedObjects,
          externalIds: { "visualization/dead-letters": "id-from-ssm" },
        }),
    );
    const dash = specs().find((s) => s.type === "dashboard")!;
    expect(dash.references.at(-1).id).toBe("id-from-ssm");
  });

  it("refuses an object whose index or object is not declared before it", () => {
    expect(() => new Views("probe-views", { adminFunctionName: "admin", indexes: [], savedObjects })).toThrow(
      /probe\.open needs probe_finding_snapshot, which is not declared before it/,
    );
  });
});
