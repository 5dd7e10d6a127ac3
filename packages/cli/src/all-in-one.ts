import { wireExportsDirectly } from "@sec-an/components";
import { deploymentOrder, type ProjectName } from "@sec-an/contracts";
import * as analyticsPlatform from "@sec-an/project-analytics-platform/src/program";
import * as nmap from "@sec-an/project-nmap/src/program";
import * as sharedCode from "@sec-an/project-shared-code/src/program";
import * as sharedInfra from "@sec-an/project-shared-infra/src/program";
import * as ssl from "@sec-an/project-ssl/src/program";
import * as taskExecution from "@sec-an/project-task-execution/src/program";

/**
 * Every project's program in one stack, for ephemeral test environments. The same entry functions as
 * the per-project stacks run, in the derived deployment order; each project keeps its own config
 * namespace (`sec-an-nmap:image`, …). Deploy-time reads of another project's SSM export take that
 * project's output directly, so a fresh stack needs nothing from an earlier deploy.
 */
export function allInOne(stack: string, inputs: nmap.ProgramInputs = {}): Record<ProjectName, unknown> {
  const run: Record<ProjectName, () => unknown> = {
    "shared-code": () => sharedCode.runFromConfig(stack),
    "shared-infra": () => sharedInfra.runFromConfig(stack),
    "analytics-platform": () => analyticsPlatform.runFromConfig(stack),
    "task-execution": () => taskExecution.runFromConfig(stack),
    nmap: () => nmap.runFromConfig(stack, inputs),
    ssl: () => ssl.runFromConfig(stack),
  };
  wireExportsDirectly();
  const outputs = {} as Record<ProjectName, unknown>;
  for (const project of deploymentOrder()) outputs[project] = run[project]();
  return outputs;
}
