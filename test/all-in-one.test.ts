import { join } from "node:path";
import { paramName } from "@sec-an/contracts";
import { discoverProjects, publishedParams } from "@sec-an/contracts/registry";
import { checkResources } from "@sec-an/policy";
import { resources, runProgram, setupPulumiMocks } from "@sec-an/testing";
import { stackConfig } from "../packages/cli/src/local/programs";

/**
 * The root all-in-one stack under mocks: every project's program in one stack, with no SSM parameter
 * available at deploy time (the mock answers none), so every cross-project value must be wired
 * directly from the producing project's outputs.
 */
const root = join(__dirname, "..");
const registered = discoverProjects(root);
let outputs: Record<string, unknown>;

beforeAll(async () => {
  const config = Object.assign({}, ...registered.map((p) => stackConfig(root, p.name, "local")), {
    "sec-an-nmap:image": "localhost/sec-an-nmap:ci",
  });
  setupPulumiMocks({ project: "sec-an", stack: "ci-1", config, ssm: {} });
  const { allInOne } = await import("../packages/cli/src/all-in-one");
  outputs = (await runProgram(() => allInOne("ci-1"))) as Record<string, unknown>;
}, 600_000);

describe("all-in-one stack", () => {
  it("composes every registered project and exposes each one's outputs", () => {
    expect(Object.keys(outputs).sort()).toEqual(registered.map((p) => p.name).sort());
    for (const p of Object.keys(outputs)) expect(outputs[p]).toBeDefined();
  });

  it("still publishes every project's SSM parameters for run-time readers", () => {
    const names = new Set(
      resources()
        .filter((r) => r.type === "aws:ssm/parameter:Parameter")
        .map((r) => r.state.name),
    );
    const expected = registered.flatMap((p) =>
      publishedParams(p).map((def) => paramName({ app: "sec-an", stage: "ci-1" }, def)),
    );
    expect([...expected].filter((n) => !names.has(n))).toEqual([]);
  });

  it("has no two resources with the same type and name", () => {
    const seen = new Map<string, number>();
    for (const r of resources())
      seen.set(`${r.type}::${r.name}`, (seen.get(`${r.type}::${r.name}`) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
  });

  it("breaks no policy rule", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });
});
