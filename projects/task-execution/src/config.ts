import { Limits, SchedulerDefaults } from "@sec-an/contracts";
import { checkPlannerConfig } from "./plan/planner";

/** The initiator runs every 15 minutes and queues what falls due before its next run. */
export const INITIATOR_INTERVAL_SECONDS = 15 * 60;
// A plan more than DelaySeconds' maximum ahead could not be delayed to its time.
if (INITIATOR_INTERVAL_SECONDS > Limits.maxDelaySeconds)
  throw new Error("initiator interval exceeds the SQS delay maximum");

/** Scheduler settings shared by the program (stack config) and the handlers (SSM, read late). */
export interface SchedulerSettings {
  readonly period: number;
  readonly buckets: number;
  /** Route53 requests per second the ingestor may make. */
  readonly rateLimit: number;
  readonly logUnhandled: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = "ConfigError";
  }
}

/** Raw string values as they come from stack config or SSM (undefined = use the default). */
export interface RawSchedulerSettings {
  readonly period?: string;
  readonly buckets?: string;
  readonly rateLimit?: string;
  readonly logUnhandled?: string;
}

function int(key: string, raw: string | undefined, dflt: number): number {
  if (raw === undefined || raw === "") return dflt;
  if (!/^\d+$/.test(raw.trim()))
    throw new ConfigError(key, `expected a positive whole number, got ${JSON.stringify(raw)}`);
  return Number(raw.trim());
}

/** Validate scheduler settings; errors name the offending key (`keyName` maps a field to its config/SSM name). */
export function parseSchedulerSettings(
  raw: RawSchedulerSettings,
  keyName: (field: keyof RawSchedulerSettings) => string = (f) => f,
): SchedulerSettings {
  const period = int(keyName("period"), raw.period, SchedulerDefaults.period);
  const buckets = int(keyName("buckets"), raw.buckets, SchedulerDefaults.buckets);
  try {
    checkPlannerConfig({ start: 0, period, buckets });
  } catch (e) {
    throw new ConfigError(`${keyName("period")}/${keyName("buckets")}`, (e as Error).message);
  }
  const rateRaw = raw.rateLimit?.trim();
  const rateLimit = rateRaw ? Number(rateRaw) : SchedulerDefaults.route53RequestsPerSecond;
  if (
    !Number.isFinite(rateLimit) ||
    rateLimit <= 0 ||
    rateLimit > SchedulerDefaults.route53RequestsPerSecond
  ) {
    throw new ConfigError(
      keyName("rateLimit"),
      `expected requests per second in (0, 5] (Route53's account limit is 5), got ${JSON.stringify(raw.rateLimit)}`,
    );
  }
  const lu = raw.logUnhandled?.trim().toLowerCase();
  if (lu !== undefined && lu !== "" && lu !== "true" && lu !== "false") {
    throw new ConfigError(
      keyName("logUnhandled"),
      `expected true or false, got ${JSON.stringify(raw.logUnhandled)}`,
    );
  }
  return { period, buckets, rateLimit, logUnhandled: lu === "true" };
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
export function checkRoleArn(key: string, value: string): string {
  if (!ROLE_ARN.test(value))
    throw new ConfigError(
      key,
      `expected an IAM role ARN (arn:aws:iam::<account>:role/<name>), got ${JSON.stringify(value)}`,
    );
  return value;
}

/** `HH:MM` (24 h) → EventBridge Scheduler cron expression for once a day at that time. */
export function dailyCron(key: string, time: string): string {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time.trim());
  if (!m) throw new ConfigError(key, `expected a time of day HH:MM (24-hour), got ${JSON.stringify(time)}`);
  return `cron(${Number(m[2])} ${Number(m[1])} * * ? *)`;
}

/** `ip` or `ip:port` / `[ipv6]:port` list for the ingestor's resolver. */
export function checkDnsServers(key: string, servers: readonly string[]): string[] {
  const ok = /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/;
  for (const s of servers)
    if (!ok.test(s)) throw new ConfigError(key, `not a DNS server address: ${JSON.stringify(s)}`);
  return [...servers];
}
