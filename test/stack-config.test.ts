import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import { Type, type TObject } from "@sinclair/typebox";
import { DEPLOYMENT_KEYS, readConfigValue } from "@sec-an/components";
import { discoverProjects, loadProject, repoRoot } from "@sec-an/contracts/registry";

/**
 * Every registered project's documented stack (`stacks/<project>/Pulumi.dev.yaml`) agrees with its
 * stack-config schema: no key the schema lacks, every set value valid, and every key shown commented
 * out (the documented default) equal to the schema's default unless its comment says it is an example.
 * Also: `stacks/` has a folder for exactly the registered projects (plus the all-in-one stack).
 */
const root = repoRoot(__dirname);
const projects = discoverProjects(root);

/** A trailing comment that says the value shown is not the default. */
const MARKED = /^#\s*(required|example|default:)|\bexample\b/;

/** `# ns:key: value  # comment` lines: keys shown commented out, with their value text and comment. */
function commentedKeys(text: string, namespace: string) {
  const out: { key: string; value: string; comment: string }[] = [];
  const re = new RegExp(`^\\s*#\\s*${namespace.replace(/[-]/g, "\\-")}:([A-Za-z0-9_]+):(.*)$`, "gm");
  for (const m of text.matchAll(re)) {
    const rest = m[2];
    // A trailing comment starts at " #" outside quotes.
    const at = rest.search(/\s#(?=(?:[^"']*["'][^"']*["'])*[^"']*$)/);
    const value = (at < 0 ? rest : rest.slice(0, at)).trim();
    out.push({ key: m[1], value, comment: at < 0 ? "" : rest.slice(at).trim() });
  }
  return out;
}

/** Problems of one stack file against a schema (empty when they agree). */
function stackProblems(text: string, namespace: string, schema: TObject, shownAreDefaults = false): string[] {
  const problems: string[] = [];
  // Trailing comments of set keys (the YAML parser drops them).
  const activeComments = new Map(
    [...text.matchAll(/^\s+([\w-]+:\w+):[^#\n]*?(#.*)$/gm)].map((m) => [m[1], m[2].replace(/^#\s*/, "# ")]),
  );
  const config = ((parse(text) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
  for (const [full, value] of Object.entries(config)) {
    const [ns, key] = full.split(":");
    if (ns !== namespace) continue;
    const s = schema.properties[key];
    if (!s) {
      problems.push(`${full}: not a key of the schema`);
      continue;
    }
    let read: unknown;
    try {
      read = readConfigValue(namespace, key, s, typeof value === "string" ? value : JSON.stringify(value));
    } catch (e) {
      problems.push((e as Error).message);
      continue;
    }
    // The documented stack shows defaults unless the line says otherwise.
    const comment = activeComments.get(full) ?? "";
    if (
      shownAreDefaults &&
      s.default !== undefined &&
      !MARKED.test(comment) &&
      !isDeepStrictEqual(read, s.default)
    )
      problems.push(
        `${full} is shown as ${JSON.stringify(value)} but the schema's default is ${JSON.stringify(s.default)}`,
      );
  }
  for (const { key, value, comment } of commentedKeys(text, namespace)) {
    const s = schema.properties[key];
    if (!s) {
      problems.push(`${namespace}:${key} (commented): not a key of the schema`);
      continue;
    }
    // A key without a static default (stage, an optional override) or marked shows a sample.
    if (!value || s.default === undefined || MARKED.test(comment)) continue;
    let shown: unknown;
    try {
      shown = readConfigValue(namespace, key, s, String(parse(value)));
    } catch (e) {
      problems.push(`${(e as Error).message} (commented as the default)`);
      continue;
    }
    if (JSON.stringify(shown) !== JSON.stringify(s.default))
      problems.push(
        `${namespace}:${key} is commented as ${value} but the schema's default is ${JSON.stringify(s.default)}`,
      );
  }
  return problems;
}

describe("stacks/ and the registry", () => {
  it("has a stack folder for each registered project, and no stray one", () => {
    const folders = readdirSync(join(root, "stacks"), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .filter((n) => n !== "all-in-one")
      .sort();
    expect(folders).toEqual(projects.map((p) => p.name).sort());
  });

  it.each(projects.map((p) => [p.name, p] as const))(
    "%s has Pulumi.dev.yaml and Pulumi.local.yaml, and its Pulumi.yaml points at them",
    (_name, p) => {
      for (const stack of ["dev", "local"])
        expect(existsSync(join(root, "stacks", p.name, `Pulumi.${stack}.yaml`))).toBe(true);
      expect(readFileSync(join(p.dir, "Pulumi.yaml"), "utf8")).toMatch(
        new RegExp(`^stackConfigDir: \\.\\./\\.\\./stacks/${p.name}$`, "m"),
      );
    },
  );
});

describe.each(projects.map((p) => [p.name, p] as const))("%s stack config", (_name, p) => {
  let schema: TObject;
  beforeAll(async () => {
    const m = (await loadProject(p)) as { configSchema?: TObject; scanner?: { configSchema?: TObject } };
    schema = (m.configSchema ?? m.scanner?.configSchema)!;
  }, 60_000);

  it("is one schema, exported by the project's index, with the deployment keys", () => {
    expect(schema).toBeDefined();
    for (const k of DEPLOYMENT_KEYS) expect(schema.properties).toHaveProperty(k);
  });

  it.each(["dev", "local"])("agrees with stacks/%s", (stack) => {
    const text = readFileSync(join(root, "stacks", p.name, `Pulumi.${stack}.yaml`), "utf8");
    expect(stackProblems(text, p.pulumiName, schema, stack === "dev")).toEqual([]);
  });
});

describe("the stack check itself", () => {
  it("fails on an unknown key, a wrong type, and a commented default that differs", () => {
    const s = Type.Object({ cpu: Type.Integer({ minimum: 256, default: 1024 }) });
    expect(stackProblems('config:\n  ns:cpu: "2048"\n', "ns", s)).toEqual([]);
    expect(stackProblems('config:\n  ns:cpus: "2048"\n', "ns", s)).toEqual([
      "ns:cpus: not a key of the schema",
    ]);
    expect(stackProblems('config:\n  ns:cpu: "x"\n', "ns", s)).toEqual([
      'config ns:cpu: must be an integer >= 256, got "x"',
    ]);
    expect(stackProblems('config:\n  # ns:cpu: "2048"   # the size\n', "ns", s)).toEqual([
      'ns:cpu is commented as "2048" but the schema\'s default is 1024',
    ]);
    expect(stackProblems('config:\n  # ns:cpu: "2048"   # example\n  # ns:cpu: "1024"\n', "ns", s)).toEqual(
      [],
    );
    expect(stackProblems('config:\n  other:cpu: "x"\n', "ns", s)).toEqual([]);
    // In the documented stack, a set value is a default unless marked.
    expect(stackProblems('config:\n  ns:cpu: "2048"\n', "ns", s, true)).toEqual([
      'ns:cpu is shown as "2048" but the schema\'s default is 1024',
    ]);
    expect(stackProblems('config:\n  ns:cpu: "2048" # example: a big one\n', "ns", s, true)).toEqual([]);
  });
});
