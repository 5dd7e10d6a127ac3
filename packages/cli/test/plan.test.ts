import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DependencyError,
  Params,
  dependencyMermaid,
  deploymentOrder,
  type ProjectDeps,
} from "@sec-an/contracts";
import { discoverProjects, repoRoot } from "@sec-an/contracts/registry";
import { deployTimeReads, markDeployTime, registeredDeps } from "../src/commands/plan";
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
  it("derives the platform's order (other registered scanners take their own places)", () => {
    const platform = ["shared-code", "shared-infra", "analytics-platform", "task-execution", "nmap", "ssl"];
    expect(deploymentOrder(registeredDeps()).filter((p) => platform.includes(p))).toEqual(platform);
  });

  it("prints the order, the edges with each parameter marked deploy-time or run-time, and a Mermaid diagram", async () => {
    const c = capture();
    expect(await main(["plan"], c.io)).toBe(0);
    expect(c.out()).toContain("1. shared-code");
    // Every registered project is placed, after whatever it reads from.
    const order = [...c.out().matchAll(/^\s+\d+\. (\S+)/gm)].map((m) => m[1]);
    expect(order.sort()).toEqual(
      discoverProjects(repoRoot())
        .map((p) => p.name)
        .sort(),
    );
    // ssl subscribes its queue to the ports topic: the ARN is needed when its program runs.
    expect(c.out()).toMatch(/nmap -> ssl\n\s+\[deploy\] \/glue\/port_detector\/sns_target\n/);
    // task-execution's IAM grant names the dead-letter bucket ARN; its handlers look the name up late.
    const edge = /shared-infra -> task-execution\n((?:\s{6}.*\n)+)/.exec(c.out())![1];
    expect(edge.trim().split(/\n\s*/)).toEqual([
      `[deploy] ${Params.deadLettersBucketArn.path}`,
      `[run]    ${Params.deadLettersBucketName.path}`,
    ]);
    expect(c.out()).toContain("flowchart LR");
  }, 120_000);

  it("marks exactly the reads each program makes under the mock engine as deploy-time (--json)", async () => {
    const c = capture();
    expect(await main(["plan", "--json"], c.io)).toBe(0);
    const { edges } = JSON.parse(c.out()) as {
      edges: { from: string; to: string; params: string[]; deployTime: string[] | null }[];
    };
    const reads = await deployTimeReads();
    for (const e of edges.filter((x) => reads.has(x.to)))
      expect(e.deployTime).toEqual(e.params.filter((p) => reads.get(e.to)!.has(p)));
    // A project the mock run does not cover is marked unknown, never guessed.
    for (const e of edges.filter((x) => !reads.has(x.to))) expect(e.deployTime).toBeNull();
    // Some reads are run-time only.
    expect(edges.some((e) => e.deployTime && e.deployTime.length < e.params.length)).toBe(true);
    expect(
      markDeployTime(
        [{ from: "a", to: "b", params: ["/x", "/y"] }] as never,
        new Map([["b", new Set(["/y"])]]),
      ),
    ).toEqual([{ from: "a", to: "b", params: ["/x", "/y"], deployTime: ["/y"] }]);
    expect(markDeployTime([{ from: "a", to: "c", params: ["/x"] }] as never, new Map())).toEqual([
      { from: "a", to: "c", params: ["/x"], deployTime: null },
    ]);
  }, 120_000);

  it("--order prints only the order, as one line of JSON, from the declarations without running any program", async () => {
    await jest.isolateModulesAsync(async () => {
      // Running the programs under mocks takes seconds; CI's plan job needs only the order.
      jest.doMock("../src/local/programs", () => {
        throw new Error("--order ran the programs");
      });
      const plan = await import("../src/commands/plan");
      const c = capture();
      expect(await plan.run(["--order"], c.io)).toBe(0);
      expect(c.err()).toBe("");
      expect(c.out()).toBe(JSON.stringify(deploymentOrder(registeredDeps())) + "\n");
    });
    const c = capture();
    expect(await main(["plan", "--order"], c.io)).toBe(0);
    expect(c.out().split("\n")).toHaveLength(2);
    expect(JSON.parse(c.out())).toEqual(deploymentOrder(registeredDeps()));
  });

  it("keeps the diagram in docs/ up to date", () => {
    const doc = readFileSync(join(__dirname, "../../../docs/deployment-order.md"), "utf8");
    expect(doc).toContain(dependencyMermaid(registeredDeps()));
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
