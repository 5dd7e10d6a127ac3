import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resourcesOfType, settle, setupPulumiMocks } from "@sec-an/testing";
import { Scanner, resultsBucketName } from "@sec-an/components";
import { discoverProjects, findProject, loadProject, repoRoot } from "@sec-an/contracts/registry";
import type { ScannerModule } from "@sec-an/contracts";
import { CHECKED_STAGES, NameError, checkProjectName, derivedNames, maxNameLength } from "../src/new/names";
import { OptionError, checkSource } from "../src/new/scanner";

const root = mkdtempSync(join(tmpdir(), "sec-an-names-"));
mkdirSync(join(root, "projects", "taken"), { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));
const check = (name: string) =>
  checkProjectName(name, {
    kind: "scanner",
    root,
    reserved: new Map([["plan", "it is a sec-an command"]]),
    existing: ["nmap"],
  });

describe("sec-an new: names", () => {
  it.each([
    ["Probe", /not DNS-safe/],
    ["probe_x", /not DNS-safe/],
    ["probe-", /not DNS-safe/],
    ["pro--be", /not DNS-safe/],
    ["9probe", /not DNS-safe/],
    ["plan", /"plan" is reserved: it is a sec-an command/],
    ["nmap", /"nmap" already exists/],
    ["taken", /"taken" already exists/],
    [
      "a".repeat(maxNameLength() + 1),
      /too long: the results bucket \(S3\) of stage local .* over 63\); use at most 14 characters/,
    ],
  ])("refuses %j with a clear message", (name, message) => {
    expect(() => check(name)).toThrow(NameError);
    expect(() => check(name)).toThrow(message);
  });

  it("accepts a DNS-safe, free name up to the longest that fits", () => {
    expect(check("probe-x")).toBe("probe-x");
    expect(check("a".repeat(maxNameLength()))).toBe("a".repeat(maxNameLength()));
  });

  it("checks the physical names the components really derive (a name at the limit fits, one more does not)", async () => {
    const longest = "a".repeat(maxNameLength());
    // A real scanner module (loaded as the CLI loads projects), renamed to the longest name allowed.
    const project = findProject(discoverProjects(repoRoot(__dirname)), "http-headers");
    const httpHeaders = (await loadProject(project)).scanner as ScannerModule;
    setupPulumiMocks();
    new Scanner(`local-sec-an-${longest}`, {
      deployment: { app: "sec-an", stage: "local" },
      module: { ...httpHeaders, name: longest },
      deadLetterBucketArn: "arn:aws:s3:::dead-letters",
      bucketName: "fixed",
      views: false,
    });
    await settle();
    const fns = resourcesOfType("aws:lambda/function:Function").map((r) => r.inputs.name as string);
    const queues = resourcesOfType("aws:sqs/queue:Queue").map((r) => r.inputs.name as string);
    const longestOf = (names: string[]) => Math.max(...names.map((n) => n.length));
    const derived = derivedNames(longest, "local");
    // The formula's longest Lambda and SQS names are the longest the components register, and both fit.
    expect(longestOf(fns)).toBe(longestOf(derived.filter((d) => d.limit === 64).map((d) => d.name)));
    expect(longestOf(fns)).toBeLessThanOrEqual(64);
    expect(longestOf(queues)).toBe(longestOf(derived.filter((d) => d.limit === 80).map((d) => d.name)));
    const d = { app: "sec-an", stage: "local" };
    expect(resultsBucketName(d, longest, "123456789012", "ap-southeast-2")).toHaveLength(63);
    expect(() => resultsBucketName(d, `${longest}a`, "123456789012", "ap-southeast-2")).toThrow(
      /not a valid S3 name/,
    );
    expect(CHECKED_STAGES).toContain("local");
  }, 120_000);
});

describe("sec-an new: --from and --filter", () => {
  it("accepts the scan initiator and the ports topic with attributes it carries", () => {
    expect(() => checkSource("scan-initiator", undefined)).not.toThrow();
    expect(() =>
      checkSource("ports", { port: [80], $or: [{ service: ["http"] }, { tunnel: ["ssl"] }] }),
    ).not.toThrow();
  });
  it("refuses an unknown topic, or a filter on an attribute the topic does not carry", () => {
    expect(() => checkSource("hosts", undefined)).toThrow(OptionError);
    expect(() => checkSource("ports", { colour: ["red"] })).toThrow(
      /ports messages have no attribute "colour"/,
    );
  });
});
