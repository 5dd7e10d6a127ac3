import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NmapDocType, SOAR_ARTIFACT_TYPES, isSoarArtifactType } from "@sec-an/contracts";
import { OptionError } from "./scanner";
import type { Io } from "../main";
import { TemplateError, formatFiles, renderTemplateSet, writeFiles, type TemplateVars } from "./template";

/**
 * `sec-an new searcher <artifact-type>`: a searcher module and its test in projects/threat-service,
 * registered in the searchers index, for one IBM Security SOAR artifact type.
 */
export const SEARCHER_TEMPLATES = join(__dirname, "templates", "searcher");
export const SEARCHER_USAGE = "new searcher <artifact-type>";
export const SEARCHERS_DIR = "projects/threat-service/src/searchers";
const INDEX_FILE = `${SEARCHERS_DIR}/index.ts`;
const IMPORTS_MARK = "// `sec-an new searcher <type>` adds its import above this line";
const LIST_MARK = "// sec-an new searcher: searchers above this line";

/** Where a generated searcher starts looking: the snapshot documents and field the type most likely matches. */
const STARTING_POINTS: Record<string, { docType: string; field: string; sample: string }> = {
  "threat.report.cve": { docType: NmapDocType.cves, field: "cve_code", sample: "CVE-2023-38408" },
  "net.mac": { docType: NmapDocType.data, field: "mac_address", sample: "00:11:22:33:44:55" },
  "system.name": { docType: NmapDocType.data, field: "most_likely_os", sample: "Linux 5.X" },
};

/** `net.uri.path` → file `net-uri-path`, identifier `netUriPath`. */
export function searcherNames(type: string): { file: string; ident: string } {
  const words = type.split(/[._]/);
  return {
    file: words.join("-"),
    ident: words.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join(""),
  };
}

export function checkArtifactType(type: string | undefined, root: string): string {
  if (!type || type.startsWith("-")) throw new OptionError(`give the artifact type: ${SEARCHER_USAGE}`);
  if (!isSoarArtifactType(type))
    throw new OptionError(
      `${JSON.stringify(type.slice(0, 80))} is not a SOAR artifact type (one of ${SOAR_ARTIFACT_TYPES.join(", ")})`,
    );
  const index = readFileSync(join(root, INDEX_FILE), "utf8");
  const { file } = searcherNames(type);
  if (existsSync(join(root, SEARCHERS_DIR, `${file}.ts`)) || index.includes(`from "./${file}"`))
    throw new OptionError(`the threat service already has a ${type} searcher (${SEARCHERS_DIR}/${file}.ts)`);
  return type;
}

/** The searchers index with one more searcher imported and listed, at the generator's marks. */
export function registerSearcher(indexText: string, ident: string, file: string): string {
  if (!indexText.includes(IMPORTS_MARK) || !indexText.includes(LIST_MARK))
    throw new OptionError(`${INDEX_FILE} has lost the generator's marks; add the searcher by hand`);
  return indexText
    .replace(IMPORTS_MARK, `import { ${ident} } from "./${file}";\n${IMPORTS_MARK}`)
    .replace(`  ${LIST_MARK}`, `  ${ident},\n  ${LIST_MARK}`);
}

export function searcherVars(type: string): TemplateVars {
  const { file, ident } = searcherNames(type);
  const start = STARTING_POINTS[type] ?? {
    docType: NmapDocType.data,
    field: file.replace(/-/g, "_"),
    sample: "example",
  };
  return { type, file, ident, docType: start.docType, field: start.field, sample: start.sample };
}

/** Generates the searcher and its test, and registers it; returns the files written or changed. */
export async function newSearcher(root: string, args: readonly string[]): Promise<string[]> {
  const [, type, ...rest] = args;
  if (rest.length) throw new OptionError(`unexpected ${rest.join(" ")}: ${SEARCHER_USAGE}`);
  checkArtifactType(type, root);
  const vars = searcherVars(type);
  const files = renderTemplateSet(SEARCHER_TEMPLATES, vars, "any", []);
  const indexPath = join(root, INDEX_FILE);
  const index = registerSearcher(readFileSync(indexPath, "utf8"), vars.ident, vars.file);
  const written = writeFiles(root, await formatFiles(root, files));
  writeFileSync(indexPath, index);
  return [...written, INDEX_FILE];
}

/** `sec-an new searcher <artifact-type>`: generate, then say what to do next. */
export async function runSearcher(
  args: string[],
  io: Pick<Io, "stdout" | "stderr">,
  root: string,
): Promise<number> {
  try {
    const written = await newSearcher(root, args);
    const { file } = searcherNames(args[1]);
    io.stdout.write(
      `created the ${args[1]} searcher:\n${written.map((f) => `  ${f}`).join("\n")}\n\nnext:\n` +
        `  npx jest projects/threat-service/test/searchers/${file}.test.ts   # its own test\n` +
        `then write its lookup in ${SEARCHERS_DIR}/${file}.ts (docs/threat-service.md says how).\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof OptionError || e instanceof TemplateError) {
      io.stderr.write(`sec-an new: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
