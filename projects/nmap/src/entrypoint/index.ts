import { spawn } from "node:child_process";
import type { LookupAddress } from "node:dns";
import { lookup as dnsLookup } from "node:dns/promises";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  Env,
  MalformedJsonError,
  NMAP_TASK,
  NmapEnv,
  ScanRequest,
  SchemaError,
  parseJson,
} from "@sec-an/contracts";
import { putRawResult } from "@sec-an/runtime";
import { InvalidTargetError, MAX_TARGET_ADDRESSES, validateScanAddress, validateTarget } from "../targets";
import type { ValidTarget } from "../targets";
import { literalTargets, nmapArgs, type ScanTargets } from "./args";
import { batchEntries, scanBatch, type BatchConfig, type BatchDeps } from "./batch";

export * from "./args";
export * from "./batch";

/**
 * The nmap container's entrypoint: request from the environment (set by the EcsTask scan Lambda as a
 * container override), validated target, nmap run from an argument vector (no shell), XML stored in the
 * raw-results lake with the request as its metadata. The results parser takes over from the S3 object.
 */

export interface EntrypointConfig {
  readonly request: ScanRequest;
  readonly scanId: string;
  readonly bucket: string;
  readonly timeoutSeconds: number;
  readonly hostTimeoutSeconds: number;
  /** Ports scanned when the request names none (default every TCP port). */
  readonly defaultPorts?: string;
}

/**
 * Port list for requests that name none. The local run sets it to its demo services' ports, so a first
 * run scans two ports instead of 65,535 (`sec-an local --full` leaves it unset).
 */
export const DEFAULT_PORTS_ENV = "NMAP_DEFAULT_PORTS";

export const DEFAULT_TIMEOUT_SECONDS = 4 * 3600;
export const DEFAULT_HOST_TIMEOUT_SECONDS = 3600;

function positiveInt(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === "") return dflt;
  if (!/^\d{1,7}$/.test(v) || Number(v) < 1)
    throw new Error(`${name} must be a positive whole number of seconds, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** Read and validate the container's configuration; throws with a message naming what is wrong. */
export function configFromEnv(env: NodeJS.ProcessEnv): EntrypointConfig {
  const raw = env[Env.scanRequest];
  const scanId = env[Env.scanRequestId];
  if (!raw) throw new Error(`${Env.scanRequest} is not set`);
  if (!scanId) throw new Error(`${Env.scanRequestId} is not set`);
  const common = taskSettings(env);
  const request = parseJson(ScanRequest, raw, Env.scanRequest);
  return { ...common, request, scanId };
}

/** A task scanning several targets (`SCAN_REQUESTS`): each request parsed on its own. */
export function batchConfigFromEnv(env: NodeJS.ProcessEnv): BatchConfig {
  return {
    ...taskSettings(env),
    entries: batchEntries(env),
    deadLetterQueueUrl: env[Env.deadLetterQueueUrl] || undefined,
  };
}

/** What every scan of a task shares: where results go, the time budgets, the default ports. */
function taskSettings(env: NodeJS.ProcessEnv): Omit<EntrypointConfig, "request" | "scanId"> {
  const bucket = env[Env.resultsBucket];
  if (!bucket) throw new Error(`${Env.resultsBucket} is not set`);
  const timeoutSeconds = positiveInt(env, NmapEnv.timeoutSeconds, DEFAULT_TIMEOUT_SECONDS);
  const hostTimeoutSeconds = Math.min(
    positiveInt(env, NmapEnv.hostTimeoutSeconds, DEFAULT_HOST_TIMEOUT_SECONDS),
    timeoutSeconds,
  );
  const defaultPorts = env[DEFAULT_PORTS_ENV] || undefined;
  // Checked here so a bad value fails the task before any scan, naming the variable.
  if (defaultPorts !== undefined && !/^[0-9][0-9,-]{0,200}$/.test(defaultPorts))
    throw new Error(`${DEFAULT_PORTS_ENV} must be an nmap port list, got ${JSON.stringify(defaultPorts)}`);
  return { bucket, timeoutSeconds, hostTimeoutSeconds, defaultPorts };
}

export type Lookup = (name: string, opts: { all: true; verbatim: true }) => Promise<LookupAddress[]>;

/**
 * The addresses nmap scans for a validated target. A host name is resolved here, not by nmap, so every
 * address is checked before a packet is sent: a name pointing at a never-scanned block (e.g. the link-local
 * metadata endpoint) or at more addresses than a /20 is refused. nmap cannot mix families in one run, so
 * a name's IPv4 addresses are scanned, or its IPv6 addresses when it has no IPv4 one.
 */
export async function resolveTarget(t: ValidTarget, lookup: Lookup = dnsLookup): Promise<ScanTargets> {
  if (t.type !== "hostname") return literalTargets(t);
  let found: LookupAddress[];
  try {
    found = await lookup(t.target, { all: true, verbatim: true });
  } catch (e) {
    throw new ResolveError(`cannot resolve ${JSON.stringify(t.target)}: ${(e as Error).message}`);
  }
  const v4 = found.filter((a) => a.family === 4).map((a) => a.address);
  const ipv6 = v4.length === 0;
  const all = [...new Set(ipv6 ? found.filter((a) => a.family === 6).map((a) => a.address) : v4)];
  if (all.length === 0) throw new ResolveError(`${JSON.stringify(t.target)} has no addresses`);
  if (all.length > MAX_TARGET_ADDRESSES)
    throw new InvalidTargetError(
      t.target,
      `resolves to ${all.length} addresses; at most ${MAX_TARGET_ADDRESSES}`,
    );
  for (const a of all) {
    try {
      validateScanAddress(a);
    } catch (e) {
      throw new InvalidTargetError(t.target, `resolves to ${a}: ${(e as Error).message}`);
    }
  }
  return { targets: all, ipv6, cidr: false, hostname: t.target };
}

/** The target's name did not resolve (may be transient: DNS can fail, records can be added later). */
export class ResolveError extends Error {
  override name = "ResolveError";
}

/** The raw result could not be stored: the scan ran, but its report is lost with the task. */
export class UploadFailedError extends Error {
  override name = "UploadFailedError";
}

/** The task was told to stop (SIGTERM from ECS or the local run, SIGINT from a terminal). */
export class ScanStoppedError extends Error {
  override name = "ScanStoppedError";
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal}: nmap was killed and its working directory removed`);
  }
}

export interface RunNmapOptions {
  /** nmap executable (default: `nmap` on PATH). */
  readonly nmapPath?: string;
  readonly timeoutMs: number;
  /** Grace period between SIGTERM and SIGKILL. */
  readonly killAfterMs?: number;
  /** Aborting it stops nmap (its whole process group) and rejects with the abort reason. */
  readonly signal?: AbortSignal;
  /** Told nmap's pid once it started (tests and logs). */
  readonly onStart?: (pid: number) => void;
}

export class NmapFailedError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "NmapFailedError";
  }
}

const STDERR_KEEP = 8 * 1024;

/** Signal a whole process group; it may already be gone. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has exited already.
  }
}

/** Run nmap with an argument vector (`shell: false`), bounded in time; resolves when it exits 0. */
export function runNmap(args: readonly string[], opts: RunNmapOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    // Its own process group, so stopping it reaches anything it started, and a terminal's Ctrl-C
    // reaches the entrypoint first, which then stops nmap and cleans up.
    const child = spawn(opts.nmapPath ?? "nmap", args, {
      shell: false,
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (child.pid !== undefined) opts.onStart?.(child.pid);
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
    });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup(child.pid, "SIGTERM");
      killTimer ??= setTimeout(() => killGroup(child.pid, "SIGKILL"), opts.killAfterMs ?? 10_000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    opts.signal?.addEventListener("abort", stop, { once: true });
    const done = () => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener("abort", stop);
    };
    child.on("error", (e) => {
      done();
      reject(new NmapFailedError(`cannot start nmap: ${e.message}`, stderr));
    });
    child.on("close", (code, signal) => {
      done();
      if (opts.signal?.aborted) reject(opts.signal.reason);
      else if (timedOut)
        reject(new NmapFailedError(`nmap exceeded its ${opts.timeoutMs} ms budget and was killed`, stderr));
      else if (code !== 0)
        reject(
          new NmapFailedError(
            `nmap exited with ${signal ?? `code ${code}`}: ${stderr.trim().slice(-1024)}`,
            stderr,
          ),
        );
      else resolve();
    });
  });
}

export interface ScanResult {
  readonly key: string;
  readonly bytes: number;
  readonly startTime: Date;
  readonly endTime: Date;
}

export interface ScanDeps {
  readonly nmapPath?: string;
  readonly s3?: S3Client;
  readonly now?: () => Date;
  readonly lookup?: Lookup;
  /** Aborted (with a ScanStoppedError) when the task is told to stop. */
  readonly signal?: AbortSignal;
  /** Told the working directory and the resolved targets once known (logs and tests). */
  readonly onScanStart?: (info: { dir: string; targets: ScanTargets; pid: number }) => void;
}

/** Validate, resolve, scan, store. Nothing is uploaded unless nmap finished and wrote a complete report. */
export async function scan(config: EntrypointConfig, deps: ScanDeps = {}): Promise<ScanResult> {
  const now = deps.now ?? (() => new Date());
  const targets = await resolveTarget(validateTarget(config.request.target), deps.lookup);
  const dir = await mkdtemp(join(tmpdir(), "nmap-"));
  try {
    const xmlOut = join(dir, "result.xml");
    const args = nmapArgs(targets, {
      ports: config.request.ports ?? config.defaultPorts,
      xmlOut,
      hostTimeoutSeconds: config.hostTimeoutSeconds,
    });
    const startTime = now();
    await runNmap(args, {
      nmapPath: deps.nmapPath,
      timeoutMs: config.timeoutSeconds * 1000,
      signal: deps.signal,
      onStart: (pid) => deps.onScanStart?.({ dir, targets, pid }),
    });
    const endTime = now();
    const body = await readFile(xmlOut);
    // nmap closes the root element only when the run completes: anything else is a truncated report.
    if (!body.subarray(-256).toString("utf8").includes("</nmaprun>")) {
      throw new NmapFailedError("nmap exited without completing its XML report", "");
    }
    let key: string;
    try {
      key = await putRawResult({
        bucket: config.bucket,
        task: NMAP_TASK,
        scanId: config.scanId,
        request: config.request,
        output: { body, extension: "xml", contentType: "application/xml", startTime, endTime },
        s3: deps.s3,
      });
    } catch (e) {
      const err = e as Error;
      throw new UploadFailedError(
        `raw result upload to s3://${config.bucket} failed: ${err.name}: ${err.message}`,
        { cause: e },
      );
    }
    return { key, bytes: body.length, startTime, endTime };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Exit codes, so a stopped task's record (ECS Task State Change → dead letter) says which way it failed
 * without its logs: 2 the request can never run, 3 the scan ran but its upload failed, 4 nmap failed,
 * 5 the target did not resolve, 128 + signal number when told to stop; 1 anything else.
 */
export const ExitCode = {
  ok: 0,
  error: 1,
  invalidRequest: 2,
  uploadFailed: 3,
  nmapFailed: 4,
  unresolved: 5,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

function exitCodeOf(e: unknown): { code: number; reason: string } {
  if (e instanceof ScanStoppedError)
    return { code: ExitCode[e.signal as "SIGTERM" | "SIGINT"] ?? 1, reason: "stopped" };
  if (e instanceof InvalidTargetError) return { code: ExitCode.invalidRequest, reason: "invalid-target" };
  if (e instanceof MalformedJsonError || e instanceof SchemaError)
    return { code: ExitCode.invalidRequest, reason: "malformed" };
  if (e instanceof UploadFailedError) return { code: ExitCode.uploadFailed, reason: "upload-failed" };
  if (e instanceof NmapFailedError) return { code: ExitCode.nmapFailed, reason: "nmap-failed" };
  if (e instanceof ResolveError) return { code: ExitCode.unresolved, reason: "unresolved" };
  return { code: ExitCode.error, reason: "error" };
}

/** One JSON log line (CloudWatch Logs via the awslogs driver). */
export function log(level: "INFO" | "ERROR", message: string, extra: Record<string, unknown> = {}): void {
  const line = JSON.stringify({
    level,
    message,
    task: NMAP_TASK,
    timestamp: new Date().toISOString(),
    ...extra,
  });
  (level === "ERROR" ? process.stderr : process.stdout).write(line + "\n");
}

export interface MainOptions {
  /** Install SIGTERM/SIGINT handlers that stop the scan (the container's main does; in-process tests do not). */
  readonly handleSignals?: boolean;
}

/** The container's main: returns the process exit code (non-zero marks the ECS task as failed). */
export async function main(
  env: NodeJS.ProcessEnv = process.env,
  deps: BatchDeps = {},
  opts: MainOptions = {},
): Promise<number> {
  const stopper = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    log("ERROR", `received ${signal}: stopping nmap`, { scanId: env[Env.scanRequestId] });
    stopper.abort(new ScanStoppedError(signal));
  };
  const signals: NodeJS.Signals[] = opts.handleSignals ? ["SIGTERM", "SIGINT"] : [];
  for (const s of signals) process.on(s, onSignal);
  try {
    if (env[Env.scanRequests] !== undefined)
      return await mainBatch(env, { ...deps, signal: deps.signal ?? stopper.signal });
    const config = configFromEnv(env);
    log("INFO", "nmap scan starting", { scanId: config.scanId, target: config.request.target });
    const result = await scan(config, {
      ...deps,
      signal: deps.signal ?? stopper.signal,
      onScanStart: (info) => {
        log("INFO", "nmap running", {
          scanId: config.scanId,
          addresses: info.targets.targets.length,
          pid: info.pid,
          dir: info.dir,
        });
        deps.onScanStart?.(info);
      },
    });
    log("INFO", "nmap scan stored", { scanId: config.scanId, key: result.key, bytes: result.bytes });
    return ExitCode.ok;
  } catch (e) {
    const err = e as Error;
    const { code, reason } = exitCodeOf(e);
    // One line naming the reason: the task-stopped dead letter carries only the exit code and ECS's reason.
    log("ERROR", err.message, { error: err.name, reason, exitCode: code, scanId: env[Env.scanRequestId] });
    return code;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}

/**
 * Several targets: each stored or dead-lettered on its own. Exit 0 when every request was accounted
 * for; otherwise the exit code of the first unaccounted failure, so the task stops abnormally and the
 * task-stop handler dead-letters each request whose result is not stored.
 */
async function mainBatch(env: NodeJS.ProcessEnv, deps: BatchDeps): Promise<number> {
  const config = batchConfigFromEnv(env);
  log("INFO", "nmap batch starting", { scanIds: config.entries.map((e) => e.scanId) });
  const outcomes = await scanBatch(config, scan, deps, exitCodeOf);
  let exit: number = ExitCode.ok;
  for (const o of outcomes) {
    if (o.stored) {
      log("INFO", "nmap scan stored", { scanId: o.scanId, key: o.stored.key, bytes: o.stored.bytes });
      continue;
    }
    const { code, reason } = exitCodeOf(o.error);
    log("ERROR", o.error!.message, {
      error: o.error!.name,
      reason,
      scanId: o.scanId,
      deadLettered: o.deadLettered ?? false,
    });
    if (!o.deadLettered && exit === ExitCode.ok) exit = code;
  }
  return exit;
}
