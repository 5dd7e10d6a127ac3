import { dependencyEdges, dependencyMermaid, deploymentOrder } from "@sec-an/contracts";
import type { Io } from "../main";

/** `sec-an plan`: the deployment order derived from SSM dependencies, its edges, and a Mermaid diagram. */
export async function run(args: string[], io: Io): Promise<number> {
  if (args.includes("--mermaid")) {
    io.stdout.write(dependencyMermaid());
    return 0;
  }
  if (args.includes("--json")) {
    io.stdout.write(JSON.stringify({ order: deploymentOrder(), edges: dependencyEdges() }, null, 2) + "\n");
    return 0;
  }
  const order = deploymentOrder();
  io.stdout.write("Deployment order (pulumi up one project at a time, in this order; destroy in reverse):\n");
  order.forEach((p, i) => io.stdout.write(`  ${i + 1}. ${p}   (cd projects/${p} && pulumi up)\n`));
  io.stdout.write("\nEdges (producer -> consumer: SSM parameters that create the dependency):\n");
  for (const e of dependencyEdges()) {
    io.stdout.write(`  ${e.from} -> ${e.to}\n`);
    for (const p of e.params) io.stdout.write(`      ${p}\n`);
  }
  io.stdout.write("\n```mermaid\n" + dependencyMermaid() + "```\n");
  return 0;
}
