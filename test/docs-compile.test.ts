import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as ts from "typescript";
import { repoRoot } from "@sec-an/contracts/registry";

/**
 * Every TypeScript block of the documentation (docs/*.md and README.md) type-checks against the code,
 * so a guide cannot drift from the API it describes. A block whose first line is a path comment
 * (`// src/task.ts — …`) is written at that path, so blocks of one document can import each other; any
 * other block is a module of its own. A block may opt out only with `<!-- not-compiled: reason -->` on
 * the line before its fence; the opt-outs are listed below as tests of their own.
 */
const root = repoRoot(__dirname);

export interface DocBlock {
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** Path the block is written at, relative to its document's folder. */
  file: string;
  optOut?: string;
}

const FENCE = /^```(ts|typescript)\s*$/;
const PATH_COMMENT = /^\/\/\s*((?:[\w.-]+\/)*[\w.-]+\.ts)(?=\s|$)/;
const OPT_OUT = /^<!--\s*not-compiled:\s*(.*?)\s*-->\s*$/;

/** The TypeScript blocks of one markdown text. */
export function tsBlocks(doc: string, text: string): DocBlock[] {
  const lines = text.split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i])) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    let prev = start - 1;
    while (prev >= 0 && lines[prev].trim() === "") prev--;
    const optOut = prev >= 0 ? OPT_OUT.exec(lines[prev])?.[1] : undefined;
    const named = PATH_COMMENT.exec(body[0] ?? "")?.[1];
    blocks.push({
      doc,
      line: start + 1,
      code: body.join("\n") + "\n",
      file: named ?? `block-${start + 1}.ts`,
      ...(optOut === undefined ? {} : { optOut }),
    });
  }
  return blocks;
}

/** Type-checks blocks in a temporary folder inside the repository (so packages resolve); returns the errors. */
export function compileBlocks(blocks: readonly DocBlock[]): string[] {
  const tmp = mkdtempSync(join(root, ".docs-compile-"));
  try {
    const where = new Map<string, DocBlock>();
    for (const b of blocks) {
      const file = join(tmp, b.doc.replace(/[^A-Za-z0-9]/g, "_"), b.file);
      if (where.has(file)) throw new Error(`${b.doc}:${b.line}: a second block for ${b.file}`);
      mkdirSync(dirname(file), { recursive: true });
      // Each block is a module, so blocks' top-level names never collide.
      writeFileSync(file, `${b.code}export {};\n`);
      where.set(file, b);
    }
    const base = ts.getParsedCommandLineOfConfigFile(
      join(root, "tsconfig.base.json"),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        },
      },
    )!.options;
    const program = ts.createProgram([...where.keys()], {
      ...base,
      noEmit: true,
      types: ["node"],
      // Snippets show a part of a module; a name they declare for the reader may go unused.
      noUnusedLocals: false,
      noUnusedParameters: false,
    });
    return ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && where.has(d.file.fileName))
      .map((d) => {
        const b = where.get(d.file!.fileName)!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${b.doc}:${b.line + 1 + line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
      });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const docs = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const blocks = docs.flatMap((d) => tsBlocks(d, readFileSync(join(root, d), "utf8")));
const optedOut = blocks.filter((b) => b.optOut !== undefined);

describe("TypeScript in the documentation", () => {
  it("compiles every block that does not opt out", () => {
    expect(compileBlocks(blocks.filter((b) => b.optOut === undefined))).toEqual([]);
  }, 120_000);

  it(`lists its opt-outs, each with a reason: ${optedOut.map((b) => `${b.doc}:${b.line} (${b.optOut})`).join("; ") || "none"}`, () => {
    expect(optedOut.filter((b) => !b.optOut!.trim()).map((b) => `${b.doc}:${b.line}`)).toEqual([]);
  });
});

describe("the docs check itself", () => {
  it("finds blocks, their paths and opt-outs, and reports a block that does not compile", () => {
    const md = [
      "# x",
      "```ts",
      "// src/lib.ts — a helper",
      "export const n: number = 1;",
      "```",
      "<!-- not-compiled: shows a shell session -->",
      "",
      "```ts",
      "this is not TypeScript",
      "```",
      "```typescript",
      'import { n } from "./src/lib";',
      'import { Params } from "@sec-an/contracts";',
      "const s: string = n;",
      "const p: string = Params.vpcId.path;",
      "```",
    ].join("\n");
    const found = tsBlocks("x.md", md);
    expect(found.map((b) => [b.file, b.line, b.optOut])).toEqual([
      ["src/lib.ts", 2, undefined],
      ["block-8.ts", 8, "shows a shell session"],
      ["block-11.ts", 11, undefined],
    ]);
    const errors = compileBlocks(found.filter((b) => !b.optOut));
    expect(errors).toEqual(["x.md:14: TS2322 Type 'number' is not assignable to type 'string'."]);
    expect(readdirSync(root).filter((f) => f.startsWith(".docs-compile-"))).toEqual([]);
  }, 120_000);
});
