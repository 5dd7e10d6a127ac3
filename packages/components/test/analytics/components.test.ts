import { checkResources } from "@sec-an/policy";
import { resources, resourcesOfType, runProgram, setupPulumiMocks } from "@sec-an/testing";
import { savedObjectId, versionedIndexName, withDocFieldMappings } from "@sec-an/contracts";

setupPulumiMocks();
// Import after the mocks are installed.
/* eslint-disable @typescript-eslint/no-require-imports */
const { ElasticIndex, KibanaSavedObject } =
  require("../../src/analytics") as typeof import("../../src/analytics");
/* eslint-enable @typescript-eslint/no-require-imports */

beforeEach(() => setupPulumiMocks());

describe("ElasticIndex", () => {
  it("owns one CRUD invocation of the admin function with the exact index spec, plus its index pattern", async () => {
    const mappings = { properties: { port: { type: "integer" } } };
    const out = await runProgram(() => {
      const ix = new ElasticIndex("ports-snapshot", {
        adminFunctionName: "dev-sec-an-opensearch-admin",
        base: "nmap_ports_snapshot",
        mappings,
      });
      return {
        indexName: ix.indexName,
        writeAlias: ix.writeAlias,
        readAlias: ix.readAlias,
        pattern: ix.indexPatternId,
      };
    });
    const full = withDocFieldMappings(mappings);
    const index = versionedIndexName("nmap_ports_snapshot", { mappings: full, settings: {} });
    expect(out).toEqual({
      indexName: index,
      writeAlias: "nmap_ports_snapshot.write",
      readAlias: "nmap_ports_snapshot.read",
      pattern: savedObjectId("index-pattern", "nmap_ports_snapshot"),
    });
    expect(resourcesOfType("sec-an:analytics:ElasticIndex").map((r) => r.name)).toEqual(["ports-snapshot"]);
    const inv = resourcesOfType("aws:lambda/invocation:Invocation");
    expect(inv.map((r) => r.name).sort()).toEqual(["ports-snapshot-index", "ports-snapshot-pattern-object"]);
    const ixInv = inv.find((r) => r.name === "ports-snapshot-index")!;
    expect(ixInv.inputs.functionName).toBe("dev-sec-an-opensearch-admin");
    expect(ixInv.inputs.lifecycleScope).toBe("CRUD");
    expect(JSON.parse(ixInv.inputs.input)).toEqual({
      kind: "index",
      base: "nmap_ports_snapshot",
      index,
      mappings: full,
      settings: {},
      forceDestroy: false,
    });
    const pat = inv.find((r) => r.name === "ports-snapshot-pattern-object")!;
    expect(JSON.parse(pat.inputs.input)).toEqual({
      kind: "saved-object",
      type: "index-pattern",
      id: savedObjectId("index-pattern", "nmap_ports_snapshot"),
      attributes: { title: "nmap_ports_snapshot.read", timeFieldName: "scan_end_time" },
      references: [],
    });
    expect(await checkResources(resources())).toEqual([]);
  });

  it("changes the physical name exactly when the mapping changes; plain indices keep their mapping", async () => {
    const a = await runProgram(
      () =>
        new ElasticIndex("a", {
          adminFunctionName: "f",
          base: "dead_letter_data",
          mappings: { properties: { x: { type: "keyword" } } },
          collection: false,
          indexPattern: false,
          forceDestroy: true,
        }).indexName,
    );
    const b = await runProgram(
      () =>
        new ElasticIndex("b", {
          adminFunctionName: "f",
          base: "dead_letter_data",
          mappings: { properties: { x: { type: "text" } } },
          collection: false,
          indexPattern: false,
        }).indexName,
    );
    expect(a).not.toBe(b);
    const spec = JSON.parse(
      resourcesOfType("aws:lambda/invocation:Invocation").find((r) => r.name === "b-index")!.inputs.input,
    );
    expect(spec.mappings).toEqual({ properties: { x: { type: "text" } } });
    expect(
      resourcesOfType("aws:lambda/invocation:Invocation").filter((r) => r.name.includes("pattern")),
    ).toHaveLength(0);
  });
});

describe("admin function name", () => {
  it("defaults to analytics-platform's SSM export for the deployment, and needs one or the other", async () => {
    setupPulumiMocks({
      ssm: { "/sec-an/dev/analytics/elastic/admin_function/name": "dev-sec-an-opensearch-admin" },
    });
    await runProgram(
      () =>
        new ElasticIndex("x", {
          deployment: { app: "sec-an", stage: "dev" },
          base: "ssl_certs_snapshot",
          mappings: {},
        }).indexName,
    );
    const inv = resourcesOfType("aws:lambda/invocation:Invocation");
    expect(inv.map((r) => r.inputs.functionName)).toEqual([
      "dev-sec-an-opensearch-admin",
      "dev-sec-an-opensearch-admin",
    ]);
    expect(
      () =>
        new KibanaSavedObject("y", {
          type: "dashboard",
          logicalName: "y",
          title: "Y",
          template: { attributes: {} },
        }),
    ).toThrow(/adminFunctionName or deployment/);
  });
});

describe("KibanaSavedObject", () => {
  it("renders the template with title and substitutions and a stable id", async () => {
    const id = await runProgram(
      () =>
        new KibanaSavedObject("dead-letters-vis", {
          adminFunctionName: "f",
          type: "visualization",
          logicalName: "dead-letters",
          title: "Dead Letters",
          template: {
            attributes: {
              title: "${object_title}",
              visState: '{"title":"${object_title}"}',
              searchSourceJSON: '{"index":"${index}"}',
            },
          },
          substitutions: { index: "abc-123" },
        }).objectId,
    );
    expect(id).toBe(savedObjectId("visualization", "dead-letters"));
    const inv = resourcesOfType("aws:lambda/invocation:Invocation")[0];
    expect(inv.name).toBe("dead-letters-vis-object");
    expect(inv.inputs.lifecycleScope).toBe("CRUD");
    expect(JSON.parse(inv.inputs.input)).toEqual({
      kind: "saved-object",
      type: "visualization",
      id,
      attributes: {
        title: "Dead Letters",
        visState: '{"title":"Dead Letters"}',
        searchSourceJSON: '{"index":"abc-123"}',
      },
      references: [],
    });
  });

  it("fails on an unknown placeholder", () => {
    const { renderTemplate } = jest.requireActual("@sec-an/contracts") as typeof import("@sec-an/contracts");
    expect(() => renderTemplate({ a: "${search_id}" }, { index: "x" })).toThrow(
      /placeholder \$\{search_id\} at \$\.a has no value/,
    );
    expect(() => renderTemplate({ a: "${index}" }, { index: 'x"y' })).toThrow(/must not contain/);
  });
});
