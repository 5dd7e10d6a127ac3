import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../src/commands/aws-scan";
import { runBounded } from "./bounded-process";
import { captureIo } from "./capture-io";
import type { Finding } from "@sec-an/project-config-scanner/engine";

const root = join(__dirname, "../../..");
const fixtures = join(root, "projects/config-scanner/test/fixtures/engine");
const fixture = (f: string) => readFileSync(join(fixtures, f), "utf8");
const sgs = fixture("describe-security-groups.json");
const withEnis = JSON.stringify({
  ...JSON.parse(sgs),
  ...JSON.parse(fixture("describe-network-interfaces.json")),
});

/** The command in-process, with `text` as stdin (or the file named by --event/--input). */
async function awsScan(args: string[], text = "") {
  const { out, io } = captureIo();
  const code = await run(args, io, async () => text);
  return { code, ...out };
}
const scan = ["--region", "us-east-1", "--input-stdin"];

describe("sec-an aws-scan", () => {
  it("prints a JSON array of findings for describe-security-groups output, every plugin by default", async () => {
    const r = await awsScan(scan, sgs);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const findings: Finding[] = JSON.parse(r.stdout);
    expect(findings).toHaveLength(12 * 35);
    expect(new Set(findings.map((f) => f.plugin)).size).toBe(35);
  });

  it("runs only the named plugins (CloudSploit spellings too) and turns unattached groups into WARN given interfaces", async () => {
    const r = await awsScan(["--plugins", "openSSH,openRdp", ...scan], withEnis);
    const findings: Finding[] = JSON.parse(r.stdout);
    expect(new Set(findings.map((f) => f.plugin))).toEqual(new Set(["openSsh", "openRdp"]));
    const rdp = findings.find((f) => f.plugin === "openRdp" && f.resource.endsWith("sg-0a1b2c3d4e5f60007"))!;
    expect(rdp.status).toBe("WARN");
  });

  it("takes a CloudSploit-style cache over several regions", async () => {
    const cache = {
      ec2: {
        describeSecurityGroups: {
          "us-east-1": { data: JSON.parse(sgs).SecurityGroups },
          "eu-west-1": { err: { message: "UnauthorizedOperation" } },
        },
      },
    };
    const r = await awsScan(
      ["--plugins", "openSsh", "--region", "us-east-1,eu-west-1", "--input-stdin"],
      JSON.stringify(cache),
    );
    const findings: Finding[] = JSON.parse(r.stdout);
    expect(findings).toHaveLength(13);
    expect(findings[12]).toMatchObject({ region: "eu-west-1", status: "UNKNOWN" });
  });

  it("is a CI gate with --fail-on: exit 1 at or above the status, 0 below it", async () => {
    const open = await awsScan(["--plugins", "openSsh", "--fail-on", "FAIL", ...scan], sgs);
    expect(open.code).toBe(1);
    expect(JSON.parse(open.stdout).length).toBe(12);
    // Only the prefix-list group (UNKNOWN) and the office group: nothing FAILs, UNKNOWN trips only --fail-on UNKNOWN.
    const groups = JSON.parse(sgs).SecurityGroups.filter((g: { GroupId: string }) =>
      /000[48]$/.test(g.GroupId),
    );
    const quiet = JSON.stringify({ SecurityGroups: groups });
    expect((await awsScan(["--plugins", "openSsh", "--fail-on", "fail", ...scan], quiet)).code).toBe(0);
    expect((await awsScan(["--plugins", "openSsh", "--fail-on", "WARN", ...scan], quiet)).code).toBe(0);
    expect((await awsScan(["--plugins", "openSsh", "--fail-on", "UNKNOWN", ...scan], quiet)).code).toBe(1);
  });

  it.each([
    [["--plugins", "openSsh,openNope", ...scan], sgs, /unknown plugin: openNope/],
    [scan, "{not json", /the input is not valid JSON/],
    [scan, '{"Reservations": []}', /expected \{"SecurityGroups"/],
    [["--input-stdin"], sgs, /--region is required/],
    [["--region", "us-east-1"], sgs, /give --input-stdin/],
    [["--region", "bogus", "--input-stdin"], sgs, /--region: "bogus" is not an AWS region name/],
    [["--fail-on", "BAD", ...scan], sgs, /--fail-on must be one of OK, UNKNOWN, WARN, FAIL/],
    [["--bogus", ...scan], sgs, /Unknown option '--bogus'/],
    [["--event", "-"], "[1,", /the event is not valid JSON/],
  ])("exits 2 with a clear error for %j", async (args, text, message) => {
    const r = await awsScan(args, text);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
  });

  it("--event prints the mapping with the immediate evaluation, and gates on it", async () => {
    const r = await awsScan(["--event", "-"], fixture("events/authorize-ingress.json"));
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m).toMatchObject({ relevant: true, groupIds: ["sg-0a1b2c3d4e5f60001"] });
    expect(m.plugins).toContain("openSsh");
    expect(m.immediate.map((f: Finding) => f.status)).toEqual(["FAIL", "UNKNOWN"]);
    expect(
      (await awsScan(["--event", "-", "--fail-on", "FAIL"], fixture("events/authorize-ingress.json"))).code,
    ).toBe(1);
  });

  it("--event reports an irrelevant event as such, as JSON, not as an error", async () => {
    const r = await awsScan(["--event", "x.json"], fixture("events/authorize-failed.json"));
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(r.stdout)).toMatchObject({
      relevant: false,
      reason: expect.stringMatching(/^the call failed \(InvalidPermission\.Duplicate/),
    });
  });

  it("--list names every plugin", async () => {
    const r = await awsScan(["--list"]);
    expect(r.stdout.trim().split("\n")).toHaveLength(35);
    expect(r.stdout).toMatch(/^openSsh +high +Determine if tcp\/22 for SSH/m);
  });
});

/** The real command: stdin piped in, bounded in time. */
const secAn = (args: string[], stdin: string) =>
  runBounded(process.execPath, [join(root, "packages/cli/bin/sec-an.js"), ...args], root, 30_000, stdin);

describe("sec-an aws-scan as a process", () => {
  it("reads describe-security-groups output on stdin, prints findings, and exits 1 under --fail-on FAIL", async () => {
    const r = await secAn(
      [
        "aws-scan",
        "--plugins",
        "openSsh,openRdp",
        "--region",
        "us-east-1",
        "--input-stdin",
        "--fail-on",
        "FAIL",
      ],
      sgs,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const failed = (JSON.parse(r.stdout) as Finding[])
      .filter((f) => f.status === "FAIL")
      .map((f) => `${f.plugin} ${f.resource.split("/")[1]}`);
    expect(failed.sort()).toEqual(
      [
        "openRdp sg-0a1b2c3d4e5f60002",
        "openRdp sg-0a1b2c3d4e5f60003",
        "openRdp sg-0a1b2c3d4e5f60007",
        "openRdp sg-0a1b2c3d4e5f60011",
        "openSsh sg-0a1b2c3d4e5f60001",
        "openSsh sg-0a1b2c3d4e5f60002",
        "openSsh sg-0a1b2c3d4e5f60011",
      ].sort(),
    );
  });

  it("exits 2 with the reason on stderr for bad JSON", async () => {
    const r = await secAn(["aws-scan", "--region", "us-east-1", "--input-stdin"], "{");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^sec-an aws-scan: the input is not valid JSON/);
  });
});
