import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PROJECTS, deploymentOrder } from "@sec-an/contracts";

const wf = parse(readFileSync(join(__dirname, "../.github/workflows/deploy.yml"), "utf8"));
const jobs: Record<
  string,
  { needs?: string | string[]; with?: { project?: string }; uses?: string; strategy?: any }
> = wf.jobs;

/** Follow the `needs` chain of the deploy jobs from the first to the last. */
function deployChain(): string[] {
  const deploy = Object.entries(jobs).filter(([, j]) => j.uses === "./.github/workflows/pulumi-up.yml");
  const byNeed = new Map(deploy.map(([name, j]) => [([] as string[]).concat(j.needs ?? [])[0], name]));
  const first = deploy.find(
    ([, j]) => !([] as string[]).concat(j.needs ?? []).some((n) => n.startsWith("deploy-")),
  );
  const chain: string[] = [];
  let cur = first?.[0];
  while (cur) {
    chain.push(jobs[cur].with!.project!);
    cur = byNeed.get(cur);
  }
  expect(chain).toHaveLength(deploy.length); // a single chain, no branches or orphans
  return chain;
}

describe("CI deploy workflow", () => {
  it("deploys every project, one after another, in the derived order", () => {
    expect(deployChain()).toEqual(deploymentOrder());
  });
  it("previews every project on pull requests", () => {
    expect([...jobs.preview.strategy.matrix.project].sort()).toEqual([...PROJECTS].sort());
  });
  it("destroys the ephemeral all-in-one stack whatever happens", () => {
    const steps: any[] = (jobs.integration as any).steps;
    const destroy = steps.find((s) => s.with?.command === "destroy");
    expect(destroy.if).toBe("always()");
    expect(destroy.with["work-dir"]).toBe(".");
  });
});
