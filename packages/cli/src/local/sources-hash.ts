import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Folders whose files decide what the programs register (their sources, stack configs, manifests). */
const PROGRAM_INPUTS = ["packages", "projects", "stacks"];
const SKIP_DIRS = new Set(["node_modules", "test", "bench", "dist", ".sec-an", "container"]);

/**
 * Repository-relative paths (with `/`) of the files under packages/, projects/ and stacks/ whose names
 * match `name`, in a stable order; tests, benches, containers, build output and dependencies left out.
 */
export function programFiles(repoRoot: string, name: RegExp): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(join(repoRoot, dir), { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) walk(rel);
      } else if (name.test(e.name)) out.push(rel);
    }
  };
  for (const top of PROGRAM_INPUTS) walk(top);
  return out;
}

/**
 * A hash of every file the programs' output can depend on: sources under packages/ and projects/
 * (tests excluded), stack configs and package manifests. Any edit there misses the cache.
 */
export function programsHash(repoRoot: string, stack: string): string {
  const h = createHash("sha256").update(`${stack}\0`);
  for (const rel of programFiles(repoRoot, /\.(ts|js|mjs|json|ya?ml|tmpl)$/))
    h.update(rel)
      .update("\0")
      .update(readFileSync(join(repoRoot, rel)))
      .update("\0");
  return h.digest("hex");
}

/** Where `runProgramsCached` keeps the programs' output for a sources' hash. */
export const topologyCacheFile = (cacheDir: string, stack: string, hash: string): string =>
  join(cacheDir, `topology-${stack}-${hash}.json`);

/** The cached programs' output in `file`, or undefined when absent, torn or foreign (the programs run again). */
export function readCachedRuns<T>(file: string): T[] | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const runs = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return Array.isArray(runs) ? (runs as T[]) : undefined;
  } catch {
    return undefined;
  }
}
