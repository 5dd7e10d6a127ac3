import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { deploymentOrder } from "@sec-an/contracts";
import { discoverProjects, projectDeps } from "@sec-an/contracts/registry";
import { runBounded, succeeded } from "../packages/cli/test/bounded-process";

const root = join(__dirname, "..");
// Every registered project, in the order `sec-an plan` derives.
const projects = discoverProjects(root);
const order = deploymentOrder(projectDeps(projects));
const text = readFileSync(join(root, ".github/workflows/deploy.yml"), "utf8");
const wf = parse(text);
interface Step {
  id?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  with?: { project?: string };
  uses?: string;
  outputs?: Record<string, string>;
  strategy?: { "max-parallel"?: number; "fail-fast"?: boolean; matrix: { project: unknown } };
  steps?: Step[];
}
const jobs: Record<string, Job> = wf.jobs;
const steps = (): Step[] => Object.values(jobs).flatMap((j) => j.steps ?? []);
const needs = (j: Job) => ([] as string[]).concat(j.needs ?? []);
const FROM_PLAN = "${{ fromJSON(needs.plan.outputs.projects) }}";

describe("CI deploy workflow", () => {
  it("takes the project list from `sec-an plan --order`, after the tests", () => {
    expect(needs(jobs.plan)).toEqual(["test"]);
    const step = jobs.plan.steps!.find((st) => st.run?.includes("sec-an plan"))!;
    // Bash's -e fails the step when the command fails, since its output is assigned, not echoed.
    expect(step.run!.trim().split("\n")).toEqual([
      "projects=$(npx sec-an plan --order)",
      'echo "projects=$projects" >> "$GITHUB_OUTPUT"',
    ]);
    expect(jobs.plan.outputs).toEqual({ projects: `\${{ steps.${step.id}.outputs.projects }}` });
  });

  it("previews every project on pull requests, from the plan job's output", () => {
    expect(needs(jobs.preview)).toEqual(["plan"]);
    expect(jobs.preview.strategy!.matrix.project).toBe(FROM_PLAN);
    expect(steps().find((st) => st.with?.command === "preview")!.with!["work-dir"]).toBe(
      "projects/${{ matrix.project }}",
    );
  });

  it("deploys one project at a time, in the listed order, stopping at the first failure", () => {
    const { deploy } = jobs;
    expect(needs(deploy)).toEqual(["plan"]);
    expect(deploy.strategy).toEqual({ "max-parallel": 1, "fail-fast": true, matrix: { project: FROM_PLAN } });
    expect(deploy.uses).toBe("./.github/workflows/pulumi-up.yml");
    expect(deploy.with).toEqual({ project: "${{ matrix.project }}" });
  });

  it("names no project: a new project folder needs no edit here", () => {
    const names = [...projects.map((p) => p.name), "all-in-one"];
    for (const f of ["deploy.yml", "pulumi-up.yml"]) {
      const body = readFileSync(join(root, ".github/workflows", f), "utf8").replace(/^\s*#.*$/gm, "");
      expect(names.filter((n) => new RegExp(`(^|[^\\w-])${n}([^\\w-]|$)`).test(body))).toEqual([]);
    }
  });

  it("`sec-an plan --order` prints exactly the registry's derived order, as one line of JSON", async () => {
    const r = succeeded(await runBounded("npx", ["sec-an", "plan", "--order"], root, 60_000), "sec-an plan");
    expect(r.stdout).toBe(JSON.stringify(order) + "\n");
    expect(JSON.parse(r.stdout)).toEqual(order);
    // Every registered project is placed.
    expect([...order].sort()).toEqual(projects.map((p) => p.name).sort());
  }, 60_000);

  it("docs/deploying.md's shell loops walk the real `--order` output, forwards and in reverse", async () => {
    const doc = readFileSync(join(root, "docs/deploying.md"), "utf8");
    const loops = [...doc.matchAll(/^\s*for p in \$\((npx sec-an plan --order[^)]*)\); do$/gm)].map(
      (m) => m[1],
    );
    expect(loops).toHaveLength(2);
    const walked = [];
    for (const pipeline of loops)
      walked.push(
        succeeded(await runBounded("bash", ["-c", pipeline], root, 60_000), pipeline)
          .stdout.split(/\s+/)
          .filter(Boolean),
      );
    expect(walked).toEqual([order, [...order].reverse()]);
  }, 120_000);

  it("runs only npm scripts that exist, with nothing hidden behind --if-present", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const runs = steps().map((st) => st.run ?? "");
    const scripts = runs.flatMap((r) => [...r.matchAll(/npm run ([\w:.-]+)/g)].map((m) => m[1]));
    expect(scripts.filter((x) => !(x in pkg.scripts))).toEqual([]);
    expect(text).not.toContain("--if-present");
    // `npx sec-an` runs the CLI workspace's bin, installed by `npm ci`.
    const cli = JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8"));
    expect(runs.some((r) => r.includes("npx sec-an "))).toBe(true);
    expect(cli.bin["sec-an"]).toBeDefined();
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
