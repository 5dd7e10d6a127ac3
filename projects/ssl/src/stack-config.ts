/**
 * Stack configuration of sec-an-ssl, validated before any resource is registered so a bad value fails
 * `pulumi preview` at once, naming the key.
 */
import { MAX_CASCADE_DEPTH } from "@sec-an/contracts";
import {
  ConfigError,
  Type,
  readStackConfig,
  stackConfigSchema,
  type ConfigLike,
  type StackConfig,
} from "@sec-an/components/config";

/** An ARN of one AWS service, e.g. the ports topic (`sns`). */
const arn = (service: string) =>
  Type.Optional(
    Type.String({
      pattern: `^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_./:-]+$`,
      errorMessage: `expected an ${service} ARN`,
    }),
  );

export const configSchema = stackConfigSchema({
  /** Scan Lambda timeout (s); must cover the protocol probes plus every host-name round. */
  scanTimeout: Type.Integer({ minimum: 10, maximum: 900, default: 60 }),
  /** Bound on each TLS handshake (ms). */
  handshakeTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000 }),
  /** Host names checked per scan at most. */
  maxHostnames: Type.Integer({ minimum: 1, maximum: 100, default: 16 }),
  /** Port-detected events deeper than this are not subscribed to. */
  maxCascadeDepth: Type.Integer({ minimum: 1, maximum: MAX_CASCADE_DEPTH, default: MAX_CASCADE_DEPTH }),
  /** Create the indices and Dashboards objects (needs analytics-platform). */
  views: Type.Boolean({ default: true }),
  forceDestroy: Type.Boolean({ default: false }),
  /** Overrides of values otherwise read from other stacks' SSM exports at deploy time. */
  portsTopicArn: arn("sns"),
  resolvedAddressesTableArn: arn("dynamodb"),
  ingestQueueArn: arn("sqs"),
  adminFunctionName: Type.Optional(
    Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$", errorMessage: "expected a Lambda function name" }),
  ),
});

export type SslConfig = StackConfig<typeof configSchema>;

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

/** Worst-case scan time (s): one round of protocol probes, then the host names `CONCURRENCY` at a time. */
export function worstCaseScanSeconds(handshakeTimeoutMs: number, maxHostnames: number): number {
  return Math.ceil(((1 + Math.ceil(maxHostnames / CONCURRENCY)) * handshakeTimeoutMs) / 1000) + 5;
}

export function parseConfig(cfg: ConfigLike, stack: string): SslConfig {
  const c = readStackConfig(cfg, NAMESPACE, configSchema, stack);
  const needed = worstCaseScanSeconds(c.handshakeTimeoutMs, c.maxHostnames);
  if (c.scanTimeout < needed) {
    throw new SslConfigError(
      "scanTimeout",
      `${c.scanTimeout}s cannot cover ${c.maxHostnames} host names at ${c.handshakeTimeoutMs} ms per handshake: set at least ${needed}`,
    );
  }
  return c;
}
