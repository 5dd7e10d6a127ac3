/**
 * Stack configuration of sec-an-task-execution, validated before any resource is registered so a bad
 * value fails `pulumi preview` at once, naming the key.
 */
import type { Deployment } from "@sec-an/contracts";
import { readDeployment, type ConfigLike } from "@sec-an/components";
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
const key = (k: string) => `${PROJECT}:${k}`;

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(key(e.key), e.message.slice(e.key.length + 2));
    throw e;
  }
}

function bool(k: string, raw: string | undefined, dflt: boolean): boolean {
  if (raw === undefined) return dflt;
  if (raw !== "true" && raw !== "false")
    throw new ConfigError(k, `expected true or false, got ${JSON.stringify(raw)}`);
  return raw === "true";
}

export function parseConfig(cfg: ConfigLike, stack: string): TaskExecutionConfig {
  return wrap(() => {
    const deployment = readDeployment(cfg, stack);
    const role = cfg.get("route53RoleArn");
    if (!role)
      throw new ConfigError(
        "route53RoleArn",
        "required: the ARN of the read-only Route53 role to assume (it may be in another account)",
      );
    const scheduler = parseSchedulerSettings({
      period: cfg.get("period"),
      buckets: cfg.get("buckets"),
      rateLimit: cfg.get("rateLimit"),
      logUnhandled: cfg.get("logUnhandled"),
    });
    const tz = cfg.get("ingestTimezone") ?? "UTC";
    if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(tz))
      throw new ConfigError(
        "ingestTimezone",
        `expected an IANA time zone such as Europe/London, got ${JSON.stringify(tz)}`,
      );
    let servers: string[] = [];
    const rawServers = cfg.get("dnsServers");
    if (rawServers) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawServers);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) {
        throw new ConfigError("dnsServers", 'expected a list of addresses, e.g. ["10.0.0.2"]');
      }
      servers = checkDnsServers("dnsServers", parsed);
    }
    return {
      deployment,
      route53RoleArn: checkRoleArn("route53RoleArn", role),
      scheduler,
      // Each stage picks its own time, so environments do not all hit Route53 at once.
      ingestSchedule: dailyCron("ingestTime", cfg.get("ingestTime") ?? "03:00"),
      ingestTimezone: tz,
      dnsServers: servers,
      views: bool("views", cfg.get("views"), true),
    };
  });
}
