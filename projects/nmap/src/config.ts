/**
 * Stack configuration of sec-an-nmap (namespace `sec-an-nmap:`), validated before any resource is
 * registered so a bad value fails `pulumi preview` naming the key. See stacks/nmap/README.md.
 */
import { readDeployment, type ConfigLike } from "@sec-an/components";
import type { Deployment } from "@sec-an/contracts";
import { ConfigError as SharedConfigError, configReader } from "@sec-an/components";

export interface NmapConfig {
  deployment: Deployment;
  /** Fargate size of one scan. */
  cpu: number;
  memory: number;
  /** A prebuilt image URI (CI builds and pushes it); otherwise the deploy builds container/ with awsx. */
  image?: string;
  /** Whole-scan and per-host budgets passed to the container. */
  timeoutSeconds: number;
  hostTimeoutSeconds: number;
  /** Results-parser Lambda (big reports need memory more than time). */
  parseTimeoutSeconds: number;
  parseMemory: number;
  /** Days raw XML is kept (re-ingestion reads it); 0 keeps it forever. */
  rawExpireDays: number;
  /** Create the OpenSearch indices and Dashboards views (needs the analytics platform). */
  views: boolean;
  forceDestroy: boolean;
}

const NAMESPACE = "sec-an-nmap";

/** A bad value for a key of this project's config (the shared check, this project's namespace). */
export class ConfigError extends SharedConfigError {
  constructor(key: string, reason: string) {
    super(NAMESPACE, key, reason);
    this.name = "ConfigError";
  }
}

const int = (cfg: ConfigLike, key: string, def: number, min: number, max: number) =>
  configReader(cfg, NAMESPACE).int(key, def, min, max);
const bool = (cfg: ConfigLike, key: string, def: boolean) => configReader(cfg, NAMESPACE).bool(key, def);

export function parseConfig(cfg: ConfigLike, stack: string): NmapConfig {
  const image = cfg.get("image");
  if (
    image !== undefined &&
    !/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/.test(image)
  ) {
    throw new ConfigError(
      "image",
      `must be a full image reference with a tag or digest, got ${JSON.stringify(image)}`,
    );
  }
  const timeoutSeconds = int(cfg, "timeoutSeconds", 4 * 3600, 60, 24 * 3600);
  return {
    deployment: readDeployment(cfg, stack),
    cpu: int(cfg, "cpu", 1024, 256, 16384),
    memory: int(cfg, "memory", 2048, 512, 122880),
    ...(image ? { image } : {}),
    timeoutSeconds,
    hostTimeoutSeconds: int(cfg, "hostTimeoutSeconds", Math.min(3600, timeoutSeconds), 30, timeoutSeconds),
    parseTimeoutSeconds: int(cfg, "parseTimeoutSeconds", 300, 10, 900),
    parseMemory: int(cfg, "parseMemory", 1024, 256, 10240),
    rawExpireDays: int(cfg, "rawExpireDays", 365, 0, 3650),
    views: bool(cfg, "views", true),
    forceDestroy: bool(cfg, "forceDestroy", false),
  };
}
