import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import { PROJECTS, paramName } from "@sec-an/contracts";
import type { TObject } from "@sinclair/typebox";
import { readStackConfig } from "@sec-an/components";
import {
  discoverProjects,
  loadProject,
  publishedParams,
  type RegisteredProject,
} from "@sec-an/contracts/registry";
import { checkResources } from "@sec-an/policy";
import { resources, runProgram, setupPulumiMocks } from "@sec-an/testing";
import { stackConfig } from "../packages/cli/src/local/programs";

/**
 * The root all-in-one stack under mocks: every project's program in one stack, with no SSM parameter
 * available at deploy time (the mock answers none), so every cross-project value must be wired
 * directly from the producing project's outputs.
 */
const root = join(__dirname, "..");
const registered = discoverProjects(root);
let outputs: Record<string, unknown>;

beforeAll(async () => {
  const config = Object.assign({}, ...registered.map((p) => stackConfig(root, p.name, "local")), {
    "sec-an-nmap:image": "localhost/sec-an-nmap:ci",
  });
  setupPulumiMocks({ project: "sec-an", stack: "ci-1", config, ssm: {} });
  const { allInOne } = await import("../packages/cli/src/all-in-one");
  outputs = (await runProgram(() => allInOne("ci-1"))) as Record<string, unknown>;
}, 600_000);

describe("all-in-one stack", () => {
  it("composes every registered project and exposes each one's outputs", () => {
    expect(Object.keys(outputs).sort()).toEqual(registered.map((p) => p.name).sort());
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining([...PROJECTS]));
    for (const p of Object.keys(outputs)) expect(outputs[p]).toBeDefined();
  });

  it("still publishes every project's SSM parameters for run-time readers", () => {
    const names = new Set(
      resources()
        .filter((r) => r.type === "aws:ssm/parameter:Parameter")
        .map((r) => r.state.name),
    );
    const expected = registered.flatMap((p) =>
      publishedParams(p).map((def) => paramName({ app: "sec-an", stage: "ci-1" }, def)),
    );
    expect([...expected].filter((n) => !names.has(n))).toEqual([]);
  });

  it("has no two resources with the same type and name", () => {
    const seen = new Map<string, number>();
    for (const r of resources())
      seen.set(`${r.type}::${r.name}`, (seen.get(`${r.type}::${r.name}`) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
  });

  it("breaks no policy rule", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });
});

/**
 * The documented examples (stacks/<project>/Pulumi.dev.yaml) show each key with its default unless the
 * line says otherwise (`# required`, `# example`, `# default: …`). Each shown default is checked the
 * only way that cannot drift: the project's own config reader gives the same result with the key set to
 * the shown value as with the key left out.
 */
describe("stack examples show the config readers' real defaults", () => {
  type Reader = (cfg: { get(k: string): string | undefined }, stack: string) => unknown;
  // Projects whose reader checks more than its schema (cross-key rules) are read through it; any other
  // registered project through its exported typebox schema and the shared reader.
  const readers: Record<string, () => Reader> = {
    /* eslint-disable @typescript-eslint/no-require-imports */
    "shared-code": () => (cfg, stack) =>
      require("../projects/shared-code/src/program").readConfig(
        {
          ...cfg,
          getObject: (k: string) => (cfg.get(k) === undefined ? undefined : JSON.parse(cfg.get(k)!)),
        },
        stack,
      ),
    "shared-infra": () => require("../projects/shared-infra/src/config").parseConfig,
    "analytics-platform": () => require("../projects/analytics-platform/src/stack-config").parseConfig,
    "task-execution": () => require("../projects/task-execution/src/stack-config").parseConfig,
    nmap: () => require("../projects/nmap/src/config").parseConfig,
    ssl: () => require("../projects/ssl/src/stack-config").parseConfig,
    /* eslint-enable @typescript-eslint/no-require-imports */
  };
  const projects = registered.filter((p) => existsSync(join(root, "stacks", p.name, "Pulumi.dev.yaml")));
  async function readerOf(p: RegisteredProject): Promise<Reader> {
    if (readers[p.name]) return readers[p.name]();
    const mod = (await loadProject(p)) as unknown as Record<string, unknown>;
    const schema = (mod.configSchema ?? mod.ConfigSchema) as TObject | undefined;
    if (!schema)
      throw new Error(`${p.name}: no config reader or exported configSchema to check its example against`);
    return (cfg, stack) => readStackConfig(cfg, p.pulumiName, schema, stack);
  }

  /** Every single-line `namespace:key: value` of the example, commented out or not, with its marker. */
  function shownKeys(project: string) {
    const text = readFileSync(join(root, "stacks", project, "Pulumi.dev.yaml"), "utf8");
    const ns = `sec-an-${project}:`;
    const out: { key: string; value: string; marked: boolean; required: boolean }[] = [];
    for (const line of text.split("\n")) {
      const m = /^\s*(?:#\s*)?(sec-an-[a-z-]+:\w+):(.*)$/.exec(line);
      if (!m || !m[1].startsWith(ns)) continue;
      const comment = /\s#\s*(.*)$/.exec(m[2])?.[1] ?? "";
      const value = parse(`v: ${m[2]}`).v;
      if (value === null || typeof value === "object") continue; // a multi-line example
      out.push({
        key: m[1].slice(ns.length),
        value: String(value),
        marked: /^(required|example|default:)/.test(comment),
        required: /^required/.test(comment),
      });
    }
    return out;
  }

  it("covers every registered project with an example stack", () => {
    expect(projects.map((p) => p.name)).toEqual(expect.arrayContaining([...PROJECTS]));
  });

  it.each(projects.map((p) => [p.name, p] as const))("%s", async (project, p) => {
    const read = await readerOf(p);
    const keys = shownKeys(project);
    expect(keys.length).toBeGreaterThan(0);
    // Required keys keep their shown value throughout; every other shown key is compared alone.
    const base = Object.fromEntries(keys.filter((k) => k.required).map((k) => [k.key, k.value]));
    const cfg = (v: Record<string, string>) => ({ get: (k: string) => v[k] });
    const defaults = read(cfg(base), "dev");
    const wrong = keys
      .filter((k) => !k.marked)
      .filter((k) => {
        try {
          return !isDeepStrictEqual(read(cfg({ ...base, [k.key]: k.value }), "dev"), defaults);
        } catch {
          return true;
        }
      })
      .map((k) => `${k.key}: ${k.value}`);
    expect(wrong).toEqual([]);
  });
});
