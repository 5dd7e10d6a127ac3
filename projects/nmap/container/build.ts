import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";

/** The image's inputs: this directory's Dockerfile and the entrypoint bundle. */
export const DOCKERFILE = join(__dirname, "Dockerfile");
export const ENTRYPOINT = join(__dirname, "..", "src", "entrypoint", "main.ts");

/** The entrypoint as one CommonJS file, AWS SDK included (a container has no SDK, unlike Lambda). */
export function bundleEntrypoint(): string {
  const out = buildSync({
    entryPoints: [ENTRYPOINT],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    write: false,
    outfile: "entrypoint.js",
    logLevel: "silent",
    absWorkingDir: join(__dirname, ".."),
    legalComments: "none",
  });
  return out.outputFiles[0].text;
}

export interface ImageContext {
  /** Directory holding Dockerfile + entrypoint.js: the docker build context. */
  readonly dir: string;
  /** Content tag (sha256 of the Dockerfile and bundle): the repository's tags are immutable. */
  readonly tag: string;
}

/** Write the build context to a temporary directory (never into the source tree). */
export function prepareImageContext(): ImageContext {
  const bundle = bundleEntrypoint();
  const tag = createHash("sha256").update(bundle).update(readFileSync(DOCKERFILE)).digest("hex").slice(0, 20);
  const dir = join(tmpdir(), `sec-an-nmap-image-${tag}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "entrypoint.js"), bundle);
  copyFileSync(DOCKERFILE, join(dir, "Dockerfile"));
  return { dir, tag };
}

// `npx tsx projects/nmap/container/build.ts` prints the context directory, for CI's own docker build.
if (require.main === module) {
  const ctx = prepareImageContext();
  process.stdout.write(`${ctx.dir}\n${ctx.tag}\n`);
}
