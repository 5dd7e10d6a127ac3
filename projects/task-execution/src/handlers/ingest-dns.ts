import { Params, SchedulerEnv } from "@sec-an/contracts";
import { dynamoDocClient, getParam } from "@sec-an/runtime";
import type { IngestStats } from "../dns/ingest";
import { DnsResolver } from "../dns/resolver";
import { log, settingsFromSsm, tablesFromSsm, targetsPerTaskFromSsm } from "./settings";

/**
 * Daily DNS ingest (EventBridge Scheduler). Throws on failure so the asynchronous invocation is retried
 * and then filed by the function's dead-letter recorder.
 */
export const handler = async (): Promise<IngestStats> => {
  const startTime = Math.floor(Date.now() / 1000);
  const [settings, tables, roleArn, targetsPerTask] = await Promise.all([
    settingsFromSsm(),
    tablesFromSsm(),
    getParam(Params.route53RoleArn),
    targetsPerTaskFromSsm(),
  ]);
  const servers = (process.env[SchedulerEnv.dnsServers] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // The Route53 client and its credential provider are the heaviest modules this handler loads (about
  // two thirds of its init): loaded with the code that uses them, after the parameters are read.
  const [{ ingestDns }, { route53Client }] = await Promise.all([
    import("../dns/ingest"),
    import("../dns/route53"),
  ]);
  const resolver = new DnsResolver({ servers });
  try {
    return await ingestDns({
      route53: route53Client({ roleArn, requestsPerSecond: settings.rateLimit }),
      resolver,
      doc: dynamoDocClient(),
      tables,
      startTime,
      period: settings.period,
      buckets: settings.buckets,
      targetsPerTask,
      logUnhandled: settings.logUnhandled,
      log,
    });
  } finally {
    resolver.cancel();
  }
};
