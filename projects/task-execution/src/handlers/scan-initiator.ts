import { Params } from "@sec-an/contracts";
import { dynamoDocClient, getParam, sqsClient } from "@sec-an/runtime";
import { INITIATOR_INTERVAL_SECONDS } from "../config";
import { initiateScans, initiatorFailures, type InitiatorStats } from "../initiator/initiator";
import { log, tablesFromSsm } from "./settings";

/**
 * Every 15 minutes: queue the scans due before the next run. Every due plan is attempted; entries the
 * queue refused stay planned and are retried next run. Failures are reported together at the end: the
 * invocation then fails, so they are recorded as a dead letter too.
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
  const failures = initiatorFailures(stats);
  if (failures.length) throw new Error(`scan initiation incomplete: ${failures.join("; ")}`);
  return stats;
};
