import { Params } from "@sec-an/contracts";
import { fullParamName, getParam, logger } from "@sec-an/runtime";
import { parseSchedulerSettings, type SchedulerSettings } from "../config";
import type { Log, SchedulerTables } from "../util";

/** The four table names, read late from this stack's own SSM exports. */
export async function tablesFromSsm(): Promise<SchedulerTables> {
  const [scanPlan, resolvedHosts, resolvedAddresses, addressInfo] = await Promise.all([
    getParam(Params.scansPlannedTableId),
    getParam(Params.resolvedHostsTableId),
    getParam(Params.resolvedAddressesTableId),
    getParam(Params.addressInfoTableId),
  ]);
  return { scanPlan, resolvedHosts, resolvedAddresses, addressInfo };
}

const KEYS = {
  period: Params.schedulerPeriod,
  buckets: Params.schedulerBuckets,
  rateLimit: Params.schedulerRateLimit,
  logUnhandled: Params.schedulerLogUnhandled,
} as const;

/** Scheduler settings from SSM, validated: a bad value fails the run naming its parameter. */
export async function settingsFromSsm(): Promise<SchedulerSettings> {
  const [period, buckets, rateLimit, logUnhandled] = await Promise.all([
    getParam(KEYS.period),
    getParam(KEYS.buckets),
    getParam(KEYS.rateLimit),
    getParam(KEYS.logUnhandled),
  ]);
  return parseSchedulerSettings({ period, buckets, rateLimit, logUnhandled }, (f) => fullParamName(KEYS[f]));
}

/** The runtime's Powertools logger as the logic's `Log`. */
export const log: Log = {
  info: (m, extra) => logger.info(m, extra ?? {}),
  warn: (m, extra) => logger.warn(m, extra ?? {}),
  error: (m, extra) => logger.error(m, extra ?? {}),
};
