import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { deploymentOrder, type ProjectName } from "@sec-an/contracts";
import { discoverProjects, findProject, loadProject, projectDeps } from "@sec-an/contracts/registry";
import { resources, runProgram, setupPulumiMocks, type ResourceRecord } from "@sec-an/testing";
import { programsHash, readCachedRuns, topologyCacheFile } from "./sources-hash";

/**
 * Runs every project's real Pulumi program under the mock engine, in deployment order, feeding each
 * the SSM parameters the earlier ones published, and returns what each registered. This is how the
 * local run gets its topology from the same definitions `pulumi up` deploys.
 */
export interface ProgramRun {
  project: ProjectName;
  records: ResourceRecord[];
  ssm: Record<string, string>;
  /** Full names of the SSM parameters the program read at deploy time. */
  reads: string[];
}

/** Stack config for a project: `stacks/<project>/Pulumi.<stack>.yaml`, namespaced keys as Pulumi stores them. */
export function stackConfig(repoRoot: string, project: ProjectName, stack: string): Record<string, unknown> {
  const file = join(repoRoot, "stacks", project, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) throw new Error(`no stack config ${file}`);
  const doc = parse(readFileSync(file, "utf8")) ?? {};
  return { ...(doc.config ?? {}) };
}

/** The registered projects' names in deployment order: the programs the local run runs. */
export function localPrograms(repoRoot: string): ProjectName[] {
  return deploymentOrder(projectDeps(discoverProjects(repoRoot)));
}

export async function runPrograms(
  repoRoot: string,
  stack: string,
  only?: readonly ProjectName[],
): Promise<ProgramRun[]> {
  const ssm: Record<string, string> = {};
  const runs: ProgramRun[] = [];
  const projects = discoverProjects(repoRoot);
  for (const project of deploymentOrder(projectDeps(projects))) {
    if (only && !only.includes(project)) continue;
    const registered = findProject(projects, project);
    const reads: string[] = [];
    setupPulumiMocks({
      project: registered.pulumiName,
      stack,
      config: stackConfig(repoRoot, project, stack),
      calls: {
        // Deploy-time SSM reads, answered from what earlier projects published (and recorded).
        "aws:ssm/getParameter:getParameter": ({ name }: { name: string }) => {
          reads.push(name);
          if (!(name in ssm))
            throw new Error(`${project} reads ${name} at deploy time, which no earlier project publishes`);
          return {
            id: name,
            name,
            value: ssm[name],
            insecureValue: ssm[name],
            type: "String",
            version: 1,
            withDecryption: true,
          };
        },
      },
    });
    // Each project's public entry, as its index.ts runs it (config parsed and validated from Pulumi config).
    const { runFromConfig } = await loadProject(registered);
    await runProgram(() => runFromConfig(stack));
    const records = [...resources()];
    for (const r of records) {
      if (r.type === "aws:ssm/parameter:Parameter")
        ssm[r.state.name] = String(r.state.insecureValue ?? r.state.value);
    }
    runs.push({ project, records, ssm: { ...ssm }, reads: [...new Set(reads)] });
  }
  return runs;
}

export { programsHash };

/**
 * `runPrograms`, cached on disk under `cacheDir` keyed by `programsHash`: running every program under
 * the mock engine costs seconds, and its output changes only when one of those files does. Returns
 * whether the cache answered. Bundled code (asset archives) is not kept: the topology never reads it.
 */
export async function runProgramsCached(
  repoRoot: string,
  stack: string,
  cacheDir: string,
): Promise<{ runs: ProgramRun[]; cached: boolean }> {
  const file = topologyCacheFile(cacheDir, stack, programsHash(repoRoot, stack));
  const hit = readCachedRuns<ProgramRun>(file);
  if (hit) return { runs: hit, cached: true };
  const runs = await runPrograms(repoRoot, stack);
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(
    tmp,
    JSON.stringify(runs, (_, v) => (v && typeof v === "object" && "assets" in v ? undefined : v)),
  );
  renameSync(tmp, file); // whole or absent, even when two runs race
  return { runs, cached: false };
}
