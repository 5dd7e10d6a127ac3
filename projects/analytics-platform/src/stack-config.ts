/**
 * Stack configuration of sec-an-analytics-platform: one schema with its defaults, checked before any
 * resource is registered so a bad value fails `pulumi preview` at once, naming the key.
 */
import {
  ConfigError as SharedConfigError,
  Type,
  logRetentionDays,
  readStackConfig,
  stackConfigSchema,
  type ConfigLike,
  type StackConfig,
} from "@sec-an/components/config";

const NAMESPACE = "sec-an-analytics-platform";

export const configSchema = stackConfigSchema({
  /** OpenSearch engine, 2.11 or newer. */
  engineVersion: Type.String({
    pattern: "^OpenSearch_\\d+\\.\\d+$",
    default: "OpenSearch_2.19",
    errorMessage: "expected OpenSearch_2.11 or newer (e.g. OpenSearch_2.19)",
  }),
  /** Data node instance type, e.g. "t3.small.search" (dev) or "r7g.large.search". */
  instanceType: Type.String({
    pattern: "^[a-z][a-z0-9]*\\.[a-z0-9]+\\.search$",
    default: "t3.small.search",
    errorMessage: "expected an OpenSearch instance type such as r7g.large.search",
  }),
  instanceCount: Type.Integer({ minimum: 1, maximum: 80, default: 1 }),
  /** Availability zones the nodes spread over; default 2 for more than one node, else 1. */
  zoneCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })),
  /** EBS gp3 volume per node, GiB. */
  volumeSize: Type.Integer({ minimum: 10, maximum: 16384, default: 10 }),
  /** IAM role that is the FGAC master user; default the admin Lambda's role. */
  masterUserArn: Type.Optional(
    Type.String({
      pattern: "^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]+$",
      errorMessage: "expected an IAM role ARN",
    }),
  ),
  /** Messages per ingestor invocation and how long to gather them (s). */
  ingestBatchSize: Type.Integer({ minimum: 1, maximum: 10, default: 10 }),
  ingestBatchWindow: Type.Integer({ minimum: 0, maximum: 300, default: 5 }),
  /** Free storage (MiB) per node at or below which an alarm fires; default a quarter of `volumeSize`. */
  lowStorageAlarmMiB: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Days OpenSearch logs are kept: a CloudWatch retention period. */
  logRetentionDays: logRetentionDays(90),
  /** A public, Cognito-authenticated entry to Dashboards (off unless set); see docs/dashboards.md. */
  publicDashboards: Type.Optional(
    Type.Object(
      {
        /** DNS name people open; point it (CNAME/alias) at the load balancer. */
        domainName: Type.String({
          pattern: "^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$",
        }),
        /** ACM certificate for domainName, in the stack's region. */
        certificateArn: Type.String({
          pattern: "^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f-]+$",
        }),
        /** Attach a WAF web ACL with AWS managed rule groups (default false). */
        waf: Type.Optional(Type.Boolean()),
        /** Default t4g.nano. */
        proxyInstanceType: Type.Optional(Type.String({ pattern: "^[a-z][a-z0-9]*\\.[a-z0-9]+$" })),
      },
      { additionalProperties: false },
    ),
  ),
});

export type AnalyticsConfig = Omit<StackConfig<typeof configSchema>, "zoneCount"> & {
  readonly zoneCount: number;
};

/** A bad value for a key of this project's config (the shared check, this project's namespace). */
export class ConfigError extends SharedConfigError {
  constructor(key: string, reason: string) {
    super(NAMESPACE, key, reason);
    this.name = "ConfigError";
  }
}

export function parseConfig(cfg: ConfigLike, stack: string): AnalyticsConfig {
  const c = readStackConfig(cfg, NAMESPACE, configSchema, stack);
  const [major, minor] = c.engineVersion.slice("OpenSearch_".length).split(".").map(Number);
  if (major < 2 || (major === 2 && minor < 11))
    throw new ConfigError(
      "engineVersion",
      `expected OpenSearch_2.11 or newer (e.g. OpenSearch_2.19), got ${JSON.stringify(c.engineVersion)}`,
    );
  const zoneCount = c.zoneCount ?? (c.instanceCount > 1 ? 2 : 1);
  if (c.instanceCount % zoneCount !== 0)
    throw new ConfigError(
      "instanceCount",
      `${c.instanceCount} nodes cannot spread evenly over ${zoneCount} zones`,
    );
  return { ...c, zoneCount };
}
