/**
 * Stack configuration of sec-an-ssl, validated before any resource is registered so a bad value fails
 * `pulumi preview` at once, naming the key.
 */
import { MAX_CASCADE_DEPTH, type Deployment } from "@sec-an/contracts";
import { readDeployment, type ConfigLike } from "@sec-an/components";
import { ConfigError, configReader } from "@sec-an/components";

export interface SslConfig {
  readonly deployment: Deployment;
  /** Scan Lambda timeout (s); must cover the protocol probes plus every host-name round. */
  readonly scanTimeout: number;
  /** Bound on each TLS handshake (ms). */
  readonly handshakeTimeoutMs: number;
  /** Host names checked per scan at most. */
  readonly maxHostnames: number;
  /** Port-detected events deeper than this are not subscribed to. */
  readonly maxCascadeDepth: number;
  /** Create the indices and Dashboards objects (needs analytics-platform). */
  readonly views: boolean;
  readonly forceDestroy: boolean;
  /** Overrides of values otherwise read from other stacks' SSM exports at deploy time. */
  readonly portsTopicArn?: string;
  readonly resolvedAddressesTableArn?: string;
  readonly ingestQueueArn?: string;
  readonly adminFunctionName?: string;
}

/** Handshakes in flight per scan (scanner default). */
const CONCURRENCY = 4;

const NAMESPACE = "sec-an-ssl";

/** A bad value for a key of this project's config (the shared check, this project's namespace). */
export class SslConfigError extends ConfigError {
  constructor(key: string, reason: string) {
    super(NAMESPACE, key, reason);
    this.name = "SslConfigError";
  }
}

const int = (cfg: ConfigLike, key: string, def: number, min: number, max: number) =>
  configReader(cfg, NAMESPACE).int(key, def, min, max);
const bool = (cfg: ConfigLike, key: string, def: boolean) => configReader(cfg, NAMESPACE).bool(key, def);

function arn(cfg: ConfigLike, key: string, service: string): string | undefined {
  const raw = cfg.get(key);
  if (raw === undefined) return undefined;
  if (!new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_./:-]+$`).test(raw))
    throw new SslConfigError(key, `expected an ${service} ARN, got ${JSON.stringify(raw)}`);
  return raw;
}

/** Worst-case scan time (s): one round of protocol probes, then the host names `CONCURRENCY` at a time. */
export function worstCaseScanSeconds(handshakeTimeoutMs: number, maxHostnames: number): number {
  return Math.ceil(((1 + Math.ceil(maxHostnames / CONCURRENCY)) * handshakeTimeoutMs) / 1000) + 5;
}

export function parseConfig(cfg: ConfigLike, stack: string): SslConfig {
  const deployment = readDeployment(cfg, stack);
  const handshakeTimeoutMs = int(cfg, "handshakeTimeoutMs", 5000, 100, 60_000);
  const maxHostnames = int(cfg, "maxHostnames", 16, 1, 100);
  const scanTimeout = int(cfg, "scanTimeout", 60, 10, 900);
  const needed = worstCaseScanSeconds(handshakeTimeoutMs, maxHostnames);
  if (scanTimeout < needed) {
    throw new SslConfigError(
      "scanTimeout",
      `${scanTimeout}s cannot cover ${maxHostnames} host names at ${handshakeTimeoutMs} ms per handshake: set at least ${needed}`,
    );
  }
  const adminFunctionName = cfg.get("adminFunctionName");
  if (adminFunctionName !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(adminFunctionName))
    throw new SslConfigError("adminFunctionName", "expected a Lambda function name");
  return {
    deployment,
    scanTimeout,
    handshakeTimeoutMs,
    maxHostnames,
    maxCascadeDepth: int(cfg, "maxCascadeDepth", MAX_CASCADE_DEPTH, 1, MAX_CASCADE_DEPTH),
    views: bool(cfg, "views", true),
    forceDestroy: bool(cfg, "forceDestroy", false),
    portsTopicArn: arn(cfg, "portsTopicArn", "sns"),
    resolvedAddressesTableArn: arn(cfg, "resolvedAddressesTableArn", "dynamodb"),
    ingestQueueArn: arn(cfg, "ingestQueueArn", "sqs"),
    adminFunctionName,
  };
}
