import { isIP } from "node:net";
import {
  SendMessageBatchCommand,
  type SQSClient,
  type SendMessageBatchRequestEntry,
} from "@aws-sdk/client-sqs";
import {
  DeleteCommand,
  UpdateCommand,
  paginateScan,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { AddressInfo, Attr, Limits, ScanPlan, ScanRequest, plannedScanId, validate } from "@sec-an/contracts";
import { silentLog, type Log, type SchedulerTables } from "../util";

export interface InitiatorDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly tables: Pick<SchedulerTables, "scanPlan" | "addressInfo">;
  readonly delayQueueUrl: string;
  /** Epoch seconds of this run. */
  readonly now: number;
  /** Plans due before now + lookahead are queued (one bucket: the schedule runs once per bucket). */
  readonly lookaheadSeconds: number;
  readonly log?: Log;
}

export interface InitiatorStats {
  due: number;
  queued: number;
  /** Entries the queue refused (their plan rows stay, to be retried next run). */
  failed: number;
  /** Plan rows that are not a valid scan request (left in place and logged). */
  invalid: number;
  /** Rows re-planned by a DNS ingest while being queued (left with their new time). */
  replanned: number;
  /** Queued scans whose plan row could not be deleted: the next run queues them again (at-least-once). */
  undeleted: number;
  /** Queued scans whose LastPlannedScanQueued could not be recorded (the scan itself is unaffected). */
  unrecorded: number;
  /** Set when reading the due plans failed part-way: the rest stay planned for the next run. */
  readError?: string;
}

/** Whether a run left work undone that the next run (or an operator) must pick up. */
export function initiatorFailures(stats: InitiatorStats): string[] {
  const out: string[] = [];
  if (stats.failed)
    out.push(`${stats.failed} of ${stats.due} due scans could not be queued (they stay planned)`);
  if (stats.undeleted)
    out.push(`${stats.undeleted} queued scans kept their plan row and will be queued again next run`);
  if (stats.unrecorded) out.push(`${stats.unrecorded} queued scans have no LastPlannedScanQueued recorded`);
  if (stats.readError) out.push(`reading the due plans failed part-way: ${stats.readError}`);
  return out;
}

interface PlanRow {
  readonly address: string;
  readonly plannedScanTime: number;
}

/** SQS DelaySeconds for a planned time: due now or late → 0; never past SQS's 900 s maximum. */
export function delaySeconds(plannedScanTime: number, now: number): number {
  return Math.min(Limits.maxDelaySeconds, Math.max(0, Math.floor(plannedScanTime - now)));
}

/** The message queued for a plan row: a contracts ScanRequest whose lineage starts at this planned scan. */
export function scanRequestFor(row: PlanRow, now: number): ScanRequest {
  const family = isIP(row.address);
  if (family === 0)
    throw new Error(`plan row address ${JSON.stringify(row.address).slice(0, 80)} is not an IP address`);
  return validate(ScanRequest, {
    target: row.address,
    targetType: family === 4 ? "ipv4" : "ipv6",
    requestedAt: new Date(now * 1000).toISOString(),
    plannedScanTime: row.plannedScanTime,
    lineage: { rootScanId: plannedScanId(row.address, row.plannedScanTime), depth: 0 },
  });
}

/**
 * Queue every plan due within the lookahead onto the delay queue, each delayed until its planned time.
 * At-least-once: a plan row is deleted only after its own entry was accepted, and only if it still holds
 * the time that was queued (a DNS ingest may have re-planned it meanwhile). Every entry's work is
 * independent: a refused send, a failed delete or a throttled address-info update is counted and the run
 * carries on, so one fault never re-queues siblings already sent or holds back the plans after it.
 */
export async function initiateScans(d: InitiatorDeps): Promise<InitiatorStats> {
  const log = d.log ?? silentLog;
  const stats: InitiatorStats = {
    due: 0,
    queued: 0,
    failed: 0,
    invalid: 0,
    replanned: 0,
    undeleted: 0,
    unrecorded: 0,
  };
  // The ToScan index (hash Address) cannot be queried across addresses; it is scanned with a filter.
  // It projects only the keys and DnsIngestTime, so the scan reads little.
  const pages = paginateScan(
    { client: d.doc },
    {
      TableName: d.tables.scanPlan,
      IndexName: ScanPlan.index,
      FilterExpression: "#p <= :due",
      ProjectionExpression: "#a, #p",
      ExpressionAttributeNames: { "#a": ScanPlan.address, "#p": ScanPlan.plannedScanTime },
      ExpressionAttributeValues: { ":due": d.now + d.lookaheadSeconds },
    },
  );
  let batch: { row: PlanRow; entry: SendMessageBatchRequestEntry }[] = [];
  const flush = async () => {
    if (batch.length) await sendBatch(d, batch, stats, log);
    batch = [];
  };
  try {
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        stats.due += 1;
        const row: PlanRow = {
          address: String(item[ScanPlan.address]),
          plannedScanTime: Number(item[ScanPlan.plannedScanTime]),
        };
        let request: ScanRequest;
        try {
          request = scanRequestFor(row, d.now);
        } catch (e) {
          stats.invalid += 1;
          log.error("plan row is not a valid scan request", {
            address: row.address,
            reason: (e as Error).message,
          });
          continue;
        }
        batch.push({
          row,
          entry: {
            // Entry ids must be unique in the batch and [A-Za-z0-9_-]{1,80}; addresses contain '.' and ':'.
            Id: `e${batch.length}`,
            MessageBody: JSON.stringify(request),
            DelaySeconds: delaySeconds(row.plannedScanTime, d.now),
            // Forwarded by the glue to the topic, so task subscriptions can filter on them.
            MessageAttributes: {
              [Attr.addressType]: { DataType: "String", StringValue: request.targetType! },
              [Attr.depth]: { DataType: "Number", StringValue: "0" },
            },
          },
        });
        if (batch.length === Limits.batchEntries) await flush();
      }
    }
  } catch (e) {
    // The rows not yet read stay planned; what was read is still queued below.
    stats.readError = (e as Error).message;
    log.error("reading the due plans failed; the rest stay planned for the next run", {
      reason: stats.readError,
    });
  }
  await flush();
  const failures = initiatorFailures(stats);
  if (failures.length) log.error("scan initiation finished with failures", { ...stats, failures });
  else log.info("scan initiation complete", { ...stats });
  return stats;
}

async function sendBatch(
  d: InitiatorDeps,
  batch: { row: PlanRow; entry: SendMessageBatchRequestEntry }[],
  stats: InitiatorStats,
  log: Log,
): Promise<void> {
  let succeeded: Set<string>;
  try {
    const out = await d.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: d.delayQueueUrl, Entries: batch.map((b) => b.entry) }),
    );
    succeeded = new Set((out.Successful ?? []).map((s) => s.Id!));
    for (const f of out.Failed ?? []) {
      const row = batch.find((b) => b.entry.Id === f.Id)?.row;
      log.warn("delay queue refused a scan request; plan kept for the next run", {
        address: row?.address,
        code: f.Code,
        reason: f.Message,
      });
    }
  } catch (e) {
    log.error("sending a batch to the delay queue failed; plans kept for the next run", {
      addresses: batch.map((b) => b.row.address),
      reason: (e as Error).message,
    });
    succeeded = new Set();
  }
  for (const { row, entry } of batch) {
    if (!succeeded.has(entry.Id!)) {
      stats.failed += 1;
      continue;
    }
    stats.queued += 1;
    await completeQueued(d, row, stats, log);
  }
}

/**
 * The follow-up of one queued scan. The plan row goes first: a row left behind is queued again next
 * run, while a missed LastPlannedScanQueued only shows an older time in a view.
 */
async function completeQueued(
  d: InitiatorDeps,
  row: PlanRow,
  stats: InitiatorStats,
  log: Log,
): Promise<void> {
  try {
    await d.doc.send(
      new DeleteCommand({
        TableName: d.tables.scanPlan,
        Key: { [ScanPlan.address]: row.address },
        ConditionExpression: "#p = :p",
        ExpressionAttributeNames: { "#p": ScanPlan.plannedScanTime },
        ExpressionAttributeValues: { ":p": row.plannedScanTime },
      }),
    );
  } catch (e) {
    if ((e as Error).name === "ConditionalCheckFailedException") stats.replanned += 1;
    else {
      stats.undeleted += 1;
      log.error("a queued scan's plan row could not be deleted; it will be queued again next run", {
        address: row.address,
        reason: (e as Error).message,
      });
    }
  }
  try {
    await d.doc.send(
      new UpdateCommand({
        TableName: d.tables.addressInfo,
        Key: { [AddressInfo.address]: row.address },
        UpdateExpression: "SET #q = :q",
        ExpressionAttributeNames: { "#q": AddressInfo.lastPlannedScanQueued },
        ExpressionAttributeValues: { ":q": d.now },
      }),
    );
  } catch (e) {
    stats.unrecorded += 1;
    log.error("could not record when a scan was queued", {
      address: row.address,
      reason: (e as Error).message,
    });
  }
}
