import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { Env, NMAP_TASK, NmapEnv, ScanRequest, parseJson } from "@sec-an/contracts";
import { putRawResult } from "@sec-an/runtime";
import { validateTarget } from "../targets";
import { nmapArgs } from "./args";

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
}

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
  const bucket = env[Env.resultsBucket];
  if (!raw) throw new Error(`${Env.scanRequest} is not set`);
  if (!scanId) throw new Error(`${Env.scanRequestId} is not set`);
  if (!bucket) throw new Error(`${Env.resultsBucket} is not set`);
  const request = parseJson(ScanRequest, raw, Env.scanRequest);
  const timeoutSeconds = positiveInt(env, NmapEnv.timeoutSeconds, DEFAULT_TIMEOUT_SECONDS);
  const hostTimeoutSeconds = Math.min(
    positiveInt(env, NmapEnv.hostTimeoutSeconds, DEFAULT_HOST_TIMEOUT_SECONDS),
    timeoutSeconds,
  );
  return { request, scanId, bucket, timeoutSeconds, hostTimeoutSeconds };
}

export interface RunNmapOptions {
  /** nmap executable (default: `nmap` on PATH). */
  readonly nmapPath?: string;
  readonly timeoutMs: number;
  /** Grace period between SIGTERM and SIGKILL. */
  readonly killAfterMs?: number;
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

/** Run nmap with an argument vector (`shell: false`), bounded in time; resolves when it exits 0. */
export function runNmap(args: readonly string[], opts: RunNmapOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.nmapPath ?? "nmap", args, { shell: false, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
    });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), opts.killAfterMs ?? 10_000);
    }, opts.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      reject(new NmapFailedError(`cannot start nmap: ${e.message}`, stderr));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (timedOut)
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
}

/** Validate, scan, store. Nothing is uploaded unless nmap finished and wrote a complete report. */
export async function scan(config: EntrypointConfig, deps: ScanDeps = {}): Promise<ScanResult> {
  const now = deps.now ?? (() => new Date());
  const target = validateTarget(config.request.target);
  const dir = await mkdtemp(join(tmpdir(), "nmap-"));
  try {
    const xmlOut = join(dir, "result.xml");
    const args = nmapArgs(target, {
      ports: config.request.ports,
      xmlOut,
      hostTimeoutSeconds: config.hostTimeoutSeconds,
    });
    const startTime = now();
    await runNmap(args, { nmapPath: deps.nmapPath, timeoutMs: config.timeoutSeconds * 1000 });
    const endTime = now();
    const body = await readFile(xmlOut);
    // nmap closes the root element only when the run completes: anything else is a truncated report.
    if (!body.subarray(-256).toString("utf8").includes("</nmaprun>")) {
      throw new NmapFailedError("nmap exited without completing its XML report", "");
    }
    const key = await putRawResult({
      bucket: config.bucket,
      task: NMAP_TASK,
      scanId: config.scanId,
      request: config.request,
      output: { body, extension: "xml", contentType: "application/xml", startTime, endTime },
      s3: deps.s3,
    });
    return { key, bytes: body.length, startTime, endTime };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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

/** The container's main: returns the process exit code (non-zero marks the ECS task as failed). */
export async function main(env: NodeJS.ProcessEnv = process.env, deps: ScanDeps = {}): Promise<number> {
  try {
    const config = configFromEnv(env);
    log("INFO", "nmap scan starting", { scanId: config.scanId, target: config.request.target });
    const result = await scan(config, deps);
    log("INFO", "nmap scan stored", { scanId: config.scanId, key: result.key, bytes: result.bytes });
    return 0;
  } catch (e) {
    const err = e as Error;
    log("ERROR", err.message, { error: err.name, scanId: env[Env.scanRequestId] });
    return 1;
  }
}
