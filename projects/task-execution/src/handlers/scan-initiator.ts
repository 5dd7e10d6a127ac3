import { Params } from "@sec-an/contracts";
import { dynamoDocClient, getParam, sqsClient } from "@sec-an/runtime";
import { INITIATOR_INTERVAL_SECONDS } from "../config";
import { initiateScans, type InitiatorStats } from "../initiator/initiator";
import { log, tablesFromSsm } from "./settings";

/**
 * Every 15 minutes: queue the scans due before the next run. Entries the queue refused stay planned and
 * are retried next run; the invocation then fails so the refusal is recorded as a dead letter too.
 */
export const handler = async (): Promise<InitiatorStats> => {
  const now = Math.floor(Date.now() / 1000);
  const [tables, delayQueueUrl] = await Promise.all([tablesFromSsm(), getParam(Params.scanDelayQueueUrl)]);
  const stats = await initiateScans({
    doc: dynamoDocClient(),
    sqs: sqsClient(),
    tables,
    delayQueueUrl,
    now,
    lookaheadSeconds: INITIATOR_INTERVAL_SECONDS,
    log,
  });
  if (stats.failed > 0)
    throw new Error(
      `${stats.failed} of ${stats.due} due scans could not be queued; they stay planned for the next run`,
    );
  return stats;
};
