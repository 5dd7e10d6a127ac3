/**
 * Stack configuration of sec-an-shared-infra: one schema with its defaults, checked before any
 * resource is registered so a bad value fails `pulumi preview` immediately, naming the key.
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

import { RedisBridgeSettings } from "@sec-an/contracts";
import { parseAllowList } from "./scans/logic";

const NAMESPACE = "sec-an-shared-infra";

const choice = <T extends string>(values: readonly T[], def: T) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { default: def },
  );
const bool = (def: boolean) => Type.Boolean({ default: def });

export const configSchema = stackConfigSchema({
  /** Days after which dead letters (and their old versions) expire. */
  deadLetterExpiryDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90 }),
  /** An RFC 1918 CIDR /16../24 (checked by `checkCidr`). */
  vpcCidr: Type.String({ default: "10.0.0.0/16" }),
  azCount: Type.Integer({ minimum: 1, maximum: 4, default: 2 }),
  natStrategy: choice(["None", "Single", "OnePerAz"] as const, "None"),
  /** Workloads (ECS scanners) run in private subnets; default: true iff a NAT exists. */
  usePrivateSubnets: Type.Optional(Type.Boolean()),
  /** Interface endpoints for SQS, SNS, SSM, ECR, logs and STS (billed per AZ-hour); gateway endpoints are free and always on. */
  interfaceEndpoints: bool(true),
  flowLogTraffic: choice(["NONE", "REJECT", "ALL"] as const, "REJECT"),
  flowLogRetentionDays: logRetentionDays(90),
  mfa: choice(["OFF", "OPTIONAL", "ON"] as const, "OPTIONAL"),
  /** Hosted-UI domain prefix; default `<app>-<stage>`. */
  cognitoDomainPrefix: Type.Optional(Type.String()),
  /** OAuth callback URLs of the Dashboards client; empty = no hosted-UI OAuth flow. */
  dashboardsCallbackUrls: Type.Array(Type.String(), { default: [], errorMessage: "must be a list of URLs" }),
  apiStageName: Type.String({
    pattern: "^[A-Za-z0-9_]{1,64}$",
    default: "v1",
    errorMessage: "must be 1-64 of A-Z a-z 0-9 _",
  }),
  apiAccessLogs: bool(false),
  manageApiGatewayAccount: bool(false),
  /** Retention of the API access log group. */
  apiLogRetentionDays: logRetentionDays(365),
  /** Cognito user pool deletion protection. */
  protectUserPool: bool(true),
  /** Addresses that get every alarm by email (each confirms once, from the message SNS sends). */
  notificationEmails: Type.Array(
    Type.String({ pattern: "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", errorMessage: "must be an email address" }),
    { default: [], uniqueItems: true, errorMessage: "must be a list of distinct email addresses" },
  ),
  /** HTTPS endpoints that get every alarm as an SNS message (each confirms once). */
  notificationHttpsEndpoints: Type.Array(Type.String({ pattern: "^https://[^\\s]+$" }), {
    default: [],
    uniqueItems: true,
    errorMessage: "must be a list of distinct https:// URLs",
  }),
  /** CIDRs `POST /scans` accepts besides the addresses and host names in the DNS tables. */
  scanAllowList: Type.Array(Type.String(), { default: [], errorMessage: "must be a list of CIDRs" }),
  /** Scanners `POST /scans` may start (they subscribe to the scan-initiator topic). */
  onDemandScanners: Type.Array(Type.String({ pattern: "^[a-z][a-z0-9_-]{0,40}$" }), {
    default: ["nmap"],
    minItems: 1,
    errorMessage: "must be a non-empty list of task names",
  }),
  /** Republish platform error events to this Redis (ElastiCache or an existing server); unset = topic only. */
  redis: Type.Optional(
    Type.Object(
      {
        ...RedisBridgeSettings.properties,
        /** IPv4 CIDR holding the Redis endpoint; default the VPC's. */
        cidr: Type.Optional(Type.String({ pattern: "^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$" })),
      },
      { additionalProperties: false },
    ),
  ),
});

type Read = StackConfig<typeof configSchema>;
export type NatStrategy = Read["natStrategy"];
export type MfaMode = Read["mfa"];
export type FlowLogTraffic = Read["flowLogTraffic"];
export type SharedInfraConfig = Omit<Read, "usePrivateSubnets" | "cognitoDomainPrefix" | "app" | "stage"> & {
  usePrivateSubnets: boolean;
  cognitoDomainPrefix: string;
};

/** A bad value for a key of this project's config (the shared check, this project's namespace). */
export class ConfigError extends SharedConfigError {
  constructor(key: string, reason: string) {
    super(NAMESPACE, key, reason);
    this.name = "ConfigError";
  }
}

/** A private IPv4 CIDR with a /16../24 prefix, its address aligned to the prefix. */
export function checkCidr(cidr: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new Error("must be an IPv4 CIDR such as 10.0.0.0/16");
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) throw new Error("has an octet above 255");
  if (prefix < 16 || prefix > 24)
    throw new Error("prefix must be /16../24 (VPC limits, room for public and private subnets per AZ)");
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  if ((addr & (2 ** (32 - prefix) - 1)) !== 0) throw new Error(`address is not aligned to /${prefix}`);
  const [a, b] = octets;
  const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  if (!isPrivate) throw new Error("must be inside an RFC 1918 private range");
  return cidr;
}

const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function checkUrls(key: string, urls: readonly string[]): string[] {
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new ConfigError(key, `${JSON.stringify(u)} is not a URL`);
    }
    // Cognito allows plain http only for localhost.
    if (url.protocol !== "https:" && !(url.protocol === "http:" && url.hostname === "localhost")) {
      throw new ConfigError(key, `${u} must use https (http only for localhost)`);
    }
  }
  return [...urls];
}

export function parseConfig(cfg: ConfigLike, stackName: string): SharedInfraConfig {
  let c: Read;
  try {
    c = readStackConfig(cfg, NAMESPACE, configSchema, stackName);
  } catch (err) {
    // app and stage are one prefix: report them together, as every project of a deployment shares them.
    if (err instanceof SharedConfigError && (err.key === "app" || err.key === "stage"))
      throw new ConfigError("app/stage", err.message.slice(err.message.indexOf(": ", 7) + 2));
    throw err;
  }
  // app and stage are in `deployment`.
  const { app: _app, stage: _stage, deployment, ...rest } = c;
  const usePrivateSubnets = c.usePrivateSubnets ?? c.natStrategy !== "None";
  if (usePrivateSubnets && c.natStrategy === "None") {
    throw new ConfigError(
      "usePrivateSubnets",
      "needs natStrategy Single or OnePerAz: scanners in private subnets must reach their targets",
    );
  }
  if (c.redis && !c.interfaceEndpoints) {
    // The bridge's security group allows 443 only to the interface endpoints' group: without them it
    // could reach neither SQS nor Secrets Manager.
    throw new ConfigError(
      "redis",
      "needs interfaceEndpoints: true (the Redis bridge reaches AWS only through them)",
    );
  }
  try {
    checkCidr(c.vpcCidr);
  } catch (err) {
    throw new ConfigError("vpcCidr", `${JSON.stringify(c.vpcCidr)} ${(err as Error).message}`);
  }
  const cognitoDomainPrefix = c.cognitoDomainPrefix ?? `${deployment.app}-${deployment.stage}`.toLowerCase();
  if (!DOMAIN_PREFIX.test(cognitoDomainPrefix) || /aws|amazon|cognito/.test(cognitoDomainPrefix)) {
    throw new ConfigError(
      "cognitoDomainPrefix",
      `${JSON.stringify(cognitoDomainPrefix)} must be 1-63 of a-z 0-9 - and not contain aws, amazon or cognito`,
    );
  }
  try {
    parseAllowList(c.scanAllowList);
  } catch (err) {
    throw new ConfigError("scanAllowList", (err as Error).message);
  }
  return {
    ...rest,
    deployment,
    usePrivateSubnets,
    cognitoDomainPrefix,
    dashboardsCallbackUrls: checkUrls("dashboardsCallbackUrls", c.dashboardsCallbackUrls),
  };
}
