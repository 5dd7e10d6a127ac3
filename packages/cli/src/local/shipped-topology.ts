import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import type { ProgramRun } from "./programs";
import { programFiles, programsHash, readCachedRuns, topologyCacheFile } from "./sources-hash";
import { emptyTopology, readTopology, type LocalTopology } from "./topology";

/**
 * The default stack's topology, generated and committed, so a fresh clone's first local run does not
 * spend its first ~10–20 s running every Pulumi program under the mock engine. It records the files the
 * programs' output was computed from (the modules they loaded, every data file and manifest beside them,
 * the workspace listing) and a hash of them: when any of those changes the file is stale, and the run
 * falls back to running the programs. Handler sources a program only bundles are not among them, so
 * editing a handler does not make it stale. Regenerate with `npm run local:topology`.
 */
export const SHIPPED_TOPOLOGY_FILE = join("packages", "cli", "src", "local", "default-topology.json");
export const SHIPPED_STACK = "local";

/** An `aws.lambda.Invocation` the programs declare (index and saved-object specs for the admin function). */
export interface ProgramInvocation {
  project: string;
  name: string;
  functionName: string;
  input: string;
}

/** What a local run takes from the programs. */
export interface ProgramsOutput {
  topology: LocalTopology;
  invocations: ProgramInvocation[];
}

export interface ShippedTopology extends ProgramsOutput {
  stack: string;
  /** Repository-relative files (and folders, whose listing counts) the output depends on. */
  inputs: string[];
  /** `inputsHash` of the above when it was generated. */
  hash: string;
}

export function programsOutput(runs: readonly ProgramRun[]): ProgramsOutput {
  const topology = emptyTopology();
  const invocations: ProgramInvocation[] = [];
  for (const run of runs) {
    readTopology(run.records, topology);
    for (const r of run.records)
      if (r.type === "aws:lambda/invocation:Invocation")
        invocations.push({
          project: run.project,
          name: r.name,
          functionName: r.state.functionName,
          input: r.state.input,
        });
  }
  return { topology, invocations };
}

/** sha256 over each input's name and bytes (a folder: its sorted listing; a missing one: a marker). */
export function inputsHash(repoRoot: string, stack: string, inputs: readonly string[]): string {
  const h = createHash("sha256").update(`${stack}\0`);
  for (const rel of inputs) {
    const p = join(repoRoot, rel);
    h.update(rel).update("\0");
    if (!existsSync(p)) h.update("\u0000missing");
    else if (rel.endsWith("/")) h.update(readdirSync(p).sort().join("\n"));
    else h.update(readFileSync(p));
    h.update("\0");
  }
  return h.digest("hex");
}

/** The shipped topology when it was generated from this tree's files, else undefined. */
export function freshShippedTopology(repoRoot: string, stack: string): ShippedTopology | undefined {
  const file = join(repoRoot, SHIPPED_TOPOLOGY_FILE);
  if (stack !== SHIPPED_STACK || !existsSync(file)) return undefined;
  let shipped: ShippedTopology;
  try {
    shipped = JSON.parse(readFileSync(file, "utf8")) as ShippedTopology;
  } catch {
    return undefined; // a torn merge: the programs answer instead
  }
  if (shipped.stack !== stack || inputsHash(repoRoot, stack, shipped.inputs ?? []) !== shipped.hash)
    return undefined;
  return shipped;
}

/**
 * The inputs of a programs run that has just happened in this process: the repository's modules in
 * `loaded` (require's cache), every data file and manifest under packages/, projects/ and stacks/
 * (programs may read them from disk), and the workspace folders' listings (a new project changes what
 * runs). The shipped file itself is left out.
 */
export function programInputs(repoRoot: string, loaded: readonly string[]): string[] {
  const files = new Set<string>(["package.json", "packages/", "projects/", "stacks/"]);
  for (const m of loaded) {
    if (!isAbsolute(m)) continue;
    const rel = relative(repoRoot, m);
    if (!rel.startsWith("..") && !rel.split(sep).includes("node_modules"))
      files.add(rel.split(sep).join("/"));
  }
  for (const f of programFiles(repoRoot, /\.(json|ya?ml|tmpl)$/)) files.add(f);
  files.delete(SHIPPED_TOPOLOGY_FILE.split(sep).join("/"));
  return [...files].sort();
}

export type TopologySource = "shipped" | "cache" | "programs";

/**
 * The local run's topology: the shipped file when this tree's files are those it was generated from,
 * else the programs' output (cached on disk by their sources' hash, see `runProgramsCached`).
 */
export async function localTopology(
  repoRoot: string,
  stack: string,
  cacheDir: string,
): Promise<ProgramsOutput & { source: TopologySource }> {
  const shipped = freshShippedTopology(repoRoot, stack);
  if (shipped) return { topology: shipped.topology, invocations: shipped.invocations, source: "shipped" };
  const hit = readCachedRuns<ProgramRun>(topologyCacheFile(cacheDir, stack, programsHash(repoRoot, stack)));
  if (hit) return { ...programsOutput(hit), source: "cache" };
  // Loaded only here: the mock engine and every program are seconds of module loading.
  const { runProgramsCached } = await import("./programs");
  const { runs, cached } = await runProgramsCached(repoRoot, stack, cacheDir);
  return { ...programsOutput(runs), source: cached ? "cache" : "programs" };
}

/** Run the programs in this process and write the shipped topology; returns it. */
export async function writeShippedTopology(
  repoRoot: string,
  stack = SHIPPED_STACK,
): Promise<ShippedTopology> {
  const { runPrograms } = await import("./programs");
  const runs = await runPrograms(repoRoot, stack);
  const inputs = programInputs(repoRoot, Object.keys(require.cache));
  const shipped: ShippedTopology = {
    stack,
    inputs,
    hash: inputsHash(repoRoot, stack, inputs),
    ...programsOutput(runs),
  };
  // Formatted as the repository's JSON is, so the formatting check passes on it unchanged.
  const file = join(repoRoot, SHIPPED_TOPOLOGY_FILE);
  const prettier = await import("prettier");
  const options = await prettier.resolveConfig(file);
  writeFileSync(file, await prettier.format(JSON.stringify(shipped), { ...options, filepath: file }));
  return shipped;
}

// `npm run local:topology`
if (require.main === module) {
  void writeShippedTopology(join(__dirname, "..", "..", "..", "..")).then(
    (s) => {
      process.stdout.write(
        `${SHIPPED_TOPOLOGY_FILE}: ${s.topology.functions.length} functions, ${s.topology.queues.length} queues, ${s.inputs.length} inputs\n`,
      );
      process.exit(0); // the mock engine leaves handles open
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
