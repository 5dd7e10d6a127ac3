import * as path from "node:path";
import { buildSync } from "esbuild";

export interface BundleOptions {
  /** Inline a source map (helps stack traces; costs init time, so off by default). */
  readonly sourcemap?: boolean;
  /** Further packages to leave as `require`s (e.g. ones a layer provides). `@aws-sdk/*` always is. */
  readonly external?: readonly string[];
}

/**
 * Packages a handler loads when it first uses one of their exports rather than at cold start. Every
 * handler shares the runtime kit, whose modules import SDK commands for paths most invocations never
 * take (dead letters, the error channel, …), and loading one SDK client package costs about as much as
 * a bare Node start; the OpenSearch client and typebox's compiler are as heavy and as rarely first.
 * The SDK stays external (the Lambda runtime ships it); the others are bundled, initialised on first use.
 */
const LAZY =
  /^(@aws-sdk\/(client-[a-z0-9-]+|lib-dynamodb)|@opensearch-project\/opensearch|@sinclair\/typebox\/compiler)$/;
const LAZY_IMPORT = /^var (\w+) = require\("([^"]+)"\);$/gm;
const LAZY_HELPER =
  "var __lazyModule = (load) => { let m; return new Proxy({}, { get: (_, k) => (m ??= load())[k] }); };\n";

/**
 * Rewrites esbuild's top-level `var x = require("pkg");` for a lazy package into a proxy that requires
 * it on the first property read (esbuild reads named imports as `x.name` at each use, so every use goes
 * through the proxy). Imports of any other shape are left eager.
 */
export function deferImports(code: string): string {
  let hit = false;
  const out = code.replace(LAZY_IMPORT, (line, name: string, spec: string) => {
    if (!LAZY.test(spec)) return line;
    hit = true;
    return `var ${name} = __lazyModule(() => require(${JSON.stringify(spec)}));`;
  });
  return hit ? LAZY_HELPER + out : out;
}

// Bundling is pure and deterministic for a given file tree, so one build per entry per process is
// enough; programs that create many functions from the same handler (and tests) stay fast.
const cache = new Map<string, string>();

/**
 * Bundles a TypeScript Lambda entry into one CommonJS file. `@aws-sdk/*` stays external because the
 * nodejs22.x runtime ships AWS SDK v3: bundling it would add ~200 kB per client and slow cold starts.
 */
export function bundleEntry(entry: string, options: BundleOptions = {}): string {
  if (!path.isAbsolute(entry))
    throw new Error(`Lambda entry must be an absolute path, got ${JSON.stringify(entry)}`);
  const external = ["@aws-sdk/*", ...(options.external ?? [])];
  const key = [entry, options.sourcemap ? "map" : "", ...external].join("\0");
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const common = {
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    sourcemap: options.sourcemap ? "inline" : false,
    write: false,
    outfile: "index.js",
    logLevel: "silent",
    // esbuild writes module paths relative to this directory into the bundle; anchoring it to the entry
    // (not the process cwd) keeps the archive, and so the deployment, identical wherever Pulumi runs.
    absWorkingDir: path.dirname(entry),
    legalComments: "none",
  } as const;
  // Two passes, because esbuild's synchronous API takes no plugins: the first leaves the lazy packages
  // as requires, which are deferred; the second bundles the deferred non-SDK ones inside their loaders.
  const first = buildSync({
    ...common,
    entryPoints: [entry],
    // All of typebox, so the second pass bundles it once: its compiler and core share module state
    // (the format registry) that two copies would split.
    external: [...external, "@opensearch-project/opensearch", "@sinclair/typebox", "@sinclair/typebox/*"],
  }).outputFiles[0].text;
  const result = buildSync({
    ...common,
    stdin: {
      contents: deferImports(first),
      resolveDir: path.dirname(entry),
      sourcefile: "index.js",
      loader: "js",
    },
    external,
    // Full minification: smaller bundles parse faster at cold start (the Redis client alone is over 1 MB
    // unminified). `sourcemap` maps stack traces back to the sources when they are needed.
    minify: true,
  });
  const code = result.outputFiles[0].text;
  cache.set(key, code);
  return code;
}
