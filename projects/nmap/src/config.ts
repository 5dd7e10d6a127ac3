/**
 * Stack configuration of sec-an-nmap (namespace `sec-an-nmap:`): one schema with its defaults, checked
 * before any resource is registered so a bad value fails `pulumi preview` naming the key. See
 * stacks/nmap/Pulumi.dev.yaml.
 */
import {
  ConfigError as SharedConfigError,
  Type,
  readStackConfig,
  stackConfigSchema,
  type ConfigLike,
  type StackConfig,
} from "@sec-an/components/config";
import { TaskBatch } from "@sec-an/contracts";

const NAMESPACE = "sec-an-nmap";
const int = (minimum: number, maximum: number, def?: number) =>
  Type.Integer({ minimum, maximum, ...(def === undefined ? {} : { default: def }) });

export const configSchema = stackConfigSchema({
  /** A prebuilt image URI (CI builds and pushes it); otherwise the deploy builds container/ with awsx. */
  image: Type.Optional(
    Type.String({
      pattern: "^[a-z0-9.-]+(:\\d+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$",
      errorMessage: "must be a full image reference with a tag or digest",
    }),
  ),
  /** Fargate size of one scan. */
  cpu: int(256, 16384, 1024),
  memory: int(512, 122880, 2048),
  /** Whole-scan budget passed to the container; nmap is killed and the task fails after it. */
  timeoutSeconds: int(60, 24 * 3600, 4 * 3600),
  /** nmap --host-timeout; defaults to min(3600, timeoutSeconds), and may not exceed it. */
  hostTimeoutSeconds: Type.Optional(int(30, 24 * 3600)),
  /** Results-parser Lambda (big reports need memory more than time). */
  parseTimeoutSeconds: int(10, 900, 300),
  parseMemory: int(256, 10240, 1024),
  /** Days raw XML is kept; 0 (default) keeps it forever, archived (re-ingestion reads it). */
  rawExpireDays: int(0, 3650, 0),
  /**
   * `privileged`: SYN scan and OS detection through the image's file capabilities on nmap (non-root);
   * `unprivileged`: a TCP connect scan, for hosts without NET_RAW (or a local run without it).
   */
  scanMode: Type.Union([Type.Literal("privileged"), Type.Literal("unprivileged")], { default: "privileged" }),
  /**
   * Targets one Fargate task scans (1 = one task per address). Above 1 the launcher groups requests
   * that arrive together, and the task runs up to TaskBatch.scansAtOnce nmap processes at once.
   */
  targetsPerTask: int(1, TaskBatch.maxTargets, 1),
  /** Create the OpenSearch indices and Dashboards views (needs the analytics platform). */
  views: Type.Boolean({ default: true }),
  forceDestroy: Type.Boolean({ default: false }),
});

export type NmapConfig = Omit<StackConfig<typeof configSchema>, "hostTimeoutSeconds"> & {
  readonly hostTimeoutSeconds: number;
};

/** A bad value for a key of this project's config (the shared check, this project's namespace). */
export class ConfigError extends SharedConfigError {
  constructor(key: string, reason: string) {
    super(NAMESPACE, key, reason);
    this.name = "ConfigError";
  }
}

export function parseConfig(cfg: ConfigLike, stack: string): NmapConfig {
  const c = readStackConfig(cfg, NAMESPACE, configSchema, stack);
  const hostTimeoutSeconds = c.hostTimeoutSeconds ?? Math.min(3600, c.timeoutSeconds);
  if (hostTimeoutSeconds > c.timeoutSeconds)
    throw new ConfigError(
      "hostTimeoutSeconds",
      `must not exceed timeoutSeconds (${c.timeoutSeconds}), got ${JSON.stringify(cfg.get("hostTimeoutSeconds"))}`,
    );
  return { ...c, hostTimeoutSeconds };
}
