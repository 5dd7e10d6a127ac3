import { projectIndex } from "../src/tasks";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { costDocBlock, costReport, devStackReport, formatCost, scanSettings } from "../src/commands/cost";
import {
  dayCost,
  daysOfHistory,
  idleMonthly,
  inventory,
  networkChoice,
  tasksPerDay,
  UnknownPriceError,
  type GraphResource,
} from "../src/cost/model";
import { HOURS_PER_MONTH, PRICES } from "../src/cost/prices";
import { main } from "../src/main";

const r = (type: string, name: string, inputs: Record<string, unknown>): GraphResource => ({
  type,
  name,
  inputs,
});

const graph = (over: { nat?: string; instanceType?: string; nodes?: number } = {}): GraphResource[] => [
  r("awsx:ec2:Vpc", "vpc", { numberOfAvailabilityZones: 2, natGateways: { strategy: over.nat ?? "None" } }),
  r("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", { vpcEndpointType: "Gateway", serviceName: "s3" }),
  r("aws:ec2/vpcEndpoint:VpcEndpoint", "sqs", {
    vpcEndpointType: "Interface",
    serviceName: "sqs",
    subnetIds: ["a", "b"],
  }),
  r("aws:ec2/vpcEndpoint:VpcEndpoint", "sns", {
    vpcEndpointType: "Interface",
    serviceName: "sns",
    subnetIds: ["a", "b"],
  }),
  r("aws:opensearch/domain:Domain", "search", {
    clusterConfig: { instanceType: over.instanceType ?? "t3.small.search", instanceCount: over.nodes ?? 1 },
    ebsOptions: { volumeSize: 10 },
  }),
  r("aws:cloudwatch/metricAlarm:MetricAlarm", "a1", {}),
  r("aws:cloudwatch/metricAlarm:MetricAlarm", "a2", {
    metricQueries: [
      { id: "e", expression: "m1+m2" },
      { id: "m1", metric: {} },
      { id: "m2", metric: {} },
    ],
  }),
  r("aws:ecs/taskDefinition:TaskDefinition", "nmap", {
    cpu: "1024",
    memory: "2048",
    runtimePlatform: { cpuArchitecture: "X86_64" },
  }),
  r("aws:lambda/function:Function", "p", {
    name: "dev-sec-an-nmap-parser-function",
    memorySize: 1024,
    architectures: ["arm64"],
  }),
  r("aws:lambda/function:Function", "s", {
    name: "dev-sec-an-ssl-scan-function",
    memorySize: 256,
    architectures: ["arm64"],
  }),
];

describe("inventory", () => {
  it("reads the priced resources from the graph", () => {
    const inv = inventory(graph({ nat: "OnePerAz" }));
    expect(inv.interfaceEndpoints).toEqual([
      { name: "sqs", azs: 2 },
      { name: "sns", azs: 2 },
    ]);
    expect(inv.natGateways).toBe(2);
    expect(inv.privateScanners).toBe(true);
    expect(inv.openSearch).toEqual([
      {
        name: "search",
        instanceType: "t3.small.search",
        nodes: 1,
        masterType: undefined,
        masters: 0,
        volumeGiB: 10,
      },
    ]);
    expect(inv.alarms).toBe(3);
    expect(inv.scanTask).toEqual({ vcpu: 1, memoryGiB: 2, arch: "X86_64" });
    expect(inventory(graph({ nat: "Single" })).natGateways).toBe(1);
    expect(inventory(graph()).natGateways).toBe(0);
  });
});

describe("idle cost", () => {
  it("prices each resource by the hour or month", () => {
    const lines = idleMonthly(inventory(graph({ nodes: 2 })));
    const by = (item: string) => lines.find((l) => l.item === item)!.usd;
    expect(by("OpenSearch data nodes")).toBeCloseTo(2 * 0.036 * HOURS_PER_MONTH, 6);
    expect(by("OpenSearch storage (gp3)")).toBeCloseTo(2 * 10 * PRICES.openSearchGp3GbMonth, 6);
    expect(by("Interface VPC endpoints")).toBeCloseTo(4 * 0.01 * HOURS_PER_MONTH, 6);
    expect(by("CloudWatch alarms")).toBeCloseTo(0.3, 6);
    expect(lines.find((l) => l.item === "NAT gateways")).toBeUndefined();
  });

  it("names an instance type it has no price for", () => {
    expect(() => idleMonthly(inventory(graph({ instanceType: "x9.huge.search" })))).toThrow(
      UnknownPriceError,
    );
    expect(() => idleMonthly(inventory(graph({ instanceType: "x9.huge.search" })))).toThrow(
      /x9\.huge\.search/,
    );
  });
});

describe("scanning cost", () => {
  const scan = { targetsPerTask: 16, bucketsPerDay: 96, rawExpireDays: 0 };

  it("starts one task per planned batch of targetsPerTask addresses", () => {
    expect(tasksPerDay(0, scan)).toBe(0);
    expect(tasksPerDay(96, scan)).toBe(6);
    expect(tasksPerDay(96 * 16, scan)).toBe(96);
    expect(tasksPerDay(96 * 17, scan)).toBe(102);
    expect(tasksPerDay(1000, scan)).toBe(63);
    expect(tasksPerDay(1000, { ...scan, targetsPerTask: 1 })).toBe(1000);
  });

  it("agrees with the planner: one task per batch it plans", async () => {
    type PlanFn = (a: string[], c: Record<string, unknown>) => { plannedScanTime: number }[];
    const { planScans } = await projectIndex<{ planScans: PlanFn }>("task-execution");
    for (const [n, k] of [
      [1000, 8],
      [7, 16],
      [5000, 16],
    ]) {
      const addresses = Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
      const times = planScans(addresses, { start: 0, period: 86_400, buckets: 96, targetsPerTask: k }).map(
        (p) => p.plannedScanTime,
      );
      // Successive batches go to successive buckets: a batch ends where the planned second changes.
      const batches = times.filter((t, i) => i === 0 || t !== times[i - 1]).length;
      expect(tasksPerDay(n, { ...scan, targetsPerTask: k })).toBe(batches);
    }
  });

  it("prices every target's own raw object and parser run, however the targets are batched", () => {
    const inv = inventory(graph());
    const s3 = (k: number) =>
      dayCost(inv, { ...scan, targetsPerTask: k }, 1000).lines.find((l) => l.item === "S3 raw results")!;
    expect(s3(16).detail).toMatch(/^1000 objects\/day/);
    expect(s3(16).usd).toBeCloseTo(s3(1).usd, 10);
  });

  it("costs less per address with batching, and grows linearly beyond it", () => {
    const inv = inventory(graph());
    const one = dayCost(inv, { ...scan, targetsPerTask: 1 }, 10_000);
    const batched = dayCost(inv, scan, 10_000);
    expect(batched.tasks).toBeLessThan(one.tasks / 10);
    expect(batched.usd).toBeLessThan(one.usd);
    const tenfold = dayCost(inv, scan, 100_000);
    expect(tenfold.usd / batched.usd).toBeGreaterThan(9);
    expect(tenfold.usd / batched.usd).toBeLessThan(11);
  });

  it("bills a task at least Fargate's minimum", () => {
    const d = dayCost(inventory(graph()), scan, 1, {
      ...costReport("x", inventory(graph()), scan, [1]).assumptions,
      scanSecondsPerTarget: 1,
      taskStartSeconds: 1,
    });
    expect(d.taskSeconds).toBe(PRICES.fargateMinimumSeconds);
  });

  it("counts the days until history fills the volumes", () => {
    expect(daysOfHistory(inventory(graph()), 0.75)).toBe(10);
    expect(daysOfHistory(inventory(graph()), 0)).toBeUndefined();
  });

  it("adds the NAT's per-GB charge on the scan traffic when scanners sit behind it", () => {
    const pub = dayCost(inventory(graph()), scan, 1000).lines.find((l) => l.item.startsWith("Scan traffic"))!;
    const nat = dayCost(inventory(graph({ nat: "Single" })), scan, 1000).lines.find((l) =>
      l.item.startsWith("Scan traffic"),
    )!;
    expect(nat.usd / pub.usd).toBeCloseTo(
      (PRICES.transferOutGb + PRICES.natGatewayGb) / PRICES.transferOutGb,
      6,
    );
    const [endpoints, oneNat] = networkChoice(inventory(graph()), 2, 0);
    expect(endpoints!.usd).toBeCloseTo(2 * 2 * 0.01 * HOURS_PER_MONTH, 6);
    expect(oneNat!.usd).toBeCloseTo(0.045 * HOURS_PER_MONTH, 6);
  });
});

describe("scan settings", () => {
  it("turns period and buckets into buckets per day", () => {
    expect(scanSettings({ targetsPerTask: 8, rawExpireDays: 30 }, { period: 43200, buckets: 48 })).toEqual({
      targetsPerTask: 8,
      bucketsPerDay: 96,
      rawExpireDays: 30,
    });
    expect(scanSettings(undefined, undefined).targetsPerTask).toBe(1);
  });
});

describe("the report", () => {
  it("prints the idle bill, the daily cost per scale and the batching effect", () => {
    const report = costReport(
      "t",
      inventory(graph()),
      { targetsPerTask: 16, bucketsPerDay: 96, rawExpireDays: 0 },
      [1000, 100_000],
    );
    const text = formatCost(report);
    expect(text).toContain("Idle, per month");
    expect(text).toContain("100,000 addr");
    expect(text).toMatch(/targetsPerTask 1 +1,000 \/ /);
    expect(text).toMatch(/targetsPerTask 16 +63 \/ /); // ⌈1,000 / 16⌉ tasks
    expect(report.batching.map((b) => b.targetsPerTask)).toEqual([1, 8, 16]);
  });
});

describe("sec-an cost", () => {
  const io = () => {
    const out = { stdout: "", stderr: "" };
    return {
      out,
      io: {
        stdout: { write: (s: string) => (out.stdout += s) },
        stderr: { write: (s: string) => (out.stderr += s) },
      },
    };
  };

  it("needs a stack", async () => {
    const { out, io: i } = io();
    expect(await main(["cost"], i)).toBe(2);
    expect(out.stderr).toMatch(/--stack is required/);
  });

  it("rejects bad address counts", async () => {
    const { out, io: i } = io();
    expect(await main(["cost", "--stack", "dev", "--addresses", "10,abc"], i)).toBe(2);
    expect(out.stderr).toMatch(/whole numbers/);
  });

  it("prices the dev stack from its programs", async () => {
    const { out, io: i } = io();
    expect(await main(["cost", "--stack", "dev", "--addresses", "1000", "--json"], i)).toBe(0);
    const report = JSON.parse(out.stdout) as ReturnType<typeof costReport>;
    // stacks/analytics-platform/Pulumi.dev.yaml: one t3.small.search node with 10 GiB.
    expect(report.idle.find((l) => l.item === "OpenSearch data nodes")!.detail).toBe("1 × t3.small.search");
    expect(report.days[0]!.tasks).toBeGreaterThan(0);
    expect(report.idleMonthly).toBeGreaterThan(0);
  }, 120_000);

  it("docs/cost.md shows the dev stack's current figures (npm run docs:cost)", async () => {
    const root = join(__dirname, "../../..");
    const block = costDocBlock(readFileSync(join(root, "docs/cost.md"), "utf8"));
    expect(block).toBeDefined();
    expect(block!.trim()).toBe(`\`\`\`text\n${await devStackReport(root)}\`\`\``);
  }, 120_000);
});
