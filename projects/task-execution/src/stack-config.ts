/**
 * Stack configuration of sec-an-task-execution: one schema with its defaults, checked before any
 * resource is registered so a bad value fails `pulumi preview` at once, naming the key.
 */
import { SchedulerDefaults, type Deployment } from "@sec-an/contracts";
import { Type, readStackConfig, stackConfigSchema, type ConfigLike } from "@sec-an/components/config";
import {
  checkDnsServers,
  checkRoleArn,
  ConfigError,
  dailyCron,
  parseSchedulerSettings,
  type SchedulerSettings,
} from "./config";

export interface TaskExecutionConfig {
  readonly deployment: Deployment;
  /** Cross-account read-only Route53 role the ingestor assumes. */
  readonly route53RoleArn: string;
  readonly scheduler: SchedulerSettings;
  /** EventBridge Scheduler expression of the daily DNS ingest. */
  readonly ingestSchedule: string;
  /** IANA time zone the ingest time is in. */
  readonly ingestTimezone: string;
  /** DNS servers the ingestor resolves CNAMEs and aliases with (empty: the VPC/Lambda resolver). */
  readonly dnsServers: string[];
  /** Sync the DNS tables into OpenSearch with their dashboards (needs analytics-platform deployed). */
  readonly views: boolean;
}

const PROJECT = "sec-an-task-execution";
const whole = (def: number) =>
  Type.Integer({ minimum: 1, default: def, errorMessage: "expected a positive whole number" });
const bool = (def: boolean) => Type.Boolean({ default: def, errorMessage: "expected true or false" });

export const configSchema = stackConfigSchema({
  route53RoleArn: Type.String({
    description: "the ARN of the read-only Route53 role to assume (it may be in another account)",
  }),
  /** Every address is scanned once per period (s), spread over buckets. */
  period: whole(SchedulerDefaults.period),
  buckets: whole(SchedulerDefaults.buckets),
  /** Route53 requests per second, in (0, 5]. */
  rateLimit: Type.Number({
    exclusiveMinimum: 0,
    maximum: SchedulerDefaults.route53RequestsPerSecond,
    default: SchedulerDefaults.route53RequestsPerSecond,
    errorMessage: "expected requests per second in (0, 5] (Route53's account limit is 5)",
  }),
  logUnhandled: bool(false),
  /** Daily DNS ingest time (HH:MM, 24 h) in ingestTimezone. */
  ingestTime: Type.String({
    pattern: "^([01]?\\d|2[0-3]):[0-5]\\d$",
    default: "03:00",
    errorMessage: "expected a time of day HH:MM (24-hour)",
  }),
  ingestTimezone: Type.String({
    pattern: "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$",
    default: "UTC",
    errorMessage: "expected an IANA time zone such as Europe/London",
  }),
  dnsServers: Type.Array(Type.String(), {
    default: [],
    errorMessage: 'expected a list of addresses, e.g. ["10.0.0.2"]',
  }),
  views: bool(true),
});

/** This module's own checks throw the scheduler's ConfigError: name the key in full, like the reader. */
function full<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError)
      throw new ConfigError(`config ${PROJECT}:${e.key}`, e.message.slice(e.key.length + 2));
    throw e;
  }
}

export function parseConfig(cfg: ConfigLike, stack: string): TaskExecutionConfig {
  const c = readStackConfig(cfg, PROJECT, configSchema, stack);
  return full(() => ({
    deployment: c.deployment,
    route53RoleArn: checkRoleArn("route53RoleArn", c.route53RoleArn),
    // The same cross-field checks the handlers apply to the values they read late from SSM.
    scheduler: parseSchedulerSettings({
      period: String(c.period),
      buckets: String(c.buckets),
      rateLimit: String(c.rateLimit),
      logUnhandled: String(c.logUnhandled),
    }),
    // Each stage picks its own time, so environments do not all hit Route53 at once.
    ingestSchedule: dailyCron("ingestTime", c.ingestTime),
    ingestTimezone: c.ingestTimezone,
    dnsServers: checkDnsServers("dnsServers", c.dnsServers),
    views: c.views,
  }));
}
