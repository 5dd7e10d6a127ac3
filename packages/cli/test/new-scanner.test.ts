import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { indexBase, readAlias } from "@sec-an/contracts";
import { repoRoot } from "@sec-an/contracts/registry";
import { SqliteStore } from "../src/local/sqlite-store";
import { runBounded, succeeded } from "./bounded-process";

/**
 * `sec-an new scanner` as a user runs it, in a temporary copy of the workspace (its tracked files, with
 * node_modules linked the way `npm install` links workspaces): the new project type-checks, passes its
 * own tests, is placed by `sec-an plan` after its dependencies, and `sec-an local --scanners
 * nmap,probe-x` runs it (nmap, because the scan initiator that feeds probe-x plans what nmap scans)
 * until its documents reach the local store. Every child process is bounded and killed on overrun.
 */
const root = repoRoot(__dirname);
const ws = mkdtempSync(join(tmpdir(), "sec-an-new-"));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

function copyWorkspace(): void {
  const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0");
  for (const f of tracked.filter(Boolean)) {
    if (!existsSync(join(root, f))) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(ws, f)), { recursive: true });
    copyFileSync(join(root, f), join(ws, f));
  }
  mkdirSync(join(ws, "node_modules", "@sec-an"), { recursive: true });
  for (const e of readdirSync(join(root, "node_modules")))
    if (e !== "@sec-an") symlinkSync(join(root, "node_modules", e), join(ws, "node_modules", e));
  for (const group of ["packages", "projects"])
    for (const d of readdirSync(join(ws, group))) linkWorkspace(join(ws, group, d));
}

/** What `npm install` does for a workspace package: node_modules/<its name> → its folder. */
function linkWorkspace(dir: string): void {
  const pkg = join(dir, "package.json");
  if (!existsSync(pkg)) return;
  const name = (JSON.parse(readFileSync(pkg, "utf8")) as { name: string }).name;
  symlinkSync(dir, join(ws, "node_modules", name));
}

const node = (script: string, args: string[], timeoutMs: number) =>
  runBounded(process.execPath, [join(ws, script), ...args], ws, timeoutMs);
const secAn = (args: string[], timeoutMs = 120_000) => node("packages/cli/bin/sec-an.js", args, timeoutMs);
const ok = succeeded;

describe("sec-an new scanner probe-x, in a copy of the workspace", () => {
  beforeAll(async () => {
    copyWorkspace();
    const r = ok(await secAn(["new", "scanner", "probe-x"]), "sec-an new scanner probe-x");
    expect(r.stdout).toMatch(/npm install/);
    linkWorkspace(join(ws, "projects", "probe-x"));
  }, 180_000);

  it("writes the project and its stacks, and refuses to write it twice", async () => {
    for (const f of [
      "Pulumi.yaml",
      "package.json",
      "src/index.ts",
      "src/scan.ts",
      "src/parse.ts",
      "README.md",
    ])
      expect(existsSync(join(ws, "projects/probe-x", f))).toBe(true);
    expect(readFileSync(join(ws, "projects/probe-x/Pulumi.yaml"), "utf8")).toContain(
      "stackConfigDir: ../../stacks/probe-x",
    );
    for (const f of ["Pulumi.dev.yaml", "Pulumi.local.yaml"])
      expect(existsSync(join(ws, "stacks/probe-x", f))).toBe(true);
    // The derived deployment-order doc now includes it, so the repo's own doc test stays green.
    expect(readFileSync(join(ws, "docs/deployment-order.md"), "utf8")).toContain('probe_x["probe-x"]');
    const again = await secAn(["new", "scanner", "probe-x"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/"probe-x" already exists/);
  }, 60_000);

  it("type-checks", async () => {
    ok(
      await node(
        "node_modules/typescript/bin/tsc",
        ["-p", "projects/probe-x/tsconfig.json", "--noEmit"],
        240_000,
      ),
      "tsc",
    );
  }, 260_000);

  it("passes its own tests", async () => {
    const r = ok(
      await node("node_modules/jest/bin/jest.js", ["projects/probe-x"], 240_000),
      "jest projects/probe-x",
    );
    expect(r.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
  }, 260_000);

  it("is placed by sec-an plan after every project it reads from", async () => {
    const plan = JSON.parse(ok(await secAn(["plan", "--json"]), "sec-an plan").stdout) as {
      order: string[];
      edges: { from: string; to: string }[];
    };
    const at = (p: string) => plan.order.indexOf(p);
    expect(at("probe-x")).toBeGreaterThan(-1);
    const deps = plan.edges.filter((e) => e.to === "probe-x").map((e) => e.from);
    expect(deps).toEqual(expect.arrayContaining(["shared-infra", "analytics-platform", "task-execution"]));
    for (const d of deps) expect(at(d)).toBeLessThan(at("probe-x"));
  }, 140_000);

  it("runs locally with nmap, and its documents reach the local store", async () => {
    const data = join(ws, ".sec-an-data");
    ok(
      await secAn(
        ["local", "--scanners", "nmap,probe-x", "--json", "--data-dir", data, "--timeout", "150"],
        200_000,
      ),
      "sec-an local",
    );
    const store = await SqliteStore.open(join(data, "analytics.sqlite"));
    try {
      const docs = await store.search(readAlias(indexBase("probe-x", "probe", "snapshot")));
      expect(docs.length).toBeGreaterThan(0);
      // The local run scans only loopback (its demo services have their own address, 127.0.0.2).
      expect(docs.every((d) => /^(127\.\d+\.\d+\.\d+|localhost)$/.test(String(d.source.host)))).toBe(true);
    } finally {
      store.close();
    }
  }, 220_000);
});
