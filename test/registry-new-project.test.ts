import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deploymentOrder } from "@sec-an/contracts";
import { discoverProjects, projectDeps, repoRoot } from "@sec-an/contracts/registry";
import { run as parseRun } from "../packages/cli/src/commands/parse-entry";
import { run as planRun } from "../packages/cli/src/commands/plan";
import { localPrograms, runPrograms } from "../packages/cli/src/local/programs";
import { run as reingestRun } from "../packages/cli/src/commands/reingest-entry";

/**
 * Adding a scanner is adding a folder: a workspace holding the platform's projects (linked) plus one
 * new project folder, with no edit to any platform file, has the new project in every derived list.
 */
const root = repoRoot(__dirname);
let ws: string;

const PROBE_INDEX = `
import * as aws from "@pulumi/aws";
import type { ParseFn } from "@sec-an/contracts";

const parse: ParseFn = (raw, tools) => {
  const r = JSON.parse(raw.body.toString("utf8")) as { address: string; port: number; header: string };
  const ctx = tools.results({ address: r.address, address_type: "ipv4" });
  ctx.pushContext({ port: r.port });
  ctx.postResults("finding", { header: r.header });
};

export const scanner = { name: "reg-probe", parserVersion: "0.0.1", docTypes: ["finding"], parse };
export const runFromConfig = (stack: string) => ({ queue: new aws.sqs.Queue(\`\${stack}-reg-probe\`).arn });
`;

function io() {
  let out = "";
  let err = "";
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  };
}

beforeAll(() => {
  // Inside the repository, so the new project's imports resolve through its node_modules.
  ws = mkdtempSync(join(root, ".registry-probe-"));
  writeFileSync(join(ws, "package.json"), JSON.stringify({ private: true, workspaces: ["projects/*"] }));
  mkdirSync(join(ws, "projects"));
  for (const p of readdirSync(join(root, "projects")))
    symlinkSync(join(root, "projects", p), join(ws, "projects", p));
  mkdirSync(join(ws, "stacks", "reg-probe"), { recursive: true });
  for (const p of readdirSync(join(root, "stacks")))
    symlinkSync(join(root, "stacks", p), join(ws, "stacks", p));
  writeFileSync(join(ws, "stacks", "reg-probe", "Pulumi.local.yaml"), "config:\n  aws:region: us-east-1\n");
  const dir = join(ws, "projects", "reg-probe");
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "@sec-an/project-reg-probe",
      main: "src/index.ts",
      "sec-an": {
        project: "reg-probe",
        task: "reg-probe",
        kind: "lambda-task",
        reads: ["portsTopicArn", "ingestQueueArn", "deadLettersBucketArn"],
      },
    }),
  );
  writeFileSync(join(dir, "Pulumi.yaml"), "name: sec-an-reg-probe\nruntime: nodejs\nmain: index.ts\n");
  writeFileSync(join(dir, "src", "index.ts"), PROBE_INDEX);
  writeFileSync(
    join(ws, "probe.json"),
    JSON.stringify({ address: "127.0.0.1", port: 8080, header: "Server: demo/1.0" }),
  );
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

describe("a new project folder", () => {
  it("is registered, and deploys after the projects whose parameters it reads", () => {
    const projects = discoverProjects(ws);
    expect(projects.map((p) => p.name)).toContain("reg-probe");
    const order = deploymentOrder(projectDeps(projects));
    const before = deploymentOrder(projectDeps(discoverProjects(root)));
    // Every other project keeps its place; the new one comes after the producers of what it reads.
    expect(order.filter((n) => n !== "reg-probe")).toEqual(before);
    for (const producer of ["nmap", "analytics-platform", "shared-infra"])
      expect(order.indexOf("reg-probe")).toBeGreaterThan(order.indexOf(producer));
  });

  it("is a task of `sec-an parse`, which runs its parser", async () => {
    const c = io();
    expect(await parseRun(["reg-probe", join(ws, "probe.json")], c.io, ws)).toBe(0);
    const docs = c
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { index?: string; body?: Record<string, unknown> })
      .filter((l) => l.index);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({
      index: "reg-probe_finding_snapshot.write",
      body: { header: "Server: demo/1.0", port: 8080 },
    });
  }, 60_000);

  it("is a task of `sec-an reingest`", async () => {
    const c = io();
    expect(await reingestRun(["--task", "nope"], c.io, ws)).toBe(2);
    const known = /unknown task "nope" \(known: ([^)]*)\)/.exec(c.err())?.[1].split(", ") ?? [];
    expect(known).toEqual(expect.arrayContaining(["nmap", "reg-probe", "ssl"]));
  }, 60_000);

  it("is in `sec-an plan`, after its producers", async () => {
    const c = io();
    expect(await planRun(["--mermaid"], c.io, ws)).toBe(0);
    expect(c.out()).toContain('reg_probe["reg-probe"]');
    expect(c.out()).toMatch(/nmap -->\|\d+ params?\| reg_probe/);
    // CI's deploy matrix takes this list, so the new project is deployed with no workflow edit.
    const o = io();
    expect(await planRun(["--order"], o.io, ws)).toBe(0);
    const order = JSON.parse(o.out()) as string[];
    expect(order).toEqual(deploymentOrder(projectDeps(discoverProjects(ws))));
    expect(order.indexOf("reg-probe")).toBeGreaterThan(order.indexOf("nmap"));
  });

  it("is one of the local run's programs, run from its public index with its stack config", async () => {
    expect(localPrograms(ws)).toContain("reg-probe");
    const [run] = await runPrograms(ws, "local", ["reg-probe"]);
    expect(run.project).toBe("reg-probe");
    expect(run.records.map((r) => r.type)).toContain("aws:sqs/queue:Queue");
  }, 120_000);
});
