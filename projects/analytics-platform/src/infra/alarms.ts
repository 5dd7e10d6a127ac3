/**
 * The analytics platform's own alarms, besides those its components make (DLQs, functions): the
 * domain's health and storage, bulk items the store rejects, and the reporter's terminal queue.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Deployment } from "@sec-an/contracts";
import {
  alarmTargets,
  deadLetterAlarm,
  domainAlarms,
  jsonLogPattern,
  logPatternAlarm,
  metricAlarm,
  type AlarmActions,
} from "@sec-an/components";
import type { IngestRejected } from "../ingest/plan";

/** The line the runtime logs for every input it dead-letters (its `code` is the failure's code). */
const DEAD_LETTERED = "input sent to the DLQ";
/** The ingestor's code for a bulk item the store refused for good (mapping conflict, bad document). */
const BULK_REJECTED: IngestRejected["code"] = "rejected";

/** Log events of the ingestor for bulk items the store rejected (each then dead-lettered with the reason). */
export const BULK_REJECTED_LOG = { message: DEAD_LETTERED, code: BULK_REJECTED };

/**
 * Free storage (MiB) at or below which a node alarms: the configured value, else a quarter of the
 * node's volume, as AWS recommends, since a node at its disk watermarks stops taking writes.
 */
export function lowStorageMiB(volumeSizeGiB: number, configured?: number): number {
  const volumeMiB = volumeSizeGiB * 1024;
  if (configured === undefined) return volumeMiB / 4;
  if (!Number.isInteger(configured) || configured < 1 || configured >= volumeMiB)
    throw new Error(
      `lowStorageAlarmMiB must be a whole number of MiB from 1 to below the ${volumeMiB} MiB volume, got ${configured}`,
    );
  return configured;
}

export interface AnalyticsAlarmsArgs {
  readonly deployment: Deployment;
  readonly domainName: pulumi.Input<string>;
  /** The domain's account (its metrics' `ClientId` dimension). */
  readonly accountId: pulumi.Input<string>;
  readonly instanceCount: number;
  readonly lowStorageMiB: number;
  readonly ingestLogGroupName: pulumi.Input<string>;
  /** The queue the reporter's failed invocations end in: nothing consumes it, so only its depth tells. */
  readonly reporterFailedQueueName: pulumi.Input<string>;
  /** Default: the deployment's notifications topic. */
  readonly alarmActions?: AlarmActions;
  readonly tags?: Record<string, string>;
}

export class AnalyticsAlarms extends pulumi.ComponentResource {
  constructor(name: string, args: AnalyticsAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:analytics:Alarms", name, {}, opts);
    const parent = { parent: this };
    const actions = alarmTargets(args.deployment, args.alarmActions, parent);
    const alarm = (key: string, spec: Parameters<typeof metricAlarm>[1]) =>
      metricAlarm(`${name}-${key}`, spec, actions, args.tags, parent);

    alarm("reporter-failed", deadLetterAlarm(args.reporterFailedQueueName));
    const domain = domainAlarms(args.domainName, args.accountId, args.lowStorageMiB);
    alarm("domain-red", domain.red);
    alarm("domain-low-storage", domain.lowStorage);
    // One node can never hold a replica, so a one-node domain is yellow for good: alarming says nothing.
    if (args.instanceCount > 1) alarm("domain-yellow", domain.yellow);
    logPatternAlarm(
      `${name}-ingest-rejected`,
      {
        logGroupName: args.ingestLogGroupName,
        pattern: jsonLogPattern(BULK_REJECTED_LOG),
        metricName: "BulkItemsRejected",
        description: "The store rejected bulk items for good; they are in the ingest DLQ with the reason",
        actions,
        tags: args.tags,
      },
      parent,
    );
    this.registerOutputs({});
  }
}
