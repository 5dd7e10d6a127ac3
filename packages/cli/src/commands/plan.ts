import {
  dependencyEdges,
  dependencyMermaid,
  deploymentOrder,
  paramName,
  type DependencyEdge,
} from "@sec-an/contracts";
import { discoverProjects, projectDeps, repoRoot } from "@sec-an/contracts/registry";
import type { Io } from "../main";

/** The stack whose config the programs run with under mocks (the local run's, which needs no AWS). */
const MOCK_STACK = "local";

/**
 * Per consumer, the parameter paths its program reads at deploy time, found by running every
 * project's real program under the mock engine and recording its SSM lookups (the local run does the
 * same). Every other declared read is made at run time, by the consumer's functions.
 */
export function deployTimeReads(root: string = repoRoot()): Promise<Map<string, Set<string>>> {
  // Running every program takes seconds; one run per repository is enough for a process.
  let found = cache.get(root);
  if (!found) {
    found = (async () => {
      const { runPrograms } = await import("../local/programs");
      const prefix = paramName({ app: "sec-an", stage: MOCK_STACK }, { path: "/" } as never).slice(0, -1);
      const out = new Map<string, Set<string>>();
      for (const run of await runPrograms(root, MOCK_STACK))
        out.set(
          run.project,
          new Set(run.reads.map((n) => (n.startsWith(prefix) ? n.slice(prefix.length) : n))),
        );
      return out;
    })();
    cache.set(root, found);
    found.catch(() => cache.delete(root));
  }
  return found;
}
const cache = new Map<string, Promise<Map<string, Set<string>>>>();

/**
 * Each edge with the subset of its parameters the consumer reads at deploy time; `null` when the
 * consumer's program did not run under mocks (then which reads are deploy-time is unknown).
 */
export function markDeployTime(
  edges: readonly DependencyEdge[],
  deployReads: ReadonlyMap<string, ReadonlySet<string>>,
): Array<DependencyEdge & { deployTime: string[] | null }> {
  return edges.map((e) => {
    const reads = deployReads.get(e.to);
    return { ...e, deployTime: reads ? e.params.filter((p) => reads.has(p)) : null };
  });
}

/** The registered projects' SSM dependencies (`@sec-an/contracts/registry`). */
export const registeredDeps = (root: string = repoRoot()) => projectDeps(discoverProjects(root));

/**
 * `sec-an plan`: the deployment order derived from SSM dependencies, its edges with each parameter
 * marked as a deploy-time or run-time read, and a Mermaid diagram. `--order` prints only the order,
 * as a JSON array on one line, from the registry's declarations alone (no program runs), for CI's
 * deploy matrix.
 */
export async function run(args: string[], io: Io, root: string = repoRoot()): Promise<number> {
  const deps = registeredDeps(root);
  if (args.includes("--order")) {
    io.stdout.write(JSON.stringify(deploymentOrder(deps)) + "\n");
    return 0;
  }
  if (args.includes("--mermaid")) {
    io.stdout.write(dependencyMermaid(deps));
    return 0;
  }
  const order = deploymentOrder(deps);
  let deployReads: Map<string, Set<string>>;
  try {
    deployReads = await deployTimeReads(root);
  } catch (e) {
    io.stderr.write(
      `sec-an plan: could not run the programs under mocks to find deploy-time reads: ${(e as Error).message}\n`,
    );
    return 1;
  }
  const edges = markDeployTime(dependencyEdges(deps), deployReads);
  if (args.includes("--json")) {
    io.stdout.write(JSON.stringify({ order, edges }, null, 2) + "\n");
    return 0;
  }
  io.stdout.write("Deployment order (pulumi up one project at a time, in this order; destroy in reverse):\n");
  order.forEach((p, i) => io.stdout.write(`  ${i + 1}. ${p}   (cd projects/${p} && pulumi up)\n`));
  io.stdout.write(
    "\nEdges (producer -> consumer: SSM parameters that create the dependency).\n" +
      "  [deploy] the consumer's program reads it at deploy time: run its `pulumi up` again after it changes.\n" +
      "  [run]    the consumer's functions read it at run time (cached for minutes): no redeploy needed.\n" +
      "  [?]      the consumer's program could not be run under mocks here, so this is not known.\n",
  );
  for (const e of edges) {
    io.stdout.write(`  ${e.from} -> ${e.to}\n`);
    for (const p of e.params) {
      const mark = !e.deployTime ? "[?]     " : e.deployTime.includes(p) ? "[deploy]" : "[run]   ";
      io.stdout.write(`      ${mark} ${p}\n`);
    }
  }
  io.stdout.write("\n```mermaid\n" + dependencyMermaid(deps) + "```\n");
  return 0;
}
