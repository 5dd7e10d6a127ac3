import { Params, TaskBatch } from "@sec-an/contracts";
import { ParamNotFoundError, fullParamName, getParam, logger } from "@sec-an/runtime";
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

/** A targetsPerTask value as published, checked: a whole number 1..TaskBatch.maxTargets. */
export function parseTargetsPerTask(raw: string, key: string): number {
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || n < 1 || n > TaskBatch.maxTargets)
    throw new Error(`${key}: expected a whole number 1..${TaskBatch.maxTargets}, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * nmap's targetsPerTask: the planner plans that many addresses as one task batch, so their requests
 * reach the launcher together. Read late and optional, not declared as a deploy-order read: nmap
 * already deploys after this project (it reads the ECS cluster), and until nmap has published it every
 * address is its own batch. Any other failure (access, a bad value) fails the run naming it.
 */
export async function targetsPerTaskFromSsm(): Promise<number> {
  try {
    return parseTargetsPerTask(
      await getParam(Params.nmapTargetsPerTask),
      fullParamName(Params.nmapTargetsPerTask),
    );
  } catch (e) {
    if (e instanceof ParamNotFoundError) return 1;
    throw e;
  }
}

/** The runtime's Powertools logger as the logic's `Log`. */
export const log: Log = {
  info: (m, extra) => logger.info(m, extra ?? {}),
  warn: (m, extra) => logger.warn(m, extra ?? {}),
  error: (m, extra) => logger.error(m, extra ?? {}),
};
