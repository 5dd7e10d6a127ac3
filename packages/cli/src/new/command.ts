import { readdirSync } from "node:fs";
import { join } from "node:path";
import { discoverProjects, repoRoot } from "@sec-an/contracts/registry";
import { updateDeploymentDoc } from "../commands/deployment-doc";
import type { Io } from "../main";
import { NameError, checkProjectName } from "./names";
import {
  OptionError,
  SCANNER_TEMPLATES,
  SCANNER_VARIANTS,
  SCAN_INITIATOR,
  checkSource,
  scannerVars,
} from "./scanner";
import { runSearcher } from "./searcher";
import { TemplateError, formatFiles, renderTemplateSet, writeFiles } from "./template";

export const USAGE =
  "new scanner <name> [--container] [--from <topic> --filter <json>] | new searcher <artifact-type>";

/** Names a new project may not take, and why: the platform's own projects, packages and CLI commands. */
export function reservedNames(root: string, commands: readonly string[]): Map<string, string> {
  const reserved = new Map<string, string>();
  for (const c of commands) reserved.set(c, `it is a sec-an command`);
  for (const p of readdirSync(join(root, "packages"))) reserved.set(p, `packages/${p} is a platform package`);
  for (const p of discoverProjects(root))
    if (p.kind === "platform") reserved.set(p.name, `projects/${p.name} is a platform project`);
  reserved.set("all-in-one", "stacks/all-in-one holds the all-in-one stack");
  return reserved;
}

interface Parsed {
  kind: string;
  name: string;
  container: boolean;
  from: string;
  filter?: Record<string, unknown>;
}

function parseArgs(args: readonly string[]): Parsed {
  const [kind, name, ...rest] = args;
  if (kind !== "scanner") throw new OptionError(`what to create: ${USAGE}`);
  if (!name || name.startsWith("-")) throw new OptionError(`give the scanner a name: ${USAGE}`);
  const out: Parsed = { kind, name, container: false, from: SCAN_INITIATOR };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined) throw new OptionError(`${a} needs a value`);
      return v;
    };
    if (a === "--container") out.container = true;
    else if (a === "--from") out.from = value();
    else if (a === "--filter") {
      const text = value();
      let f: unknown;
      try {
        f = JSON.parse(text);
      } catch (e) {
        throw new OptionError(`--filter is not JSON: ${(e as Error).message}`);
      }
      if (typeof f !== "object" || f === null || Array.isArray(f))
        throw new OptionError("--filter must be a JSON object (an SNS filter policy)");
      out.filter = f as Record<string, unknown>;
    } else throw new OptionError(`unknown option ${a}: ${USAGE}`);
  }
  checkSource(out.from, out.filter);
  return out;
}

/** Generate a project into `root`; returns the files written (repository-relative). */
export async function newScanner(
  root: string,
  args: readonly string[],
  commands: readonly string[],
): Promise<string[]> {
  const o = parseArgs(args);
  checkProjectName(o.name, {
    kind: "scanner",
    root,
    reserved: reservedNames(root, commands),
    existing: discoverProjects(root).map((p) => p.name),
  });
  const { vars, variant } = scannerVars(o);
  const files = renderTemplateSet(SCANNER_TEMPLATES, vars, variant, SCANNER_VARIANTS);
  return writeFiles(root, await formatFiles(root, files));
}

/** `sec-an new scanner …`: generate, then say what to do next. */
export async function run(
  args: string[],
  io: Io,
  commands: readonly string[],
  root = repoRoot(),
): Promise<number> {
  if (args[0] === "searcher") return runSearcher(args, io, root);
  try {
    const written = await newScanner(root, args, commands);
    // The deployment-order diagram is derived from the registry: keep it true with the new project in it.
    written.push(updateDeploymentDoc(root));
    const name = args[1];
    const next = [
      ["npm install", "link the new workspace package"],
      [`npm test -- projects/${name}`, "its own tests"],
      ["npx sec-an plan", "where it deploys in the order"],
      [`npm start -- --scanners nmap,${name}`, "run it locally"],
    ];
    const width = Math.max(...next.map(([c]) => c.length)) + 2;
    io.stdout.write(
      `created projects/${name} and stacks/${name}:\n${written.map((f) => `  ${f}`).join("\n")}\n\nnext:\n` +
        next.map(([c, why]) => `  ${c.padEnd(width)}# ${why}\n`).join("") +
        `then write your scan in projects/${name}/src/scan.ts and your parser in src/parse.ts.\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof NameError || e instanceof OptionError || e instanceof TemplateError) {
      io.stderr.write(`sec-an new: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
