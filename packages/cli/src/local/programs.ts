import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { deploymentOrder, type ProjectName } from "@sec-an/contracts";
import { resources, runProgram, setupPulumiMocks, type ResourceRecord } from "@sec-an/testing";

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

type Loader = () => Promise<(stack: string) => unknown>;

// Each project's entry, as its index.ts runs it (config parsed and validated from Pulumi config).
const loaders: Record<ProjectName, Loader> = {
  "shared-code": async () => (await import("@sec-an/project-shared-code/src/program")).runFromConfig,
  "shared-infra": async () => (await import("@sec-an/project-shared-infra/src/program")).runFromConfig,
  "analytics-platform": async () =>
    (await import("@sec-an/project-analytics-platform/src/program")).runFromConfig,
  "task-execution": async () => (await import("@sec-an/project-task-execution/src/program")).runFromConfig,
  // The local run starts the container's entrypoint itself: no image is built (stacks/nmap/Pulumi.local.yaml).
  nmap: async () => (await import("@sec-an/project-nmap/src/program")).runFromConfig,
  ssl: async () => (await import("@sec-an/project-ssl/src/program")).runFromConfig,
};

/** Stack config for a project: `stacks/<project>/Pulumi.<stack>.yaml`, namespaced keys as Pulumi stores them. */
export function stackConfig(repoRoot: string, project: ProjectName, stack: string): Record<string, unknown> {
  const file = join(repoRoot, "stacks", project, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) throw new Error(`no stack config ${file}`);
  const doc = parse(readFileSync(file, "utf8")) ?? {};
  return { ...(doc.config ?? {}) };
}

export function pulumiProjectName(repoRoot: string, project: ProjectName): string {
  const doc = parse(readFileSync(join(repoRoot, "projects", project, "Pulumi.yaml"), "utf8"));
  return doc.name;
}

export async function runPrograms(
  repoRoot: string,
  stack: string,
  only?: readonly ProjectName[],
): Promise<ProgramRun[]> {
  const ssm: Record<string, string> = {};
  const runs: ProgramRun[] = [];
  for (const project of deploymentOrder()) {
    if (only && !only.includes(project)) continue;
    const reads: string[] = [];
    setupPulumiMocks({
      project: pulumiProjectName(repoRoot, project),
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
    const run = await loaders[project]();
    await runProgram(() => run(stack));
    const records = [...resources()];
    for (const r of records) {
      if (r.type === "aws:ssm/parameter:Parameter")
        ssm[r.state.name] = String(r.state.insecureValue ?? r.state.value);
    }
    runs.push({ project, records, ssm: { ...ssm }, reads: [...new Set(reads)] });
  }
  return runs;
}
