import { RunTaskCommand } from "@aws-sdk/client-ecs";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalEcs } from "../src/local/ecs";
import { repoRoot } from "../src/local/run";
import {
  SHIPPED_TOPOLOGY_FILE,
  freshShippedTopology,
  inputsHash,
  localTopology,
  type ShippedTopology,
} from "../src/local/shipped-topology";
import { taskBundle } from "../src/local/task-bundle";
import { emptyTopology, type LocalTaskDefinition } from "../src/local/topology";

/**
 * What makes a local run start in seconds: tasks run from a bundle built once (not compiled from
 * TypeScript at every start), and the topology comes from the shipped file while the files it was
 * generated from are unchanged.
 */
// A bundle miss is built in a child process that loads the bundler (and with it the Pulumi SDK).
jest.setTimeout(120_000);
const scratch = mkdtempSync(join(tmpdir(), "sec-an-startup-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const write = (dir: string, rel: string, text: string) => {
  mkdirSync(join(dir, rel, ".."), { recursive: true });
  writeFileSync(join(dir, rel), text);
};

describe("taskBundle", () => {
  const repo = join(scratch, "repo");
  const cache = join(scratch, "cache");
  write(repo, "entry/lib.ts", "export const greet = (who: string): string => `ran for ${who}`;\n");
  write(
    repo,
    "entry/main.ts",
    'import { greet } from "./lib";\nprocess.stdout.write(greet(process.env.WHO ?? "?"));\n',
  );

  it("bundles an entrypoint into one file node runs, and reuses it while the sources' hash is the same", async () => {
    const file = await taskBundle(repo, "entry/main.ts", cache, "a".repeat(64));
    expect(execFileSync(process.execPath, [file], { env: { WHO: "nmap" }, encoding: "utf8" })).toBe(
      "ran for nmap",
    );
    // The cache answers without bundling again (what is on disk is what runs).
    writeFileSync(file, 'process.stdout.write("from the cache");\n');
    expect(await taskBundle(repo, "entry/main.ts", cache, "a".repeat(64))).toBe(file);
    expect(execFileSync(process.execPath, [file], { encoding: "utf8" })).toBe("from the cache");
    // Another sources' hash is another file.
    const next = await taskBundle(repo, "entry/main.ts", cache, "b".repeat(64));
    expect(next).not.toBe(file);
    expect(execFileSync(process.execPath, [next], { env: { WHO: "x" }, encoding: "utf8" })).toBe("ran for x");
  });

  it("is what the ECS stand-in runs when told, instead of compiling the TypeScript entry", async () => {
    const file = await taskBundle(repo, "entry/main.ts", cache, "c".repeat(64));
    const lines: string[] = [];
    const def = {
      family: "demo",
      mockArn: "arn:aws:ecs:local:000000000000:task-definition/demo:1",
      entry: "entry/does-not-exist.ts",
      containers: [{ name: "demo", environment: { WHO: "the bundle" } }],
    } as LocalTaskDefinition;
    const ecs = new LocalEcs([def], repo, {}, (l) => lines.push(l), {
      tmpRoot: join(scratch, "tasks"),
      entrypointArgs: (d) => (d.entry === def.entry ? [file] : []),
    });
    const stopped = new Promise((r) => ecs.onTaskStopped(async (e) => r(e.detail.containers[0].exitCode)));
    const out = await ecs.send(new RunTaskCommand({ taskDefinition: "demo", cluster: "local" }));
    expect(out.failures).toEqual([]);
    expect(await stopped).toBe(0);
    expect(lines).toContain("[demo] ran for the bundle");
  });
});

describe("the shipped topology", () => {
  const repo = join(scratch, "shipped");
  const inputs = ["packages/", "packages/p/src/program.ts", "stacks/p/Pulumi.local.yaml"];
  const topology = { ...emptyTopology(), parameters: { "/sec-an/local/x": "y" } };
  const ship = (over: Partial<ShippedTopology> = {}) =>
    write(
      repo,
      SHIPPED_TOPOLOGY_FILE,
      JSON.stringify({
        stack: "local",
        inputs,
        hash: inputsHash(repo, "local", inputs),
        topology,
        invocations: [],
        ...over,
      }),
    );

  it("answers while every input is as it was generated, and not once one changes", async () => {
    write(repo, "packages/p/src/program.ts", "export const x = 1;\n");
    write(repo, "stacks/p/Pulumi.local.yaml", "config: {}\n");
    mkdirSync(join(repo, SHIPPED_TOPOLOGY_FILE, ".."), { recursive: true });
    ship();
    expect(freshShippedTopology(repo, "local")?.topology).toEqual(topology);
    expect((await localTopology(repo, "local", join(scratch, "unused"))).source).toBe("shipped");
    expect(freshShippedTopology(repo, "dev")).toBeUndefined();
    // A source the programs loaded.
    write(repo, "packages/p/src/program.ts", "export const x = 2;\n");
    expect(freshShippedTopology(repo, "local")).toBeUndefined();
    ship();
    expect(freshShippedTopology(repo, "local")).toBeDefined();
    // A new package beside the listed ones (a new project would run).
    mkdirSync(join(repo, "packages", "q"));
    expect(freshShippedTopology(repo, "local")).toBeUndefined();
    ship();
    write(repo, "stacks/p/Pulumi.local.yaml", "config: { p:x: 1 }\n");
    expect(freshShippedTopology(repo, "local")).toBeUndefined();
    // A torn file is not an answer either.
    write(repo, SHIPPED_TOPOLOGY_FILE, "{");
    expect(freshShippedTopology(repo, "local")).toBeUndefined();
  });

  it("is current in this tree (else: npm run local:topology)", () => {
    const root = repoRoot();
    const shipped = JSON.parse(readFileSync(join(root, SHIPPED_TOPOLOGY_FILE), "utf8")) as ShippedTopology;
    const stale = shipped.inputs.filter((f) => !f.endsWith("/")).length;
    expect(stale).toBeGreaterThan(50);
    expect({
      current: freshShippedTopology(root, "local") !== undefined,
      fix: "npm run local:topology",
    }).toEqual({
      current: true,
      fix: "npm run local:topology",
    });
  });
});
