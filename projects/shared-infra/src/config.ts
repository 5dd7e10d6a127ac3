/**
 * Stack configuration of sec-an-shared-infra, validated before any resource is registered so a bad
 * value fails `pulumi preview` immediately, naming the key.
 */
import type { Deployment } from "@sec-an/contracts";
import { readDeployment, type ConfigLike } from "@sec-an/components";
import { ConfigError as SharedConfigError, configReader } from "@sec-an/components";

export type NatStrategy = "None" | "Single" | "OnePerAz";
export type MfaMode = "OFF" | "OPTIONAL" | "ON";
export type FlowLogTraffic = "NONE" | "REJECT" | "ALL";

export interface SharedInfraConfig {
  deployment: Deployment;
  /** Days after which dead letters (and their old versions) expire. */
  deadLetterExpiryDays: number;
  vpcCidr: string;
  azCount: number;
  natStrategy: NatStrategy;
  /** Workloads (ECS scanners) run in private subnets; needs a NAT so scanners reach their targets. */
  usePrivateSubnets: boolean;
  /** Interface endpoints for SQS, SNS, SSM, ECR, logs and STS (billed per AZ-hour); gateway endpoints are free and always on. */
  interfaceEndpoints: boolean;
  flowLogTraffic: FlowLogTraffic;
  flowLogRetentionDays: number;
  mfa: MfaMode;
  cognitoDomainPrefix: string;
  /** OAuth callback URLs of the Dashboards client; empty = no hosted-UI OAuth flow. */
  dashboardsCallbackUrls: string[];
  apiStageName: string;
  apiAccessLogs: boolean;
  manageApiGatewayAccount: boolean;
  /** Retention of the API access log group. */
  apiLogRetentionDays: number;
  /** Cognito user pool deletion protection. */
  protectUserPool: boolean;
}

const NAMESPACE = "sec-an-shared-infra";

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
const oneOf = <T extends string>(cfg: ConfigLike, key: string, def: T, allowed: readonly T[]) =>
  configReader(cfg, NAMESPACE).oneOf(key, def, allowed);

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

/** CloudWatch Logs accepts only these retention periods. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function retention(cfg: ConfigLike, key: string, def: number): number {
  const n = int(cfg, key, def, 1, 3653);
  if (!RETENTION_DAYS.includes(n))
    throw new ConfigError(
      key,
      `must be one of the CloudWatch retention periods ${RETENTION_DAYS.join(", ")}`,
    );
  return n;
}

const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function jsonList(cfg: ConfigLike, key: string): string[] {
  const raw = cfg.get(key);
  if (raw === undefined) return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ConfigError(key, "must be a list of URLs");
  }
  if (!Array.isArray(v) || v.some((u) => typeof u !== "string"))
    throw new ConfigError(key, "must be a list of URLs");
  for (const u of v as string[]) {
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
  return v as string[];
}

export function parseConfig(cfg: ConfigLike, stackName: string): SharedInfraConfig {
  let deployment: Deployment;
  try {
    deployment = readDeployment(cfg, stackName);
  } catch (err) {
    throw new ConfigError("app/stage", (err as Error).message);
  }
  const natStrategy = oneOf<NatStrategy>(cfg, "natStrategy", "None", ["None", "Single", "OnePerAz"]);
  const usePrivateSubnets = bool(cfg, "usePrivateSubnets", natStrategy !== "None");
  if (usePrivateSubnets && natStrategy === "None") {
    throw new ConfigError(
      "usePrivateSubnets",
      "needs natStrategy Single or OnePerAz: scanners in private subnets must reach their targets",
    );
  }
  const vpcCidrRaw = cfg.get("vpcCidr") ?? "10.0.0.0/16";
  let vpcCidr: string;
  try {
    vpcCidr = checkCidr(vpcCidrRaw);
  } catch (err) {
    throw new ConfigError("vpcCidr", `${JSON.stringify(vpcCidrRaw)} ${(err as Error).message}`);
  }
  const cognitoDomainPrefix =
    cfg.get("cognitoDomainPrefix") ?? `${deployment.app}-${deployment.stage}`.toLowerCase();
  if (!DOMAIN_PREFIX.test(cognitoDomainPrefix) || /aws|amazon|cognito/.test(cognitoDomainPrefix)) {
    throw new ConfigError(
      "cognitoDomainPrefix",
      `${JSON.stringify(cognitoDomainPrefix)} must be 1-63 of a-z 0-9 - and not contain aws, amazon or cognito`,
    );
  }
  const apiStageName = cfg.get("apiStageName") ?? "v1";
  if (!/^[A-Za-z0-9_]{1,64}$/.test(apiStageName))
    throw new ConfigError("apiStageName", "must be 1-64 of A-Z a-z 0-9 _");

  return {
    deployment,
    deadLetterExpiryDays: int(cfg, "deadLetterExpiryDays", 90, 1, 3650),
    vpcCidr,
    azCount: int(cfg, "azCount", 2, 1, 4),
    natStrategy,
    usePrivateSubnets,
    interfaceEndpoints: bool(cfg, "interfaceEndpoints", true),
    flowLogTraffic: oneOf<FlowLogTraffic>(cfg, "flowLogTraffic", "REJECT", ["NONE", "REJECT", "ALL"]),
    flowLogRetentionDays: retention(cfg, "flowLogRetentionDays", 90),
    mfa: oneOf<MfaMode>(cfg, "mfa", "OPTIONAL", ["OFF", "OPTIONAL", "ON"]),
    cognitoDomainPrefix,
    dashboardsCallbackUrls: jsonList(cfg, "dashboardsCallbackUrls"),
    apiStageName,
    apiAccessLogs: bool(cfg, "apiAccessLogs", false),
    manageApiGatewayAccount: bool(cfg, "manageApiGatewayAccount", false),
    apiLogRetentionDays: retention(cfg, "apiLogRetentionDays", 365),
    protectUserPool: bool(cfg, "protectUserPool", true),
  };
}
