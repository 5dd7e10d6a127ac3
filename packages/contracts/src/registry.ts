/**
 * The registry of projects: which Pulumi projects the platform has, read from the workspace, so that
 * adding a scanner is adding a folder. Node-only (it reads the file system): import it as
 * `@sec-an/contracts/registry`; it is deliberately not in the package index, which Lambda bundles use.
 *
 * A project is a workspace package (a folder matched by the root package.json's `workspaces`) whose
 * package.json has a `"sec-an"` field:
 *
 * ```json
 * "main": "src/index.ts",
 * "sec-an": { "project": "nmap", "task": "nmap", "kind": "container-task", "reads": ["vpcId", "ecsCluster"] }
 * ```
 *
 * - `project`: the folder name (checked), also the stack-config folder `stacks/<project>/`.
 * - `kind`: `"platform"` (no task), `"lambda-task"` or `"container-task"`.
 * - `task`: for a task kind, the task name; it must equal `project`, because task SSM parameters are
 *   derived from the task name and record the project of that name as their producer.
 * - `reads`: keys of the contracts `Params` catalogue the project reads, at deploy or run time.
 *
 * What a project publishes follows from the catalogue: every `Params` entry whose producer is the
 * project, plus, for a task, its `taskParams(task)` (a Lambda task has no image or security group).
 * The Pulumi config namespace is the `name` in the project's Pulumi.yaml.
 *
 * The package `main` (and its `exports["."]`) is the project's public index; it exports
 * `runFromConfig(stack: string, inputs?: object)` (the program as `pulumi up` runs it, loaded lazily so
 * the index itself loads no Pulumi), `configSchema` (the whole stack-config schema, app and stage
 * included, that `stacks/<project>/` is checked against) and, for a task, `scanner` (its
 * `ScannerModule`). Tools (the CLI, the local run, the all-in-one stack) load projects only through
 * `loadProject`/`loadProjectSync`; stack config lives in `stacks/<project>/Pulumi.<stack>.yaml`.
 *
 * Adding a project is adding its folder: the deployment order (`deploymentOrder(projectDeps(...))`),
 * `sec-an plan`, `sec-an parse`/`reingest` (`registeredTasks`), the local run and the all-in-one stack
 * all derive from `discoverProjects`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { ProjectDeps } from "./deployment";
import type { ProjectName } from "./projects";
import { Params, taskParams, type ParamDef, type ParamKey } from "./ssm";

export type ProjectKind = "platform" | "lambda-task" | "container-task";
const KINDS: readonly ProjectKind[] = ["platform", "lambda-task", "container-task"];

/** A project as its package.json declares it, with where it lives. */
export interface RegisteredProject {
  readonly name: ProjectName;
  readonly kind: ProjectKind;
  /** The task name, for a task kind (equal to `name`). */
  readonly task?: string;
  readonly reads: readonly ParamKey[];
  /** Absolute folder of the project. */
  readonly dir: string;
  /** npm package name, e.g. `@sec-an/project-nmap`. */
  readonly packageName: string;
  /** Absolute path of the public index (the package `main`). */
  readonly entry: string;
  /** Pulumi project name (Pulumi.yaml `name`): the stack-config namespace. */
  readonly pulumiName: string;
}

/** What a project's public index exports. */
export interface ProjectModule {
  runFromConfig(stack: string, inputs?: object): unknown;
  /** The project's stack-config schema (a typebox object). */
  readonly configSchema?: unknown;
  /** The scanner module of a task project. */
  readonly scanner?: unknown;
}

export class RegistryError extends Error {
  override name = "RegistryError";
}

/** Project names are folder, stack and resource-name parts: DNS-safe and short. */
const NAME = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * The repository root: the nearest folder at or above `from` whose package.json declares `workspaces`.
 * Undefined outside a checkout (e.g. a bundled handler).
 */
export function findRepoRoot(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ("workspaces" in (JSON.parse(readFileSync(pkg, "utf8")) as object)) return dir;
      } catch {
        // An unreadable package.json is not the root; keep walking up.
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** `findRepoRoot` that throws when there is no checkout above `from`. */
export function repoRoot(from: string = __dirname): string {
  const root = findRepoRoot(from);
  if (!root)
    throw new RegistryError(`${from} is not inside a sec-an repository (no package.json with workspaces)`);
  return root;
}

/** `file` relative to the repository root, with `/` separators; undefined outside a checkout. */
export function repoRelative(file: string): string | undefined {
  if (!isAbsolute(file)) throw new RegistryError(`expected an absolute path, got ${JSON.stringify(file)}`);
  const root = findRepoRoot(dirname(file));
  return root === undefined ? undefined : relative(root, file).split(sep).join("/");
}

const readJson = (file: string): Record<string, unknown> => {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new RegistryError(`${file}: ${(e as Error).message}`);
  }
};

/** Folders the root `workspaces` patterns match (`dir/*` or a plain folder). */
function workspaceDirs(root: string): string[] {
  const patterns = readJson(join(root, "package.json")).workspaces;
  if (!Array.isArray(patterns)) throw new RegistryError(`${root}/package.json: "workspaces" must be a list`);
  const dirs: string[] = [];
  for (const p of patterns as string[]) {
    if (p.endsWith("/*")) {
      const parent = join(root, p.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const f of readdirSync(parent).sort()) {
        const d = join(parent, f);
        if (statSync(d).isDirectory() && existsSync(join(d, "package.json"))) dirs.push(d);
      }
    } else if (!p.includes("*")) dirs.push(join(root, p));
    else throw new RegistryError(`workspace pattern ${JSON.stringify(p)} is not supported (use "dir/*")`);
  }
  return dirs;
}

/** The Pulumi.yaml `name` (a top-level `name:` line; no YAML parser needed for one scalar). */
function pulumiName(dir: string, label: string): string {
  const file = join(dir, "Pulumi.yaml");
  if (!existsSync(file)) throw new RegistryError(`${label}: no Pulumi.yaml in ${dir}`);
  const m = /^name:\s*["']?([A-Za-z0-9_.-]+)["']?\s*$/m.exec(readFileSync(file, "utf8"));
  if (!m) throw new RegistryError(`${label}: ${file} has no top-level name`);
  return m[1];
}

/** Validates one package's `"sec-an"` field; every error names the package and the key. */
export function readManifest(pkg: Record<string, unknown>, dir: string): RegisteredProject {
  const label = `${String(pkg.name ?? dir)} (package.json "sec-an")`;
  const fail = (key: string, reason: string): never => {
    throw new RegistryError(`${label}.${key}: ${reason}`);
  };
  const m = pkg["sec-an"];
  if (typeof m !== "object" || m === null || Array.isArray(m))
    throw new RegistryError(`${label}: must be an object`);
  const f = m as Record<string, unknown>;
  for (const k of Object.keys(f))
    if (!["project", "task", "kind", "reads"].includes(k))
      fail(k, "unknown key (known: project, task, kind, reads)");
  const folder = dir.split(sep).pop()!;
  if (typeof f.project !== "string" || !NAME.test(f.project))
    fail("project", `must be a DNS-safe name of at most 31 characters, got ${JSON.stringify(f.project)}`);
  if (f.project !== folder) fail("project", `must equal the folder name ${JSON.stringify(folder)}`);
  if (!KINDS.includes(f.kind as ProjectKind))
    fail("kind", `must be one of ${KINDS.join(", ")}, got ${JSON.stringify(f.kind)}`);
  const kind = f.kind as ProjectKind;
  if (kind === "platform" && f.task !== undefined) fail("task", "a platform project has no task");
  if (kind !== "platform" && f.task !== f.project)
    fail(
      "task",
      `a ${kind} project's task must equal its name ${JSON.stringify(f.project)}, got ${JSON.stringify(f.task)}`,
    );
  if (!Array.isArray(f.reads)) fail("reads", "must be a list of Params keys");
  const reads = f.reads as unknown[];
  for (const r of reads)
    if (typeof r !== "string" || !(r in Params))
      fail("reads", `${JSON.stringify(r)} is not a key of the Params catalogue`);
  if (new Set(reads).size !== reads.length) fail("reads", "lists a parameter twice");
  if (typeof pkg.name !== "string") throw new RegistryError(`${dir}/package.json: no "name"`);
  if (typeof pkg.main !== "string")
    throw new RegistryError(`${label}: the package needs a "main" (its public index)`);
  return {
    name: f.project as string,
    kind,
    ...(kind === "platform" ? {} : { task: f.task as string }),
    reads: reads as ParamKey[],
    dir,
    packageName: pkg.name,
    entry: join(dir, pkg.main),
    pulumiName: pulumiName(dir, label),
  };
}

/**
 * Every registered project of the workspace at `root`, sorted by name. A workspace package with a
 * Pulumi.yaml but no `"sec-an"` field is an error: it would deploy but be missing from every list.
 */
export function discoverProjects(root: string): RegisteredProject[] {
  const projects: RegisteredProject[] = [];
  for (const dir of workspaceDirs(root)) {
    const pkg = readJson(join(dir, "package.json"));
    if (pkg["sec-an"] === undefined) {
      if (existsSync(join(dir, "Pulumi.yaml")))
        throw new RegistryError(
          `${String(pkg.name ?? dir)}: has a Pulumi.yaml but no "sec-an" field in package.json`,
        );
      continue;
    }
    projects.push(readManifest(pkg, dir));
  }
  const seen = new Set<string>();
  for (const p of projects) {
    if (seen.has(p.name))
      throw new RegistryError(`two workspace packages declare project ${JSON.stringify(p.name)}`);
    seen.add(p.name);
  }
  return projects.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The SSM parameters a project publishes: its catalogue entries, and its task's parameters. */
export function publishedParams(p: Pick<RegisteredProject, "name" | "kind" | "task">): ParamDef[] {
  const own = Object.values(Params).filter((d) => d.producer === p.name);
  if (!p.task) return own;
  const t = taskParams(p.task);
  // A Lambda task runs no container: no image and no security group.
  const task = Object.values(t).filter(
    (d) => p.kind === "container-task" || (d !== t.securityGroupId && d !== t.imageId),
  );
  return [...own, ...task];
}

/** What `deploymentOrder` and `dependencyEdges` take, for a set of registered projects. */
export function projectDeps(projects: readonly RegisteredProject[]): Record<string, ProjectDeps> {
  return Object.fromEntries(
    projects.map((p) => [p.name, { publishes: publishedParams(p), reads: p.reads.map((k) => Params[k]) }]),
  );
}

/** The task names of the registered projects at `root`, sorted. */
export function registeredTasks(root: string): string[] {
  return discoverProjects(root).flatMap((p) => (p.task ? [p.task] : []));
}

/** Looks a project up by name, naming the known ones when it is missing. */
export function findProject(projects: readonly RegisteredProject[], name: string): RegisteredProject {
  const p = projects.find((x) => x.name === name);
  if (!p)
    throw new RegistryError(
      `unknown project ${JSON.stringify(name)} (known: ${projects.map((x) => x.name).join(", ") || "none"})`,
    );
  return p;
}

/**
 * Loads a project's public index and checks it exports `runFromConfig` (and `scanner` for a task).
 * `require`, not `import()`: every runner here (ts-node under Pulumi, jest, tsx) loads TypeScript
 * through the CommonJS loader, and a Pulumi program can compose projects synchronously.
 */
export function loadProjectSync(p: RegisteredProject): ProjectModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require(p.entry) as Partial<ProjectModule>;
  if (typeof m.runFromConfig !== "function")
    throw new RegistryError(`${p.packageName}: its index (${p.entry}) does not export runFromConfig`);
  if (p.task && (typeof m.scanner !== "object" || m.scanner === null))
    throw new RegistryError(`${p.packageName}: a ${p.kind} project's index must export its scanner module`);
  return m as ProjectModule;
}

/** `loadProjectSync`, as a promise. */
export async function loadProject(p: RegisteredProject): Promise<ProjectModule> {
  return loadProjectSync(p);
}
