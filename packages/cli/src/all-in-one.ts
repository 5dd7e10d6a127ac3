import { wireExportsDirectly } from "@sec-an/components";
import { deploymentOrder } from "@sec-an/contracts";
import {
  discoverProjects,
  findProject,
  loadProjectSync,
  projectDeps,
  repoRoot,
} from "@sec-an/contracts/registry";

/**
 * Every registered project's program in one stack, for ephemeral environments: each project's public
 * `runFromConfig`, as its own stack runs it, in the derived deployment order; each keeps its own config
 * namespace (`sec-an-nmap:image`, …). Deploy-time reads of another project's SSM export take that
 * project's output directly, so a fresh stack needs nothing from an earlier deploy. `inputs` are per
 * project (passed as `runFromConfig`'s second argument).
 */
export function allInOne(
  stack: string,
  inputs: Readonly<Record<string, object>> = {},
  root: string = repoRoot(__dirname),
): Record<string, unknown> {
  const projects = discoverProjects(root);
  wireExportsDirectly();
  const outputs: Record<string, unknown> = {};
  for (const name of deploymentOrder(projectDeps(projects)))
    outputs[name] = loadProjectSync(findProject(projects, name)).runFromConfig(stack, inputs[name]);
  return outputs;
}
