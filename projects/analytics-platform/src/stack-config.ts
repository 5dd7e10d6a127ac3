/**
 * Stack configuration of sec-an-analytics-platform, validated before any resource is registered so a
 * bad value fails `pulumi preview` at once, naming the key.
 */
import { readDeployment, type ConfigLike } from "@sec-an/components";
import type { Deployment } from "@sec-an/contracts";
import { ConfigError as SharedConfigError, configReader } from "@sec-an/components";

export interface AnalyticsConfig {
  readonly deployment: Deployment;
  /** OpenSearch engine, e.g. "OpenSearch_2.19". */
  readonly engineVersion: string;
  /** Data node instance type, e.g. "t3.small.search" (dev) or "r7g.large.search". */
  readonly instanceType: string;
  readonly instanceCount: number;
  /** Availability zones the nodes spread over (1..3); the instance count must be a multiple of it. */
  readonly zoneCount: number;
  /** EBS gp3 volume per node, GiB. */
  readonly volumeSize: number;
  /** IAM role that is the FGAC master user; default the admin Lambda's role. */
  readonly masterUserArn?: string;
  /** Messages per ingestor invocation (1..10) and how long to gather them (s). */
  readonly ingestBatchSize: number;
  readonly ingestBatchWindow: number;
  /** Days OpenSearch logs are kept. */
  readonly logRetentionDays: number;
}

const NAMESPACE = "sec-an-analytics-platform";

/** A bad value for a key of this project's config (the shared check, this project's namespace). */
export class ConfigError extends SharedConfigError {
  constructor(key: string, reason: string) {
    super(NAMESPACE, key, reason);
    this.name = "ConfigError";
  }
}

const int = (cfg: ConfigLike, key: string, def: number, min: number, max: number) =>
  configReader(cfg, NAMESPACE).int(key, def, min, max);

const LOG_RETENTION = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export function parseConfig(cfg: ConfigLike, stack: string): AnalyticsConfig {
  const deployment = readDeployment(cfg, stack);
  const engineVersion = cfg.get("engineVersion") ?? "OpenSearch_2.19";
  const m = /^OpenSearch_(\d+)\.(\d+)$/.exec(engineVersion);
  if (!m || Number(m[1]) < 2 || (Number(m[1]) === 2 && Number(m[2]) < 11)) {
    throw new ConfigError(
      "engineVersion",
      `expected OpenSearch_2.11 or newer (e.g. OpenSearch_2.19), got ${JSON.stringify(engineVersion)}`,
    );
  }
  const instanceType = cfg.get("instanceType") ?? "t3.small.search";
  if (!/^[a-z][a-z0-9]*\.[a-z0-9]+\.search$/.test(instanceType))
    throw new ConfigError(
      "instanceType",
      `expected an OpenSearch instance type such as r7g.large.search, got ${JSON.stringify(instanceType)}`,
    );
  const instanceCount = int(cfg, "instanceCount", 1, 1, 80);
  const zoneCount = int(cfg, "zoneCount", instanceCount > 1 ? 2 : 1, 1, 3);
  if (instanceCount % zoneCount !== 0)
    throw new ConfigError(
      "instanceCount",
      `${instanceCount} nodes cannot spread evenly over ${zoneCount} zones`,
    );
  const masterUserArn = cfg.get("masterUserArn");
  if (masterUserArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(masterUserArn)) {
    throw new ConfigError("masterUserArn", `expected an IAM role ARN, got ${JSON.stringify(masterUserArn)}`);
  }
  const batch = int(cfg, "ingestBatchSize", 10, 1, 10);
  const logRetentionDays = int(cfg, "logRetentionDays", 90, 1, 3653);
  if (!LOG_RETENTION.includes(logRetentionDays))
    throw new ConfigError("logRetentionDays", `CloudWatch accepts ${LOG_RETENTION.join(", ")}`);
  return {
    deployment,
    engineVersion,
    instanceType,
    instanceCount,
    zoneCount,
    volumeSize: int(cfg, "volumeSize", 10, 10, 16384),
    masterUserArn,
    ingestBatchSize: batch,
    ingestBatchWindow: int(cfg, "ingestBatchWindow", 5, 0, 300),
    logRetentionDays,
  };
}
