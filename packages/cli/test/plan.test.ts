import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DependencyError,
  Params,
  dependencyMermaid,
  deploymentOrder,
  type ProjectDeps,
} from "@sec-an/contracts";
import { main } from "../src/main";

function capture() {
  let out = "";
  let err = "";
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  };
}

describe("sec-an plan", () => {
  it("derives seed 001's order", () => {
    expect(deploymentOrder()).toEqual([
      "shared-code",
      "shared-infra",
      "analytics-platform",
      "task-execution",
      "nmap",
      "ssl",
    ]);
  });

  it("prints the order, the edges with their parameters, and a Mermaid diagram", async () => {
    const c = capture();
    expect(await main(["plan"], c.io)).toBe(0);
    expect(c.out()).toContain("1. shared-code");
    expect(c.out()).toContain("6. ssl");
    expect(c.out()).toMatch(/nmap -> ssl\n\s+\/glue\/port_detector\/sns_target/);
    expect(c.out()).toContain("flowchart LR");
  });

  it("keeps the diagram in docs/ up to date", () => {
    const doc = readFileSync(join(__dirname, "../../../docs/deployment-order.md"), "utf8");
    expect(doc).toContain(dependencyMermaid());
  });

  const a = { path: "/a", producer: "shared-code", type: "String", description: "a" } as const;
  const b = { path: "/b", producer: "shared-infra", type: "String", description: "b" } as const;
  it("names the parameter of a cycle", () => {
    const deps: Record<string, ProjectDeps> = {
      "shared-code": { publishes: [a], reads: [b] },
      "shared-infra": { publishes: [b], reads: [a] },
    };
    expect(() => deploymentOrder(deps)).toThrow(DependencyError);
    expect(() => deploymentOrder(deps)).toThrow(
      /cycle.*shared-code -> shared-infra \(\/a\).*shared-infra -> shared-code \(\/b\)/,
    );
  });

  it("names a read that no project publishes", () => {
    const deps: Record<string, ProjectDeps> = { nmap: { publishes: [], reads: [Params.ecsCluster] } };
    expect(() => deploymentOrder(deps)).toThrow("nmap reads /ecs/cluster, which no project publishes");
  });

  it("rejects unknown commands clearly", async () => {
    const c = capture();
    expect(await main(["nope"], c.io)).toBe(2);
    expect(c.err()).toContain('unknown command "nope"');
  });
});
