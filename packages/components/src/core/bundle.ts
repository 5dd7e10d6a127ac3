import * as path from "node:path";
import { buildSync } from "esbuild";
import * as pulumi from "@pulumi/pulumi";

export interface BundleOptions {
  /** Inline a source map (helps stack traces; costs init time, so off by default). */
  readonly sourcemap?: boolean;
  /** Further packages to leave as `require`s (e.g. ones a layer provides). `@aws-sdk/*` always is. */
  readonly external?: readonly string[];
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
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: false,
    sourcemap: options.sourcemap ? "inline" : false,
    external,
    write: false,
    outfile: "index.js",
    logLevel: "silent",
    // esbuild writes module paths relative to this directory into the bundle; anchoring it to the entry
    // (not the process cwd) keeps the archive, and so the deployment, identical wherever Pulumi runs.
    absWorkingDir: path.dirname(entry),
    legalComments: "none",
  });
  const code = result.outputFiles[0].text;
  cache.set(key, code);
  return code;
}

/** The bundle as a Lambda deployment archive holding `index.js` (handler `index.handler`). */
export function bundleArchive(entry: string, options: BundleOptions = {}): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({
    "index.js": new pulumi.asset.StringAsset(bundleEntry(entry, options)),
  });
}
