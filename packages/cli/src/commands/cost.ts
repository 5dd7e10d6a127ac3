import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readStackConfig } from "@sec-an/components/config";
import { discoverProjects, loadProjectSync, repoRoot } from "@sec-an/contracts/registry";
import type { Io } from "../main";
import {
  DEFAULT_ASSUMPTIONS,
  dayCost,
  daysOfHistory,
  idleMonthly,
  inventory,
  networkChoice,
  type Assumptions,
  type GraphResource,
  type Inventory,
  type Line,
  type ScanSettings,
} from "../cost/model";
import { PRICES } from "../cost/prices";
import { runPrograms, stackConfig } from "../local/programs";

const USAGE = `usage: sec-an cost --stack <stack> [--addresses N,N,...] [--scan-seconds S] [--parallel P] [--json]

Prices what the stack's programs declare (run under the mock engine against stacks/<project>/Pulumi.<stack>.yaml):
the idle monthly bill, then the daily cost of scanning each number of addresses, and the effect of
nmap's targetsPerTask (targets one Fargate task scans) at 1, 8, 16 and the configured value.
`;

const DAYS_PER_MONTH = 30.4;

/** A project's parsed stack config (its own schema and defaults), or undefined when it has no stack file. */
function projectConfig(root: string, project: string, stack: string): Record<string, unknown> | undefined {
  const p = discoverProjects(root).find((x) => x.name === project);
  if (!p) return undefined;
  let raw: Record<string, unknown>;
  try {
    raw = stackConfig(root, project, stack);
  } catch {
    return undefined;
  }
  const schema = loadProjectSync(p).configSchema;
  if (!schema) return undefined;
  const cfg = { get: (k: string) => (raw[`${p.pulumiName}:${k}`] as string | undefined)?.toString() };
  return readStackConfig(cfg, p.pulumiName, schema as never, stack) as Record<string, unknown>;
}

/** Scan settings from the nmap and task-execution stack configs. */
export function scanSettings(
  nmap: Record<string, unknown> | undefined,
  taskExecution: Record<string, unknown> | undefined,
): ScanSettings {
  const period = Number(taskExecution?.period ?? 86400);
  const buckets = Number(taskExecution?.buckets ?? 96);
  return {
    targetsPerTask: Number(nmap?.targetsPerTask ?? 1),
    bucketsPerDay: (buckets * 86400) / period,
    rawExpireDays: Number(nmap?.rawExpireDays ?? 0),
  };
}

const usd = (n: number) => n.toFixed(2).padStart(10);
const int = (n: number) => Math.round(n).toLocaleString("en-US");

export interface CostReport {
  stack: string;
  region: string;
  scan: ScanSettings;
  assumptions: Assumptions;
  idle: Line[];
  idleMonthly: number;
  days: ReturnType<typeof dayCost>[];
  batching: { targetsPerTask: number; days: { addresses: number; tasks: number; usd: number }[] }[];
  historyDaysFull: (number | undefined)[];
  /** Monthly network cost both ways, at the largest address count. */
  network: { addresses: number; lines: Line[] };
}

export function costReport(
  stack: string,
  inv: Inventory,
  scan: ScanSettings,
  addresses: number[],
  a: Assumptions = DEFAULT_ASSUMPTIONS,
  azs = 2,
): CostReport {
  const idle = idleMonthly(inv);
  const days = addresses.map((n) => dayCost(inv, scan, n, a));
  // The configured batch size beside 8 and 16, so the model shows what batching is worth.
  const ks = [...new Set([1, scan.targetsPerTask, 8, 16])].sort((a, b) => a - b);
  return {
    stack,
    region: PRICES.region,
    scan,
    assumptions: a,
    idle,
    idleMonthly: idle.reduce((s, l) => s + l.usd, 0),
    days,
    batching: ks.map((k) => ({
      targetsPerTask: k,
      days: addresses.map((n) => {
        const d = dayCost(inv, { ...scan, targetsPerTask: k }, n, a);
        return { addresses: n, tasks: d.tasks, usd: d.usd };
      }),
    })),
    historyDaysFull: days.map((d) => daysOfHistory(inv, d.historyGiBPerDay)),
    network: {
      addresses: Math.max(0, ...addresses),
      lines: networkChoice(inv, azs, Math.max(0, ...addresses), a),
    },
  };
}

/** The report as text: the tables docs/cost.md shows. */
export function formatCost(r: CostReport): string {
  const out: string[] = [];
  out.push(
    `sec-an cost: stack ${r.stack} (USD, ${r.region} list prices, free tiers ignored; targetsPerTask ${r.scan.targetsPerTask}, ${r.scan.bucketsPerDay} buckets/day)`,
    "",
    "Idle, per month (nothing scanned)",
  );
  for (const l of r.idle) out.push(`  ${l.item.padEnd(48)} ${l.detail.padEnd(44)} ${usd(l.usd)}`);
  out.push(`  ${"total".padEnd(48)} ${"".padEnd(44)} ${usd(r.idleMonthly)}`, "");
  const head = r.days.map((d) => `${int(d.addresses)} addr`.padStart(14)).join("");
  out.push(`Scanning, per day ${"".padEnd(30)}${head}`);
  for (let i = 0; i < r.days[0]!.lines.length; i++) {
    const item = r.days[0]!.lines[i]!.item;
    out.push(`  ${item.padEnd(46)}${r.days.map((d) => usd(d.lines[i]!.usd).padStart(14)).join("")}`);
  }
  const row = (label: string, f: (d: CostReport["days"][number], i: number) => string) =>
    out.push(`  ${label.padEnd(46)}${r.days.map((d, i) => f(d, i).padStart(14)).join("")}`);
  row("total per day", (d) => usd(d.usd));
  row("per 1,000 addresses per day", (d) => usd((d.usd * 1000) / Math.max(1, d.addresses)));
  row("month incl. idle", (d) => usd(d.usd * DAYS_PER_MONTH + r.idleMonthly));
  row("Fargate tasks per day", (d) => int(d.tasks));
  row("OpenSearch history GiB per day", (d) => d.historyGiBPerDay.toFixed(2));
  row("days until volumes 75 % full", (_d, i) => String(r.historyDaysFull[i] ?? "n/a"));
  out.push(
    "",
    `Batching: Fargate tasks / $ per day${"".padEnd(13)}${r.days.map((d) => `${int(d.addresses)} addr`.padStart(20)).join("")}`,
  );
  for (const b of r.batching)
    out.push(
      `  targetsPerTask ${String(b.targetsPerTask).padEnd(31)}${b.days.map((d) => `${int(d.tasks)} / ${usd(d.usd).trim()}`.padStart(20)).join("")}`,
    );
  out.push("", `Network, per month, scanning ${int(r.network.addresses)} addresses a day`);
  for (const l of r.network.lines) out.push(`  ${l.item.padEnd(48)} ${l.detail.padEnd(44)} ${usd(l.usd)}`);
  const a = r.assumptions;
  out.push(
    "",
    `Assumptions: ${a.scanSecondsPerTarget} s nmap per target, ${a.parallelTargets} targets scanned at once, ${a.taskStartSeconds} s task start, ` +
      `${a.tlsPortsPerAddress} TLS + ${a.httpPortsPerAddress} HTTP port per address, ${a.historyBytesPerAddress / 1000} kB history and ` +
      `${a.scanTrafficBytesPerAddress / 1e6} MB scan traffic per address.`,
  );
  return `${out.join("\n")}\n`;
}

export async function run(args: string[], io: Io): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        stack: { type: "string" },
        addresses: { type: "string", default: "1000,10000,100000" },
        "scan-seconds": { type: "string" },
        parallel: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    io.stderr.write(`sec-an cost: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!values.stack) {
    io.stderr.write(`sec-an cost: --stack is required\n${USAGE}`);
    return 2;
  }
  const counts = String(values.addresses).split(",").map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 0)) {
    io.stderr.write(`sec-an cost: --addresses takes whole numbers separated by commas\n`);
    return 2;
  }
  const a: Assumptions = { ...DEFAULT_ASSUMPTIONS };
  for (const [flag, key] of [
    ["scan-seconds", "scanSecondsPerTarget"],
    ["parallel", "parallelTargets"],
  ] as const) {
    if (values[flag] === undefined) continue;
    const n = Number(values[flag]);
    if (!(n > 0)) {
      io.stderr.write(`sec-an cost: --${flag} must be a positive number\n`);
      return 2;
    }
    a[key] = n;
  }
  const root = repoRoot();
  const stack = String(values.stack);
  let graph: GraphResource[];
  try {
    graph = (await runPrograms(root, stack)).flatMap((r) => r.records);
  } catch (e) {
    io.stderr.write(`sec-an cost: cannot read stack ${stack}: ${(e as Error).message}\n`);
    return 1;
  }
  const scan = scanSettings(projectConfig(root, "nmap", stack), projectConfig(root, "task-execution", stack));
  const azs = Number(projectConfig(root, "shared-infra", stack)?.azCount ?? 2);
  const report = costReport(stack, inventory(graph), scan, counts, a, azs);
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatCost(report));
  return 0;
}

const BEGIN = "<!-- sec-an cost --stack dev: begin (npm run docs:cost) -->";
const END = "<!-- sec-an cost --stack dev: end -->";

/** The report for the documented example stack, as docs/cost.md embeds it. */
export async function devStackReport(root: string): Promise<string> {
  const graph = (await runPrograms(root, "dev")).flatMap((r) => r.records);
  const scan = scanSettings(projectConfig(root, "nmap", "dev"), projectConfig(root, "task-execution", "dev"));
  const azs = Number(projectConfig(root, "shared-infra", "dev")?.azCount ?? 2);
  return formatCost(
    costReport("dev", inventory(graph), scan, [1000, 10_000, 100_000], DEFAULT_ASSUMPTIONS, azs),
  );
}

/** The block docs/cost.md holds between its markers. */
export function costDocBlock(doc: string): string | undefined {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) return undefined;
  return doc.slice(a + BEGIN.length, b);
}

/** Rewrites docs/cost.md's generated block from the dev stack (`npm run docs:cost`). */
export async function updateCostDoc(root: string): Promise<void> {
  const file = join(root, "docs", "cost.md");
  const doc = readFileSync(file, "utf8");
  if (costDocBlock(doc) === undefined) throw new Error(`${file}: markers ${BEGIN} … ${END} not found`);
  const block = `\n\n\`\`\`text\n${await devStackReport(root)}\`\`\`\n\n`;
  writeFileSync(file, doc.slice(0, doc.indexOf(BEGIN) + BEGIN.length) + block + doc.slice(doc.indexOf(END)));
}
