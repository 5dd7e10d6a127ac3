import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { Params, deploymentOrder, paramName, type ProjectName } from "@sec-an/contracts";
import { discoverProjects, projectDeps } from "@sec-an/contracts/registry";
import { checkResources } from "@sec-an/policy";
import { runPrograms, type ProgramRun } from "../packages/cli/src/local/programs";

/**
 * The SSM dependency declarations (each project's package.json, through the registry), from which the deployment order is
 * derived, checked against what each program really does under the mock engine: the parameters it
 * registers, the ones it reads at deploy time, and the ones its own code names for run-time reads.
 */
const root = join(__dirname, "..");
const DEPS = projectDeps(discoverProjects(root));
const d = { app: "sec-an", stage: "local" };
const full = (defs: readonly { path: string }[]) => new Set(defs.map((x) => paramName(d, x as never)));

/** `Params.<key>` references in a project's own (non-test) sources: its run-time reads. */
function referencedParams(project: ProjectName): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts"))
        for (const m of readFileSync(p, "utf8").matchAll(/\bParams\.(\w+)/g)) out.add(m[1]);
    }
  };
  walk(join(root, "projects", project, "src"));
  return new Set(
    [...out].filter((k) => k in Params).map((k) => paramName(d, Params[k as keyof typeof Params])),
  );
}

/** `Params.<key>` references in the handlers a program deploys (their entries and what they import relatively). */
function handlerParams(run: ProgramRun): Set<string> {
  const seen = new Set<string>();
  const out = new Set<string>();
  const visit = (file: string) => {
    const path = [file, `${file}.ts`, join(file, "index.ts")].find(
      (p) => existsSync(p) && statSync(p).isFile(),
    );
    if (!path || seen.has(path)) return;
    seen.add(path);
    const text = readFileSync(path, "utf8");
    for (const m of text.matchAll(/\bParams\.(\w+)/g))
      if (m[1] in Params) out.add(paramName(d, Params[m[1] as keyof typeof Params]));
    for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) visit(join(dirname(path), m[1]));
  };
  for (const r of run.records) {
    const entry = r.state.tags?.["sec-an:entry"];
    if (r.type === "aws:lambda/function:Function" && entry) visit(join(root, entry));
  }
  return out;
}

/**
 * Optional run-time reads, deliberately not declared: declaring one would make a deployment cycle.
 * task-execution's DNS ingest reads nmap's targetsPerTask (1 until nmap publishes it), and nmap
 * deploys after task-execution (it reads the ECS cluster).
 */
const OPTIONAL_READS: Partial<Record<ProjectName, readonly { path: string }[]>> = {
  "task-execution": [Params.nmapTargetsPerTask],
};

let runs: ProgramRun[];
beforeAll(async () => {
  runs = await runPrograms(root, "local");
}, 600_000);

describe.each(deploymentOrder(DEPS))("%s", (project) => {
  const run = () => runs.find((r) => r.project === project)!;

  it("publishes exactly the parameters it declares", () => {
    const registered = run()
      .records.filter((r) => r.type === "aws:ssm/parameter:Parameter")
      .map((r) => r.state.name as string);
    expect(new Set(registered)).toEqual(full(DEPS[project].publishes));
  });

  it("declares every parameter it reads, at deploy time or at run time", () => {
    const declared = full(DEPS[project].reads);
    const own = full(DEPS[project].publishes);
    const optional = full(OPTIONAL_READS[project] ?? []);
    const used = [...run().reads, ...referencedParams(project), ...handlerParams(run())].filter(
      (n) => !own.has(n) && !optional.has(n),
    );
    expect(used.filter((n) => !declared.has(n))).toEqual([]);
  });

  it("declares no read it does not make", () => {
    const used = new Set([...run().reads, ...referencedParams(project), ...handlerParams(run())]);
    expect([...full(DEPS[project].reads)].filter((n) => !used.has(n))).toEqual([]);
  });

  it("has no resource that breaks a policy rule", async () => {
    expect(await checkResources(run().records)).toEqual([]);
  });
});
