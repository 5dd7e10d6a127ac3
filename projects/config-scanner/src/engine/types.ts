import type { IpPermission, NetworkInterface, SecurityGroup } from "@aws-sdk/client-ec2";

export type { IpPermission, NetworkInterface, SecurityGroup };

/** CloudSploit's result codes, by name: OK (0), WARN (1), FAIL (2), UNKNOWN (3). */
export type Status = "OK" | "WARN" | "FAIL" | "UNKNOWN";
export type Severity = "low" | "medium" | "high" | "critical";

export interface Finding {
  plugin: string;
  title: string;
  status: Status;
  severity: Severity;
  region: string;
  account?: string;
  /** The security group's ARN. */
  resource: string;
  message: string;
  evidence: Record<string, unknown>;
}

/** One collected API call for one region, as CloudSploit's collector stores it. */
export interface Collected<T> {
  data?: T[];
  err?: unknown;
}

/** CloudSploit-shaped collection cache: `cache.ec2.<call>[region]`. */
export interface Cache {
  ec2: {
    describeSecurityGroups: Record<string, Collected<SecurityGroup>>;
    describeNetworkInterfaces?: Record<string, Collected<NetworkInterface>>;
  };
  account?: string;
}

export interface PluginSetting {
  name: string;
  description: string;
  default: string;
}

export interface Plugin {
  /** lowerCamel id, e.g. "openSsh" (CloudSploit's own spelling, e.g. "openSSH", is accepted by selectPlugins). */
  name: string;
  title: string;
  category: string;
  description: string;
  severity: Severity;
  /** "EC2:describeSecurityGroups" */
  apis: string[];
  settings: Record<string, PluginSetting>;
  /** "ec2:AuthorizeSecurityGroupIngress" */
  realtime_triggers: string[];
  run(cache: Cache, settings: Record<string, string>, region: string): Finding[];
}

export interface EventMapping {
  relevant: boolean;
  reason: string;
  eventName?: string;
  region?: string;
  account?: string;
  plugins: string[];
  groupIds: string[];
  ruleIds: string[];
  /** Non-OK findings for the change the request itself carries; [] when it carries none. */
  immediate: Finding[];
}
