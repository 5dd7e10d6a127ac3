// The config-scanner's plugin engine: CloudSploit-shaped plugins, pure and in-process, so a Lambda runs
// them with no child process, and the `sec-an aws-scan` command runs the very same code.
export type {
  Cache,
  Collected,
  EventMapping,
  Finding,
  Plugin,
  PluginSetting,
  Severity,
  Status,
} from "./types";
export { PLUGINS, selectPlugins, runPlugins, groupArn, UnknownPluginError } from "./plugins";
export { cacheFromDescribe, cacheFromInput, InputError } from "./cache";
export { mapEvent, realtimeTriggers, permissionsFromCloudTrail } from "./events";
export { PORT_CHECKS, type PortCheck } from "./ports";

/** Statuses from least to most alarming, for "at or above" gates: UNKNOWN means a prefix list was not checked. */
export const STATUS_ORDER = ["OK", "UNKNOWN", "WARN", "FAIL"] as const;
