import { TaskBatch } from "@sec-an/contracts";
import { HOURS_PER_MONTH, PRICES, type Prices } from "./prices";

/**
 * The cost and scale model: it prices the resources a stack's programs actually declare (their
 * resource graph under the mock engine), so a config change — a bigger domain, NAT gateways, more
 * AZs, a tunnel host — shows up without editing the model. Usage (per scanned address) is estimated
 * from the assumptions below, each of which a caller can override.
 */

/** A resource as the mock engine records it (the fields the model reads). */
export interface GraphResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface ScanSettings {
  /** Targets one Fargate task scans (nmap `targetsPerTask`). */
  targetsPerTask: number;
  /** Scan-plan buckets per day (the planner puts each task batch in one bucket). */
  bucketsPerDay: number;
  /** Days raw results are kept (0: forever). */
  rawExpireDays: number;
}

export interface Inventory {
  openSearch: {
    name: string;
    instanceType: string;
    nodes: number;
    masterType?: string;
    masters: number;
    volumeGiB: number;
  }[];
  interfaceEndpoints: { name: string; azs: number }[];
  natGateways: number;
  privateScanners: boolean;
  ec2Instances: { name: string; instanceType: string }[];
  loadBalancers: number;
  webAcls: { name: string; rules: number }[];
  kmsKeys: number;
  secrets: number;
  /** Alarm metrics (a metric-math alarm counts each metric it reads). */
  alarms: number;
  dynamoProvisioned: string[];
  functions: { name: string; memoryMb: number; arch: string }[];
  scanTask?: { vcpu: number; memoryGiB: number; arch: string };
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown, d = 0): number => {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : d;
};
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};

/** What a stack's graph holds that costs money. */
export function inventory(graph: readonly GraphResource[]): Inventory {
  const of = (t: string) => graph.filter((r) => r.type === t);
  const vpc = of("awsx:ec2:Vpc")[0];
  const azs = num(vpc?.inputs.numberOfAvailabilityZones, 1);
  const nat = str(obj(vpc?.inputs.natGateways).strategy) ?? "None";
  const task = of("aws:ecs/taskDefinition:TaskDefinition")[0];
  return {
    openSearch: of("aws:opensearch/domain:Domain").map((d) => {
      const c = obj(d.inputs.clusterConfig);
      return {
        name: d.name,
        instanceType: str(c.instanceType) ?? "unknown",
        nodes: num(c.instanceCount, 1),
        masterType: c.dedicatedMasterEnabled ? str(c.dedicatedMasterType) : undefined,
        masters: c.dedicatedMasterEnabled ? num(c.dedicatedMasterCount, 3) : 0,
        volumeGiB: num(obj(d.inputs.ebsOptions).volumeSize, 10),
      };
    }),
    interfaceEndpoints: of("aws:ec2/vpcEndpoint:VpcEndpoint")
      .filter((e) => e.inputs.vpcEndpointType === "Interface")
      .map((e) => ({
        name: str(e.inputs.serviceName) ?? e.name,
        azs: Array.isArray(e.inputs.subnetIds) ? e.inputs.subnetIds.length : azs,
      })),
    natGateways: nat === "OnePerAz" ? azs : nat === "Single" ? 1 : 0,
    privateScanners: nat !== "None",
    ec2Instances: of("aws:ec2/instance:Instance").map((i) => ({
      name: i.name,
      instanceType: str(i.inputs.instanceType) ?? "unknown",
    })),
    loadBalancers:
      of("aws:lb/loadBalancer:LoadBalancer").length + of("aws:alb/loadBalancer:LoadBalancer").length,
    webAcls: of("aws:wafv2/webAcl:WebAcl").map((w) => ({
      name: w.name,
      rules: Array.isArray(w.inputs.rules) ? w.inputs.rules.length : 0,
    })),
    kmsKeys: of("aws:kms/key:Key").length,
    secrets: of("aws:secretsmanager/secret:Secret").length,
    // CloudWatch bills a metric-math alarm per metric it reads.
    alarms: of("aws:cloudwatch/metricAlarm:MetricAlarm").reduce((n, a) => {
      const queries = Array.isArray(a.inputs.metricQueries) ? (a.inputs.metricQueries as unknown[]) : [];
      return n + (queries.length ? queries.filter((q) => obj(q).metric !== undefined).length : 1);
    }, 0),
    dynamoProvisioned: of("aws:dynamodb/table:Table")
      .filter((t) => t.inputs.billingMode === "PROVISIONED")
      .map((t) => t.name),
    functions: of("aws:lambda/function:Function").map((f) => ({
      name: str(f.inputs.name) ?? f.name,
      memoryMb: num(f.inputs.memorySize, 128),
      arch: Array.isArray(f.inputs.architectures) ? String(f.inputs.architectures[0]) : "x86_64",
    })),
    scanTask: task && {
      vcpu: num(task.inputs.cpu, 1024) / 1024,
      memoryGiB: num(task.inputs.memory, 2048) / 1024,
      arch: str(obj(task.inputs.runtimePlatform).cpuArchitecture) ?? "X86_64",
    },
  };
}

export interface Line {
  item: string;
  detail: string;
  usd: number;
}

export class UnknownPriceError extends Error {
  override name = "UnknownPriceError";
}

function priced(table: Record<string, number>, key: string, what: string): number {
  const p = table[key];
  if (p === undefined)
    throw new UnknownPriceError(
      `no price for ${what} ${JSON.stringify(key)}; known: ${Object.keys(table).join(", ")} (add it to packages/cli/src/cost/prices.ts)`,
    );
  return p;
}

/** What the deployment costs per month with nothing being scanned. */
export function idleMonthly(inv: Inventory, prices: Prices = PRICES): Line[] {
  const h = HOURS_PER_MONTH;
  const lines: Line[] = [];
  for (const d of inv.openSearch) {
    const node = priced(prices.openSearchInstanceHour, d.instanceType, "OpenSearch instance type");
    lines.push({
      item: "OpenSearch data nodes",
      detail: `${d.nodes} × ${d.instanceType}`,
      usd: d.nodes * node * h,
    });
    if (d.masters && d.masterType)
      lines.push({
        item: "OpenSearch dedicated masters",
        detail: `${d.masters} × ${d.masterType}`,
        usd: d.masters * priced(prices.openSearchInstanceHour, d.masterType, "OpenSearch instance type") * h,
      });
    lines.push({
      item: "OpenSearch storage (gp3)",
      detail: `${d.nodes} × ${d.volumeGiB} GiB`,
      usd: d.nodes * d.volumeGiB * prices.openSearchGp3GbMonth,
    });
  }
  const azHours = inv.interfaceEndpoints.reduce((s, e) => s + e.azs, 0);
  if (azHours)
    lines.push({
      item: "Interface VPC endpoints",
      detail: `${inv.interfaceEndpoints.length} endpoints, ${azHours} endpoint-AZs`,
      usd: azHours * prices.interfaceEndpointAzHour * h,
    });
  if (inv.natGateways)
    lines.push({
      item: "NAT gateways",
      detail: `${inv.natGateways}`,
      usd: inv.natGateways * prices.natGatewayHour * h,
    });
  for (const i of inv.ec2Instances)
    lines.push({
      item: "EC2 instance",
      detail: `${i.name} (${i.instanceType})`,
      usd: priced(prices.ec2InstanceHour, i.instanceType, "EC2 instance type") * h,
    });
  if (inv.loadBalancers)
    lines.push({
      item: "Load balancers",
      detail: `${inv.loadBalancers}`,
      usd: inv.loadBalancers * prices.albHour * h,
    });
  for (const w of inv.webAcls)
    lines.push({
      item: "WAF web ACL",
      detail: `${w.name}, ${w.rules} rules`,
      usd: prices.wafAclMonth + w.rules * prices.wafRuleMonth,
    });
  if (inv.alarms)
    lines.push({
      item: "CloudWatch alarms",
      detail: `${inv.alarms} alarm metrics`,
      usd: inv.alarms * prices.alarmMonth,
    });
  if (inv.kmsKeys)
    lines.push({ item: "KMS keys", detail: `${inv.kmsKeys}`, usd: inv.kmsKeys * prices.kmsKeyMonth });
  if (inv.secrets)
    lines.push({
      item: "Secrets Manager secrets",
      detail: `${inv.secrets}`,
      usd: inv.secrets * prices.secretMonth,
    });
  lines.push({
    item: "Lambda, SQS, SNS, DynamoDB (on demand), Fargate",
    detail: `${inv.functions.length} functions; billed per use only`,
    usd: 0,
  });
  return lines;
}

/**
 * Per-address usage. Defaults describe the production profile (a full TCP port scan of a host with
 * a handful of open ports, one of them TLS and one HTTP); every figure is an estimate to be replaced
 * by measurement (`npm run bench`, the CloudWatch metrics of a real deployment).
 */
export interface Assumptions {
  /** nmap wall time per target, seconds. */
  scanSecondsPerTarget: number;
  /** Targets of one task scanned at the same time (the nmap container runs this many nmap processes). */
  parallelTargets: number;
  /** Fargate provisioning and image pull, billed from the pull: seconds per task. */
  taskStartSeconds: number;
  tlsPortsPerAddress: number;
  httpPortsPerAddress: number;
  /** Raw nmap XML bytes per address. */
  rawBytesPerAddress: number;
  /** OpenSearch history bytes per address per scan (snapshots are replaced, history grows). */
  historyBytesPerAddress: number;
  logBytesPerAddress: number;
  /** Scan traffic leaving the VPC per address (a connect scan of 65,535 ports ≈ 8 MB). */
  scanTrafficBytesPerAddress: number;
  snsPublishesPerAddress: number;
  sqsRequestsPerAddress: number;
  dynamoWritesPerAddress: number;
  dynamoReadsPerAddress: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  scanSecondsPerTarget: 300,
  parallelTargets: TaskBatch.scansAtOnce,
  taskStartSeconds: 45,
  tlsPortsPerAddress: 1,
  httpPortsPerAddress: 1,
  rawBytesPerAddress: 30_000,
  historyBytesPerAddress: 8_000,
  logBytesPerAddress: 6_000,
  scanTrafficBytesPerAddress: 8_000_000,
  snsPublishesPerAddress: 7,
  sqsRequestsPerAddress: 24,
  dynamoWritesPerAddress: 2,
  dynamoReadsPerAddress: 2,
};

/**
 * Lambda work on the scan path: which function (by name suffix), how often (per task, per address,
 * per TLS or HTTP port) and for how long. Functions not listed (DLQ recorders, DNS sync, admin) run
 * on failures, DNS changes or deploys, not per scan.
 */
const LAMBDA_PATH: { suffix: string; per: "task" | "address" | "tls" | "http"; seconds: number }[] = [
  { suffix: "-scan-initiator-function", per: "address", seconds: 0.005 },
  { suffix: "-nmap-scan-function", per: "task", seconds: 0.5 },
  { suffix: "-nmap-stops-handler-function", per: "task", seconds: 0.2 },
  // Each target of a task stores its own raw result, which the parser reads on its own.
  { suffix: "-nmap-parser-function", per: "address", seconds: 0.3 },
  { suffix: "-analytics-ingestor-function", per: "address", seconds: 0.05 },
  { suffix: "-ssl-scan-function", per: "tls", seconds: 2 },
  { suffix: "-ssl-parser-function", per: "tls", seconds: 0.2 },
  { suffix: "-http-headers-scan-function", per: "http", seconds: 1 },
  { suffix: "-http-headers-parser-function", per: "http", seconds: 0.2 },
];

export interface DayCost {
  addresses: number;
  tasks: number;
  /** Billed Fargate seconds per task. */
  taskSeconds: number;
  lines: Line[];
  usd: number;
  /** OpenSearch history growth, GiB per day. */
  historyGiBPerDay: number;
}

const GIB = 1024 ** 3;

/**
 * Tasks per day: the planner plans `targetsPerTask` successive addresses as one batch (one bucket, one
 * second), and the launcher starts one task per batch, so only the day's last batch may be short.
 */
export function tasksPerDay(addresses: number, scan: ScanSettings): number {
  return Math.ceil(addresses / Math.max(1, scan.targetsPerTask));
}

/** The variable cost of scanning `addresses` addresses in one day. */
export function dayCost(
  inv: Inventory,
  scan: ScanSettings,
  addresses: number,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
  prices: Prices = PRICES,
): DayCost {
  const tasks = tasksPerDay(addresses, scan);
  const k = Math.max(1, Math.min(scan.targetsPerTask, addresses));
  const rounds = Math.ceil(k / Math.max(1, a.parallelTargets));
  const taskSeconds = Math.max(
    prices.fargateMinimumSeconds,
    a.taskStartSeconds + rounds * a.scanSecondsPerTarget,
  );
  const lines: Line[] = [];
  if (inv.scanTask) {
    const f = prices.fargate[inv.scanTask.arch];
    if (!f) throw new UnknownPriceError(`no Fargate price for architecture ${inv.scanTask.arch}`);
    const perTask =
      (taskSeconds / 3600) * (inv.scanTask.vcpu * f.vcpuHour + inv.scanTask.memoryGiB * f.gbHour);
    lines.push({
      item: "Fargate scan tasks",
      detail: `${tasks} tasks × ${Math.round(taskSeconds)} s (${inv.scanTask.vcpu} vCPU, ${inv.scanTask.memoryGiB} GiB)`,
      usd: tasks * perTask,
    });
  }
  let gbSeconds = 0;
  let requests = 0;
  for (const step of LAMBDA_PATH) {
    const fn = inv.functions.find((f) => f.name.endsWith(step.suffix));
    if (!fn) continue;
    const count =
      step.per === "task"
        ? tasks
        : step.per === "address"
          ? addresses
          : addresses * (step.per === "tls" ? a.tlsPortsPerAddress : a.httpPortsPerAddress);
    requests += count;
    gbSeconds +=
      count *
      step.seconds *
      (fn.memoryMb / 1024) *
      priced(prices.lambdaGbSecond, fn.arch, "Lambda architecture");
  }
  lines.push({
    item: "Lambda",
    detail: `${Math.round(requests)} invocations`,
    usd: gbSeconds + requests * prices.lambdaRequest,
  });
  lines.push({
    item: "SNS and SQS",
    detail: `${addresses * a.snsPublishesPerAddress} publishes, ${addresses * a.sqsRequestsPerAddress} requests`,
    usd:
      addresses *
      (a.snsPublishesPerAddress * prices.snsPublish + a.sqsRequestsPerAddress * prices.sqsRequest),
  });
  lines.push({
    item: "DynamoDB (on demand)",
    detail: `${addresses * a.dynamoWritesPerAddress} writes, ${addresses * a.dynamoReadsPerAddress} reads`,
    usd:
      addresses *
      (a.dynamoWritesPerAddress * prices.dynamoWrite + a.dynamoReadsPerAddress * prices.dynamoRead),
  });
  const rawGiB = (addresses * a.rawBytesPerAddress) / GIB;
  const kept = scan.rawExpireDays === 0 ? 365 : scan.rawExpireDays;
  lines.push({
    item: "S3 raw results",
    detail: `${addresses} objects/day, ${(rawGiB * 1024).toFixed(1)} MiB/day, kept ${scan.rawExpireDays === 0 ? "forever (priced at one year's accumulation)" : `${kept} days`}`,
    usd: addresses * (prices.s3Put + prices.s3Get) + (rawGiB * kept * prices.s3GbMonth) / 30.4,
  });
  const logGiB = (addresses * a.logBytesPerAddress) / GIB;
  lines.push({
    item: "CloudWatch Logs",
    detail: `${(logGiB * 1024).toFixed(1)} MiB/day ingested`,
    usd: logGiB * prices.logsIngestGb,
  });
  const trafficGiB = (addresses * a.scanTrafficBytesPerAddress) / GIB;
  lines.push({
    item: inv.privateScanners ? "Scan traffic (NAT + transfer out)" : "Scan traffic (transfer out)",
    detail: `${trafficGiB.toFixed(1)} GiB/day`,
    usd: trafficGiB * (prices.transferOutGb + (inv.privateScanners ? prices.natGatewayGb : 0)),
  });
  const usd = lines.reduce((s, l) => s + l.usd, 0);
  return {
    addresses,
    tasks,
    taskSeconds,
    lines,
    usd,
    historyGiBPerDay: (addresses * a.historyBytesPerAddress) / GIB,
  };
}

/** Days until the domain's volumes are 75 % full of history at this rate (OpenSearch's watermarks start at 85 %). */
export function daysOfHistory(inv: Inventory, historyGiBPerDay: number): number | undefined {
  const capacity = inv.openSearch.reduce((s, d) => s + d.nodes * d.volumeGiB, 0);
  if (!capacity || historyGiBPerDay <= 0) return undefined;
  return Math.floor((capacity * 0.75) / historyGiBPerDay);
}

/**
 * The network choice, priced both ways for the same stack: interface endpoints (AWS APIs stay in the
 * VPC, scanners in public subnets) against NAT gateways (one per AZ or one in total), through which
 * every scan probe then also flows at the NAT's per-GB rate.
 */
export function networkChoice(
  inv: Inventory,
  azs: number,
  addresses: number,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
  prices: Prices = PRICES,
): Line[] {
  const endpoints = inv.interfaceEndpoints.length || 7;
  const trafficGiBMonth = ((addresses * a.scanTrafficBytesPerAddress) / GIB) * 30.4;
  const nat = (n: number) =>
    n * prices.natGatewayHour * HOURS_PER_MONTH + trafficGiBMonth * prices.natGatewayGb;
  return [
    {
      item: "interface endpoints, scanners in public subnets",
      detail: `${endpoints} endpoints × ${azs} AZs`,
      usd: endpoints * azs * prices.interfaceEndpointAzHour * HOURS_PER_MONTH,
    },
    {
      item: "one NAT gateway, scanners in private subnets",
      detail: "hourly + scan traffic per GB",
      usd: nat(1),
    },
    { item: "NAT gateway per AZ", detail: `${azs} × hourly + scan traffic per GB`, usd: nat(azs) },
  ];
}
