import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { deploymentOrder } from "@sec-an/contracts";
import { discoverProjects, projectDeps } from "@sec-an/contracts/registry";

const root = join(__dirname, "..");
// Every registered project, in the order `sec-an plan` derives.
const projects = discoverProjects(root);
const order = deploymentOrder(projectDeps(projects));
const wf = parse(readFileSync(join(root, ".github/workflows/deploy.yml"), "utf8"));
interface Step {
  run?: string;
  with?: Record<string, string>;
}
const jobs: Record<
  string,
  {
    needs?: string | string[];
    with?: { project?: string };
    uses?: string;
    strategy?: { matrix: { project: string[] } };
    steps?: Step[];
  }
> = wf.jobs;
const steps = (): Step[] => Object.values(jobs).flatMap((j) => j.steps ?? []);

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
    expect(deployChain()).toEqual(order);
  });
  it("previews every project on pull requests", () => {
    expect([...jobs.preview.strategy!.matrix.project].sort()).toEqual(projects.map((p) => p.name).sort());
  });
  it("runs only npm scripts that exist, with nothing hidden behind --if-present", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const runs = steps().map((st) => st.run ?? "");
    const scripts = runs.flatMap((r) => [...r.matchAll(/npm run ([\w:.-]+)/g)].map((m) => m[1]));
    expect(scripts.filter((x) => !(x in pkg.scripts))).toEqual([]);
    expect(runs.filter((r) => r.includes("--if-present"))).toEqual([]);
    // The test job's entry point runs the README's test command.
    expect(jobs.test.steps!.map((st) => st.run).filter(Boolean)).toEqual(["bash .ci/run"]);
    expect(readFileSync(join(root, ".ci/run"), "utf8")).toMatch(/^time npm test$/m);
  });

  it("deploys no stack but the per-project ones (the all-in-one stack is not deployed by CI)", () => {
    const workDirs = steps()
      .filter((st) => st.with?.command)
      .map((st) => st.with!["work-dir"]);
    expect(workDirs.length).toBeGreaterThan(0);
    expect(workDirs.filter((d) => !d.startsWith("projects/"))).toEqual([]);
    const up = parse(readFileSync(join(root, ".github/workflows/pulumi-up.yml"), "utf8"));
    expect(up.jobs.up.steps.find((st: Step) => st.with?.command).with["work-dir"]).toBe(
      "projects/${{ inputs.project }}",
    );
  });

  it("is described job by job in docs/deploying.md, and the doc claims nothing else runs", () => {
    const doc = readFileSync(join(root, "docs/deploying.md"), "utf8");
    const ci = doc.slice(doc.indexOf("## CI"));
    const named = new Set(
      [...ci.matchAll(/^- ([\s\S]+?):/gm)].flatMap((m) => [...m[1].matchAll(/`([\w-]+)`/g)].map((x) => x[1])),
    );
    expect([...named].sort()).toEqual(Object.keys(jobs).sort());
    expect(doc).toContain("CI does not deploy it");
    expect(doc).not.toMatch(/CI creates one per run|integration runs/);
  });
});
