import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { programsHash, runProgramsCached } from "../src/local/programs";
import { freshShippedTopology, programsOutput } from "../src/local/shipped-topology";

/** The local run's topology cache: keyed by the programs' sources, and answering what a run would. */
const root = join(__dirname, "../../..");

describe("programsHash", () => {
  const repo = mkdtempSync(join(tmpdir(), "sec-an-hash-"));
  afterAll(() => rmSync(repo, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    mkdirSync(join(repo, rel, ".."), { recursive: true });
    writeFileSync(join(repo, rel), text);
  };

  it("changes with a program source or stack config, not with a test or another stack's name", () => {
    write("packages/a/src/x.ts", "export const x = 1;\n");
    write("projects/b/src/y.ts", "export const y = 1;\n");
    write("projects/b/test/y.test.ts", "test\n");
    write("stacks/b/Pulumi.local.yaml", "config: {}\n");
    const base = programsHash(repo, "local");
    expect(programsHash(repo, "local")).toBe(base);
    expect(programsHash(repo, "dev")).not.toBe(base);
    write("projects/b/test/y.test.ts", "test 2\n");
    expect(programsHash(repo, "local")).toBe(base);
    write("projects/b/src/y.ts", "export const y = 2;\n");
    const edited = programsHash(repo, "local");
    expect(edited).not.toBe(base);
    write("stacks/b/Pulumi.local.yaml", "config: { b:x: 1 }\n");
    expect(programsHash(repo, "local")).not.toBe(edited);
  });
});

describe("runProgramsCached", () => {
  const cache = mkdtempSync(join(tmpdir(), "sec-an-topology-"));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it("runs the programs once, then answers from disk with the same resources (bundled code left out)", async () => {
    const first = await runProgramsCached(root, "local", cache);
    expect(first.cached).toBe(false);
    expect(readdirSync(cache)).toHaveLength(1);
    const second = await runProgramsCached(root, "local", cache);
    expect(second.cached).toBe(true);
    const plain = JSON.parse(
      JSON.stringify(first.runs, (_, v) => (v && typeof v === "object" && "assets" in v ? undefined : v)),
    );
    expect(second.runs).toEqual(plain);
    expect(second.runs.map((r) => r.project)).toContain("nmap");
    // The shipped topology, while current (local-startup.test.ts fails when it is not), is what the
    // programs give: the inputs it records are all its content depends on.
    const shipped = freshShippedTopology(root, "local");
    if (shipped)
      expect({ topology: shipped.topology, invocations: shipped.invocations }).toEqual(
        JSON.parse(JSON.stringify(programsOutput(first.runs))),
      );
  }, 240_000);

  it("runs the programs again when the cached file is torn", async () => {
    const [file] = readdirSync(cache);
    writeFileSync(join(cache, file), "{");
    const again = await runProgramsCached(root, "local", cache);
    expect(again.cached).toBe(false);
    expect(again.runs.length).toBeGreaterThan(0);
  }, 240_000);
});
