import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SecurityGroup } from "@aws-sdk/client-ec2";
import {
  cacheFromDescribe,
  PLUGINS,
  PORT_CHECKS,
  runPlugins,
  selectPlugins,
  UnknownPluginError,
  type Cache,
  type Finding,
} from "../../src/engine";

const fixtures = join(__dirname, "../fixtures/engine");
const load = (f: string) => JSON.parse(readFileSync(join(fixtures, f), "utf8"));
const sgs: { SecurityGroups: SecurityGroup[] } = load("describe-security-groups.json");
const enis = load("describe-network-interfaces.json");
const region = "us-east-1";
const id = (n: number) => `sg-0a1b2c3d4e5f6${String(n).padStart(4, "0")}`;

/** plugin → status for one group, over every plugin. */
function statuses(cache: Cache, n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of runPlugins(Object.values(PLUGINS), cache, [region])) {
    if (f.resource.endsWith(id(n))) out[f.plugin] = f.status;
  }
  return out;
}
const only = (s: Record<string, string>, status: string) =>
  Object.keys(s)
    .filter((k) => s[k] === status)
    .sort();

const withEnis = cacheFromDescribe(region, sgs, enis, "123456789012");
const withoutEnis = cacheFromDescribe(region, sgs);

describe("the port-open-to-the-world family", () => {
  it("is generated from the port table, with the all-ports checks beside it", () => {
    expect(Object.keys(PLUGINS).sort()).toEqual(
      [...PORT_CHECKS.map((c) => c.name), "openAllPortsProtocols", "openAllPortsProtocolsEgress"].sort(),
    );
    for (const name of [
      "openSsh",
      "openRdp",
      "openTelnet",
      "openFtp",
      "openSmbOverTcp",
      "openNetBios",
      "openMySql",
    ])
      expect(PLUGINS[name]).toBeDefined();
    for (const name of ["openPostgreSql", "openOracle", "openSqlServer", "openMongoDb", "openRedis"])
      expect(PLUGINS[name]).toBeDefined();
    for (const name of ["openElasticsearch", "openVncServer", "openDns", "openKibana", "openCassandraClient"])
      expect(PLUGINS[name]).toBeDefined();
    const ssh = PLUGINS.openSsh;
    expect(ssh).toMatchObject({ title: "Open SSH", category: "EC2", severity: "high" });
    expect(ssh.apis).toEqual(["EC2:describeSecurityGroups", "EC2:describeNetworkInterfaces"]);
    expect(ssh.realtime_triggers).toEqual(
      expect.arrayContaining([
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:ModifySecurityGroupRules",
        "ec2:CreateSecurityGroup",
      ]),
    );
    expect(ssh.settings.ec2_skip_unused_groups.default).toBe("true");
  });

  it("FAILs a group with SSH open to 0.0.0.0/0 and names the permission, with the group ARN from OwnerId", () => {
    const [f] = runPlugins([PLUGINS.openSsh], withEnis, [region]).filter((x) => x.resource.endsWith(id(1)));
    expect(f).toEqual<Finding>({
      plugin: "openSsh",
      title: "Open SSH",
      status: "FAIL",
      severity: "high",
      region,
      account: "123456789012",
      resource: `arn:aws:ec2:us-east-1:123456789012:security-group/${id(1)}`,
      message: `Security group ${id(1)} (ssh-world) has SSH (tcp/22) open to 0.0.0.0/0`,
      evidence: {
        groupId: id(1),
        groupName: "ssh-world",
        vpcId: "vpc-0f1e2d3c4b5a69788",
        networkInterfaces: 1,
        permissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, sources: ["0.0.0.0/0"] }],
      },
    });
  });

  it('treats IpProtocol "-1" to ::/0 as every port of every protocol', () => {
    const s = statuses(withEnis, 2);
    expect(only(s, "FAIL")).toEqual(
      Object.keys(PLUGINS)
        .filter((n) => n !== "openAllPortsProtocolsEgress")
        .sort(),
    );
  });

  it("counts a port range that covers the port (3000-3400 covers MySQL 3306 and RDP 3389)", () => {
    expect(only(statuses(withEnis, 3), "FAIL")).toEqual(["openMySql", "openRdp"]);
  });

  it("reports permissions through a prefix list as UNKNOWN, not OK; a world rule beside them still FAILs", () => {
    expect(only(statuses(withEnis, 4), "UNKNOWN")).toEqual(["openSsh"]);
    const web = statuses(withEnis, 12);
    expect(only(web, "UNKNOWN")).toEqual(["openSsh"]);
    expect(only(web, "FAIL")).toEqual([]);
    const [f] = runPlugins([PLUGINS.openSsh], withEnis, [region]).filter((x) => x.resource.endsWith(id(4)));
    expect(f.evidence.permissions).toEqual([
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, PrefixListIds: ["pl-0123456789abcdef0"] },
    ]);
  });

  const handMade = (
    perms: SecurityGroup["IpPermissions"],
    egress: SecurityGroup["IpPermissionsEgress"] = [],
  ) =>
    cacheFromDescribe(
      region,
      {
        SecurityGroups: [
          { GroupId: id(90), GroupName: "hand", IpPermissions: perms, IpPermissionsEgress: egress },
        ],
      },
      undefined,
      "123456789012",
    );

  it("FAILs a port open to the world and through a prefix list, with only the world permission as evidence", () => {
    const cache = handMade([
      {
        IpProtocol: "tcp",
        FromPort: 22,
        ToPort: 22,
        PrefixListIds: [{ PrefixListId: "pl-0123456789abcdef0" }],
      },
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
    ]);
    const [f] = runPlugins([PLUGINS.openSsh], cache, [region]);
    expect(f.status).toBe("FAIL");
    expect(f.evidence.permissions).toEqual([
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, sources: ["0.0.0.0/0"] },
    ]);
  });

  it("reports all egress through a prefix list as UNKNOWN, not OK", () => {
    const cache = handMade(
      [],
      [{ IpProtocol: "-1", PrefixListIds: [{ PrefixListId: "pl-0123456789abcdef0" }] }],
    );
    const [f] = runPlugins([PLUGINS.openAllPortsProtocolsEgress], cache, [region]);
    expect(f.status).toBe("UNKNOWN");
    expect(f.message).toContain("pl-0123456789abcdef0");
  });

  it("does not call a self-referencing group, an egress-only group, an office CIDR or ICMP open", () => {
    for (const n of [5, 6, 8, 10]) expect(only(statuses(withEnis, n), "FAIL")).toEqual([]);
    for (const n of [5, 8, 10])
      expect(only(statuses(withEnis, n), "OK")).toHaveLength(Object.keys(PLUGINS).length - 1);
  });

  it("WARNs (never FAILs) on all egress to the world, which every new group has", () => {
    expect(statuses(withEnis, 6).openAllPortsProtocolsEgress).toBe("WARN");
    expect(statuses(withEnis, 5).openAllPortsProtocolsEgress).toBe("WARN");
  });

  it("FAILs UDP DNS open to ::/0 only for DNS", () => {
    expect(only(statuses(withEnis, 9), "FAIL")).toEqual(["openDns"]);
  });

  it("FAILs every TCP port 0-65535 for all-ports and every TCP check, but no UDP-only check", () => {
    const s = statuses(withEnis, 11);
    expect(s.openAllPortsProtocols).toBe("FAIL");
    expect(s.openSnmp).toBe("OK");
    expect(s.openCifs).toBe("OK");
    expect(s.openSsh).toBe("FAIL");
  });

  it('reads protocol numbers ("6" is TCP)', () => {
    const g: SecurityGroup = {
      GroupId: "sg-0000000000000000a",
      IpPermissions: [{ IpProtocol: "6", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
    };
    expect(
      runPlugins([PLUGINS.openSsh], cacheFromDescribe(region, { SecurityGroups: [g] }), [region])[0].status,
    ).toBe("FAIL");
  });

  it("WARNs on an open group attached to no network interface when interface data says so, FAILs otherwise", () => {
    const rdp = (c: Cache) =>
      runPlugins([PLUGINS.openRdp], c, [region]).find((x) => x.resource.endsWith(id(7)))!;
    expect(rdp(withEnis)).toMatchObject({ status: "WARN", evidence: { networkInterfaces: 0 } });
    expect(rdp(withEnis).message).toMatch(/attached to no network interface/);
    expect(rdp(withoutEnis).status).toBe("FAIL");
    expect(rdp(withoutEnis).evidence).not.toHaveProperty("networkInterfaces");
    // An attached open group is FAIL with interface data too.
    expect(statuses(withEnis, 1).openSsh).toBe("FAIL");
    // The setting turns the WARN back into FAIL.
    const strict = runPlugins([PLUGINS.openRdp], withEnis, [region], { ec2_skip_unused_groups: "false" });
    expect(strict.find((x) => x.resource.endsWith(id(7)))!.status).toBe("FAIL");
    // Interface data that failed to load is no evidence of non-use.
    const errored: Cache = {
      ...withEnis,
      ec2: { ...withEnis.ec2, describeNetworkInterfaces: { [region]: { err: new Error("denied") } } },
    };
    expect(rdp(errored).status).toBe("FAIL");
  });

  it("gives one UNKNOWN for a region whose describe call failed, and nothing for an uncollected region", () => {
    const cache: Cache = {
      ec2: { describeSecurityGroups: { [region]: { err: { message: "UnauthorizedOperation" } } } },
      account: "123456789012",
    };
    expect(runPlugins([PLUGINS.openSsh], cache, [region, "eu-west-1"])).toEqual([
      expect.objectContaining({
        status: "UNKNOWN",
        resource: "arn:aws:ec2:us-east-1:123456789012:security-group/*",
        message: "Unable to query for security groups: UnauthorizedOperation",
      }),
    ]);
  });

  it("selects plugins by our names or CloudSploit's, and names every unknown one", () => {
    expect(selectPlugins(["openSSH", "openRdp", "openSMBoTCP", "openssh"]).map((p) => p.name)).toEqual([
      "openSsh",
      "openRdp",
      "openSmbOverTcp",
    ]);
    expect(() => selectPlugins(["openSsh", "openNope", "bogus"])).toThrow(UnknownPluginError);
    expect(() => selectPlugins(["openSsh", "openNope", "bogus"])).toThrow(/unknown plugins: openNope, bogus/);
  });
});
