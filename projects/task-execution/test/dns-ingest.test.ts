import {
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { GetCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { ingestDns } from "../src/dns/ingest";
import { DnsResolver } from "../src/dns/resolver";
import { RateLimiter } from "../src/dns/rate-limiter";
import { RateLimitedRoute53Client, route53Client } from "../src/dns/route53";
import type { SchedulerTables } from "../src/util";
import { createTables, dropTables, dynamo, startDnsServer } from "./helpers";

const r53 = mockClient(Route53Client);
const { client, doc } = dynamo();
let tables: SchedulerTables;
let dns: Awaited<ReturnType<typeof startDnsServer>>;

beforeAll(async () => {
  dns = await startDnsServer({
    "api.partner.test": { CNAME: "edge.partner.test" },
    "edge.partner.test": { CNAME: "lb.partner.test" },
    "lb.partner.test": { A: ["127.51.100.7"], AAAA: ["2001:db8:7::1"] },
    "d111.cloudfront.test": { A: ["127.0.113.5", "127.0.113.6"] },
    "loop-a.test": { CNAME: "loop-b.test" },
    "loop-b.test": { CNAME: "loop-a.test" },
  });
});
afterAll(async () => {
  await dns.close();
  client.destroy();
});
beforeEach(async () => {
  r53.reset();
  tables = await createTables(client);
});
afterEach(() => dropTables(client, tables));

const START = 1_795_000_000;

function route53Answers() {
  r53
    .on(ListHostedZonesCommand)
    .resolvesOnce({
      HostedZones: [{ Id: "/hostedzone/Z1", Name: "example.com.", CallerReference: "a" }],
      IsTruncated: true,
      NextMarker: "m1",
      Marker: "",
      MaxItems: 100,
    })
    .resolvesOnce({
      HostedZones: [{ Id: "/hostedzone/Z2", Name: "internal.example.com.", CallerReference: "b" }],
      IsTruncated: false,
      Marker: "m1",
      MaxItems: 100,
    });
  r53
    .on(ListResourceRecordSetsCommand, { HostedZoneId: "Z1" })
    .resolvesOnce({
      ResourceRecordSets: [
        { Name: "www.example.com.", Type: "A", TTL: 60, ResourceRecords: [{ Value: "127.0.2.10" }] },
        { Name: "www.example.com.", Type: "AAAA", TTL: 60, ResourceRecords: [{ Value: "::1" }] },
        {
          Name: "api.example.com.",
          Type: "CNAME",
          TTL: 60,
          ResourceRecords: [{ Value: "api.partner.test." }],
        },
        { Name: "example.com.", Type: "MX", TTL: 60, ResourceRecords: [{ Value: "10 mail.example.com." }] },
      ],
      IsTruncated: true,
      NextRecordName: "shop.example.com.",
      NextRecordType: "A",
      MaxItems: 300,
    })
    .resolvesOnce({
      ResourceRecordSets: [
        // Alias into our own zone, given (as Route53 does) as a bare zone id: skipped.
        {
          Name: "shop.example.com.",
          Type: "A",
          AliasTarget: {
            HostedZoneId: "Z2",
            DNSName: "db.internal.example.com.",
            EvaluateTargetHealth: false,
          },
        },
        // Alias elsewhere (a CDN): resolved through DNS.
        {
          Name: "cdn.example.com.",
          Type: "A",
          AliasTarget: {
            HostedZoneId: "Z2FDTNDATAQYW2",
            DNSName: "d111.cloudfront.test.",
            EvaluateTargetHealth: false,
          },
        },
        {
          Name: "broken.example.com.",
          Type: "CNAME",
          TTL: 60,
          ResourceRecords: [{ Value: "nowhere.test." }],
        },
        {
          Name: "looping.example.com.",
          Type: "CNAME",
          TTL: 60,
          ResourceRecords: [{ Value: "loop-a.test." }],
        },
      ],
      IsTruncated: false,
      MaxItems: 300,
    });
  r53.on(ListResourceRecordSetsCommand, { HostedZoneId: "Z2" }).resolvesOnce({
    ResourceRecordSets: [
      {
        Name: "db.internal.example.com.",
        Type: "A",
        TTL: 60,
        ResourceRecords: [{ Value: "10.0.0.5" }, { Value: "127.0.2.10" }, { Value: "169.254.169.254" }],
      },
    ],
    IsTruncated: false,
    MaxItems: 300,
  });
}

describe("DNS ingest (Route53 mock, real DNS server on loopback, dynalite)", () => {
  it("reads every zone and record page, resolves CNAME chains and foreign aliases, and writes all four tables", async () => {
    route53Answers();
    const stats = await ingestDns({
      route53: route53Client({
        roleArn: "arn:aws:iam::111111111111:role/route53-read",
        requestsPerSecond: 1000,
      }),
      resolver: new DnsResolver({ servers: [dns.server] }),
      doc,
      tables,
      startTime: START,
      period: 86_400,
      buckets: 96,
      random: () => 0.5,
      allowLoopback: true,
    });

    expect(stats).toEqual({
      zones: 2,
      recordSets: 9,
      skippedOwnZoneAliases: 1,
      unhandledRecords: 1,
      resolvedNames: 2,
      unresolvableNames: 2,
      addresses: 5,
      hosts: 4,
      // 10.0.0.5 (private-use), 169.254.169.254 (link-local) and 2001:db8:7::1 (documentation) are
      // in DNS but never planned.
      specialPurposeAddresses: 3,
    });
    // Second page of Z1 asked from where the first stopped.
    const z1 = r53.commandCalls(ListResourceRecordSetsCommand, { HostedZoneId: "Z1" });
    expect(z1[1].args[0].input).toMatchObject({ StartRecordName: "shop.example.com.", StartRecordType: "A" });
    expect(r53.commandCalls(ListHostedZonesCommand)[1].args[0].input).toMatchObject({ Marker: "m1" });

    const plan = (await doc.send(new ScanCommand({ TableName: tables.scanPlan }))).Items!;
    expect(plan.map((i) => i.Address).sort()).toEqual(
      ["127.0.2.10", "127.51.100.7", "::1", "127.0.113.5", "127.0.113.6"].sort(),
    );
    for (const row of plan) {
      expect(row.DnsIngestTime).toBe(START);
      expect(row.PlannedScanTime).toBeGreaterThanOrEqual(START);
      expect(row.PlannedScanTime).toBeLessThan(START + 86_400);
      expect((row.PlannedScanTime - START) % 900).toBe(450); // random() = 0.5: mid-bucket
    }
    // Five addresses go to five different buckets.
    expect(new Set(plan.map((r) => r.PlannedScanTime)).size).toBe(5);

    const shared = await doc.send(
      new GetCommand({
        TableName: tables.resolvedAddresses,
        Key: { Address: "127.0.2.10", DnsIngestTime: START },
      }),
    );
    expect([...(shared.Item!.Hosts as Set<string>)].sort()).toEqual([
      "db.internal.example.com",
      "www.example.com",
    ]);
    const api = await doc.send(
      new GetCommand({
        TableName: tables.resolvedHosts,
        Key: { Host: "api.example.com", DnsIngestTime: START },
      }),
    );
    expect([...(api.Item!.Addresses as Set<string>)].sort()).toEqual(["127.51.100.7"]);
    const cdn = await doc.send(
      new QueryCommand({
        TableName: tables.resolvedHosts,
        KeyConditionExpression: "Host = :h",
        ExpressionAttributeValues: { ":h": "cdn.example.com" },
      }),
    );
    expect([...(cdn.Items![0].Addresses as Set<string>)].sort()).toEqual(["127.0.113.5", "127.0.113.6"]);
    const shop = await doc.send(
      new QueryCommand({
        TableName: tables.resolvedHosts,
        KeyConditionExpression: "Host = :h",
        ExpressionAttributeValues: { ":h": "shop.example.com" },
      }),
    );
    expect(shop.Items).toEqual([]);

    const info = (
      await doc.send(new GetCommand({ TableName: tables.addressInfo, Key: { Address: "127.0.113.5" } }))
    ).Item!;
    const planned = plan.find((p) => p.Address === "127.0.113.5")!;
    expect(info).toEqual({
      Address: "127.0.113.5",
      LastDnsIngestTime: START,
      NextPlannedScanTime: planned.PlannedScanTime,
    });
    // The CNAME chain was followed hop by hop against the loopback server.
    expect(dns.queries).toEqual(expect.arrayContaining(["edge.partner.test/5", "lb.partner.test/1"]));
  });

  it("plans no loopback, private, documentation or other special-purpose address by default", async () => {
    route53Answers();
    const stats = await ingestDns({
      route53: route53Client({ requestsPerSecond: 1000 }),
      resolver: new DnsResolver({ servers: [dns.server] }),
      doc,
      tables,
      startTime: START,
      period: 86_400,
      buckets: 96,
    });
    expect(stats).toMatchObject({ addresses: 0, hosts: 0, specialPurposeAddresses: 8 });
    for (const table of [tables.scanPlan, tables.resolvedAddresses, tables.addressInfo])
      expect((await doc.send(new ScanCommand({ TableName: table }))).Items).toEqual([]);
  });

  it("plans targetsPerTask successive addresses as one batch: one bucket, one second", async () => {
    route53Answers();
    await ingestDns({
      route53: route53Client({ requestsPerSecond: 1000 }),
      resolver: new DnsResolver({ servers: [dns.server] }),
      doc,
      tables,
      startTime: START,
      period: 86_400,
      buckets: 96,
      targetsPerTask: 4,
      allowLoopback: true,
    });
    const plan = (await doc.send(new ScanCommand({ TableName: tables.scanPlan }))).Items!;
    const times = new Map<number, number>();
    for (const r of plan) times.set(r.PlannedScanTime, (times.get(r.PlannedScanTime) ?? 0) + 1);
    // Five addresses, four to a batch: two batches, of four and one.
    expect([...times.values()].sort()).toEqual([1, 4]);
  });

  it("re-planning overwrites the plan and keeps the resolution history per ingest", async () => {
    route53Answers();
    const deps = {
      resolver: new DnsResolver({ servers: [dns.server] }),
      doc,
      tables,
      period: 86_400,
      buckets: 96,
      allowLoopback: true,
    };
    await ingestDns({ ...deps, route53: route53Client({ requestsPerSecond: 1000 }), startTime: START });
    r53.reset();
    route53Answers();
    await ingestDns({
      ...deps,
      route53: route53Client({ requestsPerSecond: 1000 }),
      startTime: START + 86_400,
    });
    const plan = (await doc.send(new ScanCommand({ TableName: tables.scanPlan }))).Items!;
    expect(plan).toHaveLength(5);
    expect(plan.every((r) => r.DnsIngestTime === START + 86_400 && r.PlannedScanTime >= START + 86_400)).toBe(
      true,
    );
    const history = await doc.send(
      new QueryCommand({
        TableName: tables.resolvedAddresses,
        KeyConditionExpression: "Address = :a",
        ExpressionAttributeValues: { ":a": "127.0.2.10" },
      }),
    );
    expect(history.Items!.map((i) => i.DnsIngestTime)).toEqual([START, START + 86_400]);
  });

  it("passes every Route53 request through the configured rate limit, with adaptive retries", async () => {
    route53Answers();
    let now = 0;
    const sleeps: number[] = [];
    const limiter = new RateLimiter(
      5,
      () => now,
      async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    );
    const route53 = new RateLimitedRoute53Client({ region: "us-east-1" }, limiter);
    await ingestDns({
      route53,
      resolver: new DnsResolver({ servers: [dns.server] }),
      doc,
      tables,
      startTime: START,
      period: 86_400,
      buckets: 96,
    });
    // 2 zone pages + 3 record pages = 5 requests, spaced 200 ms apart at 5 requests/second.
    expect(r53.calls()).toHaveLength(5);
    expect(sleeps).toEqual([200, 200, 200, 200]);
    const real = route53Client({ requestsPerSecond: 5 });
    expect(((await real.config.retryStrategy()) as { mode?: string }).mode).toBe("adaptive");
    expect(await real.config.maxAttempts()).toBe(10);
  });

  it("fails fast on a bad plan config before calling Route53", async () => {
    await expect(
      ingestDns({
        route53: route53Client({ requestsPerSecond: 5 }),
        resolver: new DnsResolver(),
        doc,
        tables,
        startTime: START,
        period: 100,
        buckets: 0,
      }),
    ).rejects.toThrow(/buckets must be a positive integer/);
    expect(r53.calls()).toHaveLength(0);
  });
});
