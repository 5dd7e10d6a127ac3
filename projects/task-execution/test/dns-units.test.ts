import { classifyRecord, normaliseName } from "../src/dns/records";
import { RateLimiter } from "../src/dns/rate-limiter";
import { DnsResolver, UnresolvableError } from "../src/dns/resolver";
import { normaliseZoneId } from "../src/dns/route53";
import { startDnsServer } from "./helpers";

describe("record classification", () => {
  const own = new Set(["Z2"]);
  it("skips an alias into our own zone whichever way the zone id is written", () => {
    expect(normaliseZoneId("/hostedzone/Z2")).toBe("Z2");
    for (const id of ["Z2", "/hostedzone/Z2"]) {
      expect(
        classifyRecord(
          {
            Name: "a.x.",
            Type: "A",
            AliasTarget: { HostedZoneId: id, DNSName: "b.x.", EvaluateTargetHealth: false },
          },
          own,
        ),
      ).toEqual({
        kind: "skip",
        host: "a.x",
        reason: "alias-to-own-zone",
      });
    }
  });
  it("takes A/AAAA values directly, dropping values that are not addresses", () => {
    expect(
      classifyRecord(
        {
          Name: "\\052.Example.COM.",
          Type: "A",
          ResourceRecords: [{ Value: "127.0.2.1" }, { Value: "127.0.2.1" }, { Value: "not-an-ip" }],
        },
        own,
      ),
    ).toEqual({ kind: "addresses", host: "*.example.com", addresses: ["127.0.2.1"] });
  });
  it("resolves CNAME values and foreign aliases; ignores other types", () => {
    expect(
      classifyRecord({ Name: "a.x.", Type: "CNAME", ResourceRecords: [{ Value: "B.y." }] }, own),
    ).toEqual({ kind: "resolve", host: "a.x", names: ["b.y"] });
    expect(
      classifyRecord({ Name: "a.x.", Type: "TXT", ResourceRecords: [{ Value: '"v=spf1"' }] }, own),
    ).toMatchObject({ kind: "skip", reason: "unhandled-type" });
    expect(normaliseName("Foo.Bar.")).toBe("foo.bar");
  });
});

describe("rate limiter", () => {
  it("spaces requests at the configured rate without sleeping when under it", async () => {
    let now = 1_000;
    const sleeps: number[] = [];
    const limiter = new RateLimiter(
      5,
      () => now,
      async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    );
    for (let i = 0; i < 4; i++) await limiter.take();
    expect(sleeps).toEqual([200, 200, 200]);
    now += 1_000; // idle: the next request goes at once
    await limiter.take();
    expect(sleeps).toHaveLength(3);
    expect(() => new RateLimiter(0)).toThrow(/positive/);
  });
});

describe("DNS resolver against a loopback server", () => {
  it("bounds CNAME chains and reports loops and missing names as unresolvable", async () => {
    const zone: Record<string, { CNAME?: string; A?: string[] }> = { "c5.test": { A: ["127.0.2.99"] } };
    for (let i = 0; i < 5; i++) zone[`c${i}.test`] = { CNAME: `c${i + 1}.test` };
    const dns = await startDnsServer({
      ...zone,
      "l1.test": { CNAME: "l2.test" },
      "l2.test": { CNAME: "l1.test" },
    });
    try {
      expect(await new DnsResolver({ servers: [dns.server] }).addresses("c0.test.")).toEqual(["127.0.2.99"]);
      await expect(
        new DnsResolver({ servers: [dns.server], maxCnameDepth: 3 }).addresses("c0.test"),
      ).rejects.toThrow(/longer than 3/);
      await expect(new DnsResolver({ servers: [dns.server] }).addresses("l1.test")).rejects.toThrow(
        /CNAME loop l1.test -> l2.test -> l1.test/,
      );
      await expect(new DnsResolver({ servers: [dns.server] }).addresses("none.test")).rejects.toBeInstanceOf(
        UnresolvableError,
      );
    } finally {
      await dns.close();
    }
  });
});
