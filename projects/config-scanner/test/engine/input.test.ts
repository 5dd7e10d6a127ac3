import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cacheFromInput, InputError, PLUGINS, runPlugins } from "../../src/engine";

const fixtures = join(__dirname, "../fixtures/engine");
const load = (f: string) => JSON.parse(readFileSync(join(fixtures, f), "utf8"));
const sgs = load("describe-security-groups.json");
const enis = load("describe-network-interfaces.json");

describe("cacheFromInput", () => {
  it("takes describe-security-groups output as AWS prints it, with describe-network-interfaces output beside it", () => {
    const cache = cacheFromInput({ ...sgs, ...enis }, ["us-east-1"]);
    expect(cache.ec2.describeSecurityGroups["us-east-1"].data).toHaveLength(12);
    expect(cache.ec2.describeNetworkInterfaces!["us-east-1"].data).toHaveLength(4);
    expect(cacheFromInput(sgs, ["us-east-1"]).ec2.describeNetworkInterfaces).toBeUndefined();
  });

  it("takes a CloudSploit cache over several regions, errors included", () => {
    const cloudsploit = {
      ec2: {
        describeSecurityGroups: {
          "us-east-1": { data: sgs.SecurityGroups },
          "eu-west-1": { err: { message: "AccessDenied" } },
        },
        describeNetworkInterfaces: { "us-east-1": { data: enis.NetworkInterfaces } },
      },
    };
    const cache = cacheFromInput(cloudsploit, ["us-east-1", "eu-west-1"]);
    const f = runPlugins([PLUGINS.openRdp], cache, ["us-east-1", "eu-west-1"]);
    expect(f.filter((x) => x.region === "eu-west-1").map((x) => x.status)).toEqual(["UNKNOWN"]);
    expect(f.find((x) => x.resource.endsWith("sg-0a1b2c3d4e5f60007"))!.status).toBe("WARN");
  });

  it.each([
    [[], /expected a JSON object/],
    [{ Reservations: [] }, /expected \{"SecurityGroups": \[\.\.\.\]\}/],
    [{ SecurityGroups: {} }, /^SecurityGroups: /],
    [{ SecurityGroups: [{ GroupName: "no id" }] }, /^SecurityGroups\/0/],
    [
      { SecurityGroups: [{ GroupId: "sg-1", IpPermissions: [{ IpProtocol: "tcp", FromPort: "22" }] }] },
      /^SecurityGroups\/0\/IpPermissions\/0\/FromPort/,
    ],
    [{ SecurityGroups: [], NetworkInterfaces: [{ Groups: "sg-1" }] }, /^NetworkInterfaces\/0\/Groups/],
    [
      { ec2: { describeSecurityGroups: { "eu-west-1": { data: [] } } } },
      /has no ec2.describeSecurityGroups for us-east-1 \(it has: eu-west-1\)/,
    ],
    [
      { ec2: { describeSecurityGroups: { "us-east-1": { data: [{}] } } } },
      /^ec2.describeSecurityGroups.us-east-1.data\/0/,
    ],
  ])("rejects %j with a clear InputError", (input, message) => {
    expect(() => cacheFromInput(input, ["us-east-1"])).toThrow(InputError);
    expect(() => cacheFromInput(input, ["us-east-1"])).toThrow(message);
  });

  it("needs a region, and exactly one for describe output", () => {
    expect(() => cacheFromInput(sgs, [])).toThrow("a region is required");
    expect(() => cacheFromInput(sgs, ["us-east-1", "eu-west-1"])).toThrow(/belongs to one region/);
  });
});
