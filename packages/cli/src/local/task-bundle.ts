import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

/**
 * A task's entrypoint as one JavaScript file, bundled as the deploy bundles code (`bundleEntry`:
 * esbuild, minified): `node <bundle>` starts in a fraction of a second, where compiling the TypeScript
 * sources at every task start took seconds. Cached under `cacheDir` by `sourcesHash` (the programs'
 * sources hash, which covers every source the entrypoint imports), so an unchanged tree bundles nothing.
 * The packages a bundle leaves external (the AWS SDK) resolve through the task's NODE_PATH.
 *
 * A miss is built in a child process (esbuild's synchronous API would block the run's start-up
 * meanwhile); the child loads only the bundler (`@sec-an/components/bundle`), not the Pulumi SDK.
 */
export async function taskBundle(
  repoRoot: string,
  entry: string,
  cacheDir: string,
  sourcesHash: string,
): Promise<string> {
  const name = entry.replace(/\.[cm]?ts$/, "").replace(/[^A-Za-z0-9]+/g, "-");
  const file = join(cacheDir, `task-${name}-${sourcesHash.slice(0, 32)}.js`);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const tsx = pathToFileURL(require.resolve("tsx")).href;
  await promisify(execFile)(process.execPath, ["--import", tsx, __filename, resolve(repoRoot, entry), tmp], {
    timeout: 120_000,
  });
  renameSync(tmp, file); // whole or absent, even when two runs race
  return file;
}

// The child: `node --import tsx task-bundle.ts <entry> <out>`.
if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bundleEntry } = require("@sec-an/components/bundle") as typeof import("@sec-an/components/bundle");
  writeFileSync(process.argv[3], bundleEntry(process.argv[2]));
}
