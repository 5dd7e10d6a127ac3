import fc from "fast-check";
import type { SecurityGroup } from "@aws-sdk/client-ec2";
import { cacheFromDescribe, PLUGINS, PORT_CHECKS, runPlugins } from "../../src/engine";

const region = "eu-west-1";
const ingressPlugins = Object.values(PLUGINS).filter((p) => p.name !== "openAllPortsProtocolsEgress");

describe("one rule opening a port range to the world", () => {
  it("FAILs exactly the plugins whose ports it covers, and leaves the rest OK", () => {
    const port = fc.integer({ min: 0, max: 65535 });
    fc.assert(
      fc.property(
        fc.constantFrom("tcp", "udp"),
        port,
        port,
        fc.constantFrom("0.0.0.0/0", "::/0"),
        (protocol, a, b, cidr) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const v6 = cidr.includes(":");
          const group: SecurityGroup = {
            GroupId: "sg-0123456789abcdef0",
            OwnerId: "123456789012",
            IpPermissions: [
              {
                IpProtocol: protocol,
                FromPort: from,
                ToPort: to,
                ...(v6 ? { Ipv6Ranges: [{ CidrIpv6: cidr }] } : { IpRanges: [{ CidrIp: cidr }] }),
              },
            ],
          };
          // Expected straight from the table: a check fails when one of its ports for this protocol is in range.
          const expected = PORT_CHECKS.filter((c) =>
            (protocol === "tcp" ? c.tcp : c.udp)?.some((p) => from <= p && p <= to),
          ).map((c) => c.name);
          if (from <= 1 && to === 65535) expected.push("openAllPortsProtocols");
          const findings = runPlugins(
            ingressPlugins,
            cacheFromDescribe(region, { SecurityGroups: [group] }),
            [region],
          );
          expect(
            findings
              .filter((f) => f.status === "FAIL")
              .map((f) => f.plugin)
              .sort(),
          ).toEqual(expected.sort());
          expect(findings.filter((f) => f.status !== "FAIL").every((f) => f.status === "OK")).toBe(true);
        },
      ),
      // Ranges biased to the interesting edges: single ports of the table and the full range.
      {
        numRuns: 2000,
        examples: [
          ["tcp", 22, 22, "::/0"],
          ["udp", 0, 65535, "0.0.0.0/0"],
          ["tcp", 1, 65535, "::/0"],
          ["tcp", 23, 3388, "0.0.0.0/0"],
        ],
      },
    );
  });

  it("hits every port of the table when each is opened alone", () => {
    for (const c of PORT_CHECKS) {
      for (const [protocol, ports] of [
        ["tcp", c.tcp ?? []],
        ["udp", c.udp ?? []],
      ] as const) {
        for (const p of ports) {
          const group: SecurityGroup = {
            GroupId: "sg-0123456789abcdef0",
            IpPermissions: [
              { IpProtocol: protocol, FromPort: p, ToPort: p, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
            ],
          };
          const f = runPlugins([PLUGINS[c.name]], cacheFromDescribe(region, { SecurityGroups: [group] }), [
            region,
          ]);
          expect(f[0].status).toBe("FAIL");
        }
      }
    }
  });
});
