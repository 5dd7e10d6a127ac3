import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "@sec-an/contracts/registry";
import { run } from "../src/new/command";
import { registerSearcher, searcherNames } from "../src/new/searcher";
import { runBounded, succeeded } from "./bounded-process";
import { captureIo } from "./capture-io";

/**
 * `sec-an new searcher` into a scratch copy of the threat-service project (with the repository's root
 * files and node_modules linked): the searcher and its test are written and registered, the project
 * still type-checks, and the generated test passes against the OpenSearch double.
 */
const root = repoRoot(__dirname);
const ws = mkdtempSync(join(tmpdir(), "sec-an-searcher-"));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

function scratchCopy(): void {
  for (const f of ["package.json", "tsconfig.base.json", ".prettierrc.json"])
    cpSync(join(root, f), join(ws, f));
  cpSync(join(root, "projects/threat-service"), join(ws, "projects/threat-service"), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(ws, "node_modules"));
}

describe("sec-an new searcher", () => {
  beforeAll(() => scratchCopy());

  test("rejects what is not a SOAR artifact type, and a type that already has a searcher", async () => {
    for (const [args, message] of [
      [["searcher"], /give the artifact type/],
      [["searcher", "net.ipv4"], /not a SOAR artifact type/],
      [["searcher", "net.ip; rm -rf /"], /not a SOAR artifact type/],
      [["searcher", "../../etc"], /not a SOAR artifact type/],
      [["searcher", "net.ip"], /already has a net.ip searcher/],
      [["searcher", "hash.md5", "--extra"], /unexpected --extra/],
    ] as const) {
      const { out, io: o } = captureIo();
      expect(await run([...args], o, [], ws)).toBe(2);
      expect(out.stderr).toMatch(message);
    }
  });

  test("scaffolds threat.report.cve: module, test, registration; the project type-checks and the test passes", async () => {
    const before = readFileSync(join(ws, "projects/threat-service/src/searchers/index.ts"), "utf8");
    // In a child process, as the sec-an command runs (tsx): the generator formats with prettier's ESM build.
    const cli = `require(${JSON.stringify(join(root, "packages/cli/src/new/command.ts"))})
      .run(["searcher", "threat.report.cve"], process, [], ${JSON.stringify(ws)}).then((c) => process.exit(c))`;
    const out = succeeded(
      await runBounded(
        process.execPath,
        ["--import", pathToFileURL(require.resolve("tsx")).href, "-e", cli],
        ws,
        120_000,
      ),
      "sec-an new searcher threat.report.cve",
    );
    expect(out.stdout).toContain("projects/threat-service/src/searchers/threat-report-cve.ts");
    expect(out.stdout).toContain("projects/threat-service/test/searchers/threat-report-cve.test.ts");
    const index = readFileSync(join(ws, "projects/threat-service/src/searchers/index.ts"), "utf8");
    expect(index).toBe(registerSearcher(before, "threatReportCve", "threat-report-cve"));
    expect(index).toContain('import { threatReportCve } from "./threat-report-cve";');
    // Generating it twice is refused, leaving everything as it was.
    expect(await run(["searcher", "threat.report.cve"], captureIo().io, [], ws)).toBe(2);
    expect(readFileSync(join(ws, "projects/threat-service/src/searchers/index.ts"), "utf8")).toBe(index);

    succeeded(
      await runBounded(
        process.execPath,
        [
          join(root, "node_modules/typescript/bin/tsc"),
          "-p",
          "projects/threat-service/tsconfig.json",
          "--noEmit",
        ],
        ws,
        180_000,
      ),
      "tsc over the project with the new searcher",
    );
    writeFileSync(
      join(ws, "jest.config.js"),
      `module.exports = ${JSON.stringify({
        rootDir: ws,
        testEnvironment: "node",
        transform: {
          "^.+\\.ts$": [
            "ts-jest",
            { tsconfig: join(ws, "tsconfig.base.json"), isolatedModules: true, diagnostics: false },
          ],
        },
        moduleFileExtensions: ["ts", "js", "json"],
        testMatch: ["**/test/searchers/*.test.ts"],
      })};`,
    );
    const r = succeeded(
      await runBounded(
        process.execPath,
        [join(root, "node_modules/jest/bin/jest.js"), "--config", join(ws, "jest.config.js"), "--ci"],
        ws,
        180_000,
      ),
      "the generated searcher's test",
    );
    expect(r.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
  }, 400_000);

  test("names: file and identifier from the artifact type", () => {
    expect(searcherNames("net.uri.path")).toEqual({ file: "net-uri-path", ident: "netUriPath" });
    expect(searcherNames("system.service.name")).toEqual({
      file: "system-service-name",
      ident: "systemServiceName",
    });
    expect(() => registerSearcher("no marks here", "x", "x")).toThrow(/marks/);
  });
});
