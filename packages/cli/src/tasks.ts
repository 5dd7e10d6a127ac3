import {
  discoverProjects,
  findProject,
  loadProject,
  repoRoot,
  type RegisteredProject,
} from "@sec-an/contracts/registry";
import type { TaskModule } from "./commands/parse";

/** Checks a scanner module has what `sec-an parse` and `sec-an reingest` use, naming what is missing. */
function asTaskModule(p: RegisteredProject, scanner: unknown): TaskModule {
  const s = scanner as Partial<TaskModule>;
  const missing = [
    s.name === p.task ? "" : `name ${JSON.stringify(p.task)}`,
    typeof s.parserVersion === "string" ? "" : "parserVersion",
    typeof s.parse === "function" ? "" : "parse",
    Array.isArray(s.docTypes) ? "" : "docTypes",
  ].filter(Boolean);
  if (missing.length) throw new Error(`${p.packageName}: its scanner module lacks ${missing.join(", ")}`);
  return s as TaskModule;
}

/**
 * The scanner tasks of the registered projects (see `@sec-an/contracts/registry`), each loaded through
 * its project's public index. `root` is the repository to read the registry from.
 */
export async function taskRegistry(root: string = repoRoot()): Promise<Record<string, TaskModule>> {
  const tasks = discoverProjects(root).filter((p) => p.task);
  const modules = await Promise.all(tasks.map(async (p) => asTaskModule(p, (await loadProject(p)).scanner)));
  return Object.fromEntries(modules.map((m) => [m.name, m]));
}

/** A registered project's public index, by project name (the local run seeds through them). */
export async function projectIndex<T = unknown>(name: string, root: string = repoRoot()): Promise<T> {
  return (await loadProject(findProject(discoverProjects(root), name))) as T;
}
