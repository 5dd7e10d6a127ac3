import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { AWS_REGION_PATTERN } from "@sec-an/contracts";
import { discoverProjects, findProject, loadProject, repoRoot } from "@sec-an/contracts/registry";
import type * as Engine from "@sec-an/project-config-scanner/engine";
import type { Io } from "../main";

let engine: typeof Engine;

/** The config-scanner's engine, loaded through the registry: the CLI names no project statically. */
async function loadEngine(): Promise<typeof Engine> {
  if (!engine) {
    const registered = findProject(discoverProjects(repoRoot()), "config-scanner");
    const m = (await loadProject(registered)) as unknown as { engine?: typeof Engine };
    if (!m.engine) throw new Error(`${registered.packageName}: its index does not export its engine`);
    engine = m.engine;
  }
  return engine;
}

/** Use this engine instead of the registry's (a bundle of the command, where no project is discovered). */
export function setEngine(e: typeof Engine): void {
  engine = e;
}

export const usage =
  () => `usage: sec-an aws-scan [--plugins p1,p2] --region r[,r2] (--input-stdin | --input <file>) [--account id] [--setting k=v ...] [--fail-on FAIL|WARN|UNKNOWN]
       sec-an aws-scan --event <file|->  [--fail-on ...]
       sec-an aws-scan --list
Input: the output of \`aws ec2 describe-security-groups\` ({"SecurityGroups": [...]}), optionally with the
"NetworkInterfaces" of describe-network-interfaces beside it, or a CloudSploit cache. Output: a JSON array of findings.
Exit: 0, 1 when a finding is at or above --fail-on (order ${engine.STATUS_ORDER.join(" < ")}), 2 on bad usage or input.
`;

/** Bad usage or input: the message goes to stderr with exit code 2. */
export class UsageError extends Error {}

export type AwsScanOptions =
  | { mode: "list" }
  | { mode: "event"; source: string; failOn?: Engine.Status }
  | {
      mode: "scan";
      source: string;
      plugins: Engine.Plugin[];
      regions: string[];
      account?: string;
      settings: Record<string, string>;
      failOn?: Engine.Status;
    };

const list = (v: string | undefined) =>
  (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function parseAwsScanArgs(args: string[]): AwsScanOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        plugins: { type: "string" },
        region: { type: "string" },
        "input-stdin": { type: "boolean" },
        input: { type: "string" },
        account: { type: "string" },
        setting: { type: "string", multiple: true },
        "fail-on": { type: "string" },
        event: { type: "string" },
        list: { type: "boolean" },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.list) return { mode: "list" };
  const failOn = values["fail-on"]?.toUpperCase();
  if (failOn !== undefined && !(engine.STATUS_ORDER as readonly string[]).includes(failOn)) {
    throw new UsageError(
      `--fail-on must be one of ${engine.STATUS_ORDER.join(", ")}, not ${JSON.stringify(values["fail-on"])}`,
    );
  }
  const gate = failOn ? { failOn: failOn as Engine.Status } : {};
  if (values.event !== undefined) return { mode: "event", source: values.event, ...gate };
  if (values["input-stdin"] && values.input !== undefined)
    throw new UsageError("give --input-stdin or --input <file>, not both");
  const source = values["input-stdin"] ? "-" : values.input;
  if (source === undefined)
    throw new UsageError("give --input-stdin (or --input <file>), or --event <file|->");
  const regions = list(values.region);
  if (!regions.length)
    throw new UsageError("--region is required (the region the security groups belong to)");
  const region = new RegExp(AWS_REGION_PATTERN);
  const bad = regions.filter((r) => !region.test(r));
  if (bad.length)
    throw new UsageError(
      `--region: ${bad.map((r) => JSON.stringify(r)).join(", ")} is not an AWS region name`,
    );
  const settings: Record<string, string> = {};
  for (const s of values.setting ?? []) {
    const eq = s.indexOf("=");
    if (eq < 1) throw new UsageError(`--setting takes key=value, not ${JSON.stringify(s)}`);
    settings[s.slice(0, eq)] = s.slice(eq + 1);
  }
  // Unknown plugin names throw engine.UnknownPluginError, naming every one.
  const plugins =
    values.plugins === undefined ? Object.values(engine.PLUGINS) : engine.selectPlugins(list(values.plugins));
  if (!plugins.length) throw new UsageError("--plugins names no plugin");
  return {
    mode: "scan",
    source,
    plugins,
    regions,
    ...(values.account ? { account: values.account } : {}),
    settings,
    ...gate,
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The findings for the input text: describe-security-groups output or a CloudSploit cache. */
export function scanText(text: string, o: Extract<AwsScanOptions, { mode: "scan" }>): Engine.Finding[] {
  const cache = engine.cacheFromInput(parseJson(text, "the input"), o.regions, o.account);
  return engine.runPlugins(o.plugins, cache, o.regions, o.settings);
}

export function eventText(text: string): Engine.EventMapping {
  return engine.mapEvent(parseJson(text, "the event"));
}

/** Whether any finding is at or above the gate's status. */
export function tripsGate(findings: Engine.Finding[], failOn: Engine.Status | undefined): boolean {
  if (!failOn) return false;
  const bar = engine.STATUS_ORDER.indexOf(failOn);
  return findings.some((f) => engine.STATUS_ORDER.indexOf(f.status) >= bar);
}

export function pluginTable(): string {
  return Object.values(engine.PLUGINS)
    .map((p) => `${p.name.padEnd(30)} ${p.severity.padEnd(8)} ${p.description}`)
    .join("\n");
}

async function readSource(source: string): Promise<string> {
  if (source !== "-") return readFile(source, "utf8");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function run(
  args: string[],
  io: Io,
  read: (source: string) => Promise<string> = readSource,
): Promise<number> {
  try {
    await loadEngine();
    const o = parseAwsScanArgs(args);
    if (o.mode === "list") {
      io.stdout.write(`${pluginTable()}\n`);
      return 0;
    }
    const text = await read(o.source).catch((e: Error) => {
      throw new UsageError(`cannot read ${o.source === "-" ? "stdin" : o.source}: ${e.message}`);
    });
    if (o.mode === "event") {
      const m = eventText(text);
      // Always JSON, irrelevant events too (relevant: false and the reason), so scripts parse one shape.
      io.stdout.write(`${JSON.stringify(m, null, 2)}\n`);
      return tripsGate(m.immediate, o.failOn) ? 1 : 0;
    }
    const findings = scanText(text, o);
    io.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
    return tripsGate(findings, o.failOn) ? 1 : 0;
  } catch (e) {
    const err = e as Error;
    // UsageError, engine.InputError (bad resource data) and engine.UnknownPluginError are the user's to fix; anything else is a bug.
    if (!(
      err instanceof UsageError ||
      (engine && (err instanceof engine.InputError || err instanceof engine.UnknownPluginError))
    ))
      throw e;
    io.stderr.write(`sec-an aws-scan: ${err.message}\n${err instanceof UsageError ? usage() : ""}`);
    return 2;
  }
}
