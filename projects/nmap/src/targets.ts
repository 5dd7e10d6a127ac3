/**
 * Scan targets: the shared validator lives in contracts so the launcher, this entrypoint, the TLS
 * scanner and DNS ingest apply one rule.
 */
export {
  InvalidTargetError,
  MAX_TARGET_ADDRESSES,
  MIN_PREFIX,
  validateScanAddress,
  validateTarget,
  type TargetType,
  type ValidTarget,
} from "@sec-an/contracts";
