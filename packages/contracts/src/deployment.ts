import type { ProjectName } from "./projects";
import type { ParamDef } from "./ssm";

/**
 * What a project publishes to SSM and reads from it (at deploy time or at run time). The registry
 * (`@sec-an/contracts/registry`, `projectDeps`) derives them from each project's package.json; the
 * deployment order is derived from them, and a test checks them against what each program really
 * registers under mocks and what its handlers read, so they cannot drift.
 */
export interface ProjectDeps {
  readonly publishes: readonly ParamDef[];
  readonly reads: readonly ParamDef[];
}

export interface DependencyEdge {
  readonly from: ProjectName;
  readonly to: ProjectName;
  /** Paths of the parameters that create the edge (published by `from`, read by `to`). */
  readonly params: readonly string[];
}

export class DependencyError extends Error {
  override name = "DependencyError";
}

/** Edges producer → consumer; throws naming the parameter when a read has no publisher or two publishers. */
export function dependencyEdges(deps: Record<string, ProjectDeps>): DependencyEdge[] {
  const publisher = new Map<string, string>();
  for (const [project, d] of Object.entries(deps)) {
    for (const def of d.publishes) {
      const other = publisher.get(def.path);
      if (other && other !== project)
        throw new DependencyError(`${def.path} is published by both ${other} and ${project}`);
      publisher.set(def.path, project);
    }
  }
  const edges = new Map<string, { from: string; to: string; params: string[] }>();
  for (const [project, d] of Object.entries(deps)) {
    for (const def of d.reads) {
      const from = publisher.get(def.path);
      if (!from) throw new DependencyError(`${project} reads ${def.path}, which no project publishes`);
      if (from === project) continue;
      const key = `${from}->${project}`;
      const e = edges.get(key) ?? { from, to: project, params: [] };
      e.params.push(def.path);
      edges.set(key, e);
    }
  }
  return [...edges.values()].map((e) => ({
    ...e,
    params: [...new Set(e.params)].sort(),
  })) as DependencyEdge[];
}

/**
 * Topological order (Kahn), ties broken by name so the result depends only on the declarations.
 * Throws naming the parameters on a cycle.
 */
export function deploymentOrder(deps: Record<string, ProjectDeps>): ProjectName[] {
  const edges = dependencyEdges(deps);
  const names = Object.keys(deps);
  const indegree = new Map(names.map((n) => [n, 0]));
  for (const e of edges) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const ready = names.filter((n) => indegree.get(n) === 0);
  const order: string[] = [];
  while (ready.length) {
    ready.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const n = ready.shift()!;
    order.push(n);
    for (const e of edges.filter((x) => x.from === n)) {
      indegree.set(e.to, indegree.get(e.to)! - 1);
      if (indegree.get(e.to) === 0) ready.push(e.to);
    }
  }
  if (order.length !== names.length) {
    const stuck = edges
      .filter((e) => !order.includes(e.from) && !order.includes(e.to))
      .sort((x, y) => x.from.localeCompare(y.from));
    throw new DependencyError(
      `dependency cycle among ${names.filter((n) => !order.includes(n)).join(", ")}: ` +
        stuck.map((e) => `${e.from} -> ${e.to} (${e.params.join(", ")})`).join("; "),
    );
  }
  return order as ProjectName[];
}

/** Mermaid flowchart of the dependency graph, edges labelled with how many parameters create them. */
export function dependencyMermaid(deps: Record<string, ProjectDeps>): string {
  const id = (n: string) => n.replace(/[^a-zA-Z0-9]/g, "_");
  const lines = ["flowchart LR"];
  for (const n of deploymentOrder(deps)) lines.push(`  ${id(n)}["${n}"]`);
  for (const e of dependencyEdges(deps)) {
    lines.push(
      `  ${id(e.from)} -->|${e.params.length} param${e.params.length === 1 ? "" : "s"}| ${id(e.to)}`,
    );
  }
  return lines.join("\n") + "\n";
}
