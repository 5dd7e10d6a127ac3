import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { discoverProjects, repoRoot } from "@sec-an/contracts/registry";

/**
 * Packages meet through their public entries: every workspace package declares an `exports` map, no
 * source names a subpath of a package that the package does not export, and the CLI reaches projects
 * only through the registry (no static import of a project, no project dependency).
 */
const root = repoRoot(__dirname);

interface Pkg {
  dir: string;
  name: string;
  main?: string;
  exports?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const workspaces: Pkg[] = ["packages", "projects"].flatMap((parent) =>
  readdirSync(join(root, parent))
    .filter((d) => existsSync(join(root, parent, d, "package.json")))
    .map((d) => ({
      dir: join(root, parent, d),
      ...(JSON.parse(readFileSync(join(root, parent, d, "package.json"), "utf8")) as Omit<Pkg, "dir">),
    })),
);

/** TypeScript and JavaScript sources of the repository, outside node_modules and temporary folders. */
function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    if (f === "node_modules" || f.startsWith(".") || f === "dist") continue;
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(f)) out.push(p);
  }
  return out;
}

/** `@sec-an/<pkg>/<subpath>` specifiers in a text (imports, requires, require.resolve, dynamic imports). */
const subpathSpecifiers = (text: string) =>
  [...text.matchAll(/["'`]@sec-an\/([a-z0-9-]+)\/([^"'`\s]+)["'`]/g)].map((m) => ({ pkg: m[1], sub: m[2] }));

/** A static import of a project package; group 1 is "type " for a type-only import. */
const PROJECT_IMPORT = /\bimport\s+(type\s+)?[^;]*?from\s*["'](@sec-an\/project-[a-z0-9-]+)[^"']*["']/g;

/** Whether `./<sub>` matches an exports key (exact, or a `*` pattern). */
function exported(exportsMap: Record<string, string>, sub: string): boolean {
  return Object.keys(exportsMap).some((k) => {
    if (!k.includes("*")) return k === `./${sub}`;
    const [pre, post] = k.split("*");
    return `./${sub}`.startsWith(pre) && `./${sub}`.endsWith(post);
  });
}

describe("package boundaries", () => {
  it.each(workspaces.map((w) => [w.name, w] as const))("%s declares exports, and they exist", (_n, w) => {
    expect(w.exports).toBeDefined();
    expect(w.exports!["."]).toBe(`./${w.main}`);
    for (const [key, target] of Object.entries(w.exports!)) {
      if (key.includes("*")) continue;
      expect({ key, exists: existsSync(join(w.dir, target)) }).toEqual({ key, exists: true });
    }
  });

  it("no source names a subpath its package does not export", () => {
    const byName = new Map(workspaces.map((w) => [w.name.replace(/^@sec-an\//, ""), w]));
    const bad: string[] = [];
    for (const file of sources(root).filter((f) => f !== __filename)) {
      for (const { pkg, sub } of subpathSpecifiers(readFileSync(file, "utf8"))) {
        const w = byName.get(pkg);
        if (w && !exported(w.exports ?? {}, sub)) bad.push(`${relative(root, file)}: @sec-an/${pkg}/${sub}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("the CLI reaches projects only through the registry", () => {
    const cli = workspaces.find((w) => w.name === "@sec-an/cli")!;
    const projectPackages = new Set(discoverProjects(root).map((p) => p.packageName));
    expect(Object.keys(cli.dependencies ?? {}).filter((d) => projectPackages.has(d))).toEqual([]);
    const imports: string[] = [];
    for (const file of sources(join(cli.dir, "src"))) {
      const text = readFileSync(file, "utf8");
      // A type-only import is erased: it shapes the local store after the analytics store's seam.
      for (const m of text.matchAll(PROJECT_IMPORT))
        if (!m[1]) imports.push(`${relative(root, file)}: ${m[2]}`);
      for (const m of text.matchAll(/\b(?:import|require)\s*\(\s*["'`](@sec-an\/project-[a-z0-9-]+)/g))
        imports.push(`${relative(root, file)}: ${m[1]}`);
    }
    expect(imports).toEqual([]);
  });

  it("the subpath check itself matches exact and pattern exports", () => {
    const typeOnly = 'import type {\n  A,\n} from "@sec-an/project-x";';
    expect([...typeOnly.matchAll(PROJECT_IMPORT)][0][1]).toBe("type ");
    const map = {
      ".": "./src/index.ts",
      "./handlers/*": "./src/handlers/*.ts",
      "./registry": "./src/registry.ts",
    };
    expect(exported(map, "registry")).toBe(true);
    expect(exported(map, "handlers/dead-letter-recorder")).toBe(true);
    expect(exported(map, "src/registry")).toBe(false);
    expect(
      subpathSpecifiers(`import x from "@sec-an/runtime/src/a"; require.resolve('@sec-an/cli/b')`),
    ).toEqual([
      { pkg: "runtime", sub: "src/a" },
      { pkg: "cli", sub: "b" },
    ]);
  });
});
