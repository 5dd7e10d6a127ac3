import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/**
 * A template set is a folder of `*.tmpl` files laid out as they land in the repository, with
 * `__name__` in paths and `{{var}}` in contents. A file ending `.<variant>.tmpl` is written only for
 * that variant (e.g. `scan.ts.lambda.tmpl`), so `sec-an new scanner` and a later `sec-an new searcher`
 * are each a template folder, a name check and a set of variables.
 */
export type TemplateVars = Readonly<Record<string, string>>;

export class TemplateError extends Error {
  override name = "TemplateError";
}

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.name.endsWith(".tmpl")) yield p;
  }
}

/** Replace every `{{var}}`; a variable the set does not define is an error, never left in the output. */
export function renderText(text: string, vars: TemplateVars, where: string): string {
  return text.replace(/\{\{([A-Za-z][A-Za-z0-9]*)\}\}/g, (_m, key: string) => {
    if (!Object.hasOwn(vars, key)) throw new TemplateError(`${where}: no value for {{${key}}}`);
    return vars[key];
  });
}

/**
 * The files of a template set for `variant` (one of `variants`): repository-relative path → content.
 * Rendering only reads: nothing is written until every file rendered.
 */
export function renderTemplateSet(
  dir: string,
  vars: TemplateVars,
  variant: string,
  variants: readonly string[],
): Map<string, string> {
  const files = new Map<string, string>();
  for (const file of walk(dir)) {
    const rel = relative(dir, file).split(sep).join("/");
    let target = rel.slice(0, -".tmpl".length);
    const only = variants.find((v) => target.endsWith(`.${v}`));
    if (only) {
      if (only !== variant) continue;
      target = target.slice(0, -(only.length + 1));
    }
    target = target.replace(/__([a-z]+)__/g, (_s, key: string) => {
      if (!Object.hasOwn(vars, key)) throw new TemplateError(`${rel}: no value for __${key}__ in its path`);
      return vars[key];
    });
    files.set(target, renderText(readFileSync(file, "utf8"), vars, rel));
  }
  return files;
}

/** Format what prettier knows how to, with the repository's settings; other files are left as rendered. */
export async function formatFiles(root: string, files: Map<string, string>): Promise<Map<string, string>> {
  let prettier: typeof import("prettier");
  try {
    prettier = await import("prettier");
  } catch {
    return files;
  }
  const out = new Map<string, string>();
  for (const [rel, text] of files) {
    const filepath = join(root, rel);
    const info = await prettier.getFileInfo(filepath);
    if (!info.inferredParser) {
      out.set(rel, text);
      continue;
    }
    const options = (await prettier.resolveConfig(filepath)) ?? {};
    out.set(rel, await prettier.format(text, { ...options, filepath }));
  }
  return out;
}

/** Write every file under `root`; refuses (before writing anything) when one already exists. */
export function writeFiles(root: string, files: Map<string, string>): string[] {
  const clash = [...files.keys()].filter((rel) => existsSync(join(root, rel)));
  if (clash.length) throw new TemplateError(`would overwrite ${clash.join(", ")}`);
  for (const [rel, text] of files) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return [...files.keys()];
}
