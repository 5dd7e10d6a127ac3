import { Params } from "@sec-an/contracts";
import {
  ParamNotFoundError,
  dynamoDocClient,
  getParam,
  logger,
  makeScannerParseHandler,
  type ParsedResult,
} from "@sec-an/runtime";
import type { RawResult } from "@sec-an/contracts";
import { recordResultsParsed } from "../address-info";
import { scanEndOf, type ParsedNmapRun } from "../parser";
import { nmapTask } from "../task";

/**
 * After the collections and port events are out: log the hosts whose documents could not be built
 * (the others were published), and record per address when its results were parsed. Without
 * task-execution (a standalone nmap, a local run without it) there is no address-info table.
 */
export async function recordParse(raw: RawResult, parsed: ParsedResult<ParsedNmapRun>): Promise<void> {
  const run = parsed.result;
  for (const f of run.failedHosts)
    logger.warn("host skipped: its documents could not be built", { key: raw.key, ...f });
  let table: string;
  try {
    table = await getParam(Params.addressInfoTableId);
  } catch (e) {
    if (!(e instanceof ParamNotFoundError)) throw e;
    logger.info("address-info table not configured; LastScanResultsParsed not recorded", { key: raw.key });
    return;
  }
  const recorded = await recordResultsParsed(dynamoDocClient(), table, run, scanEndOf(run, raw));
  logger.info("address-info recorded", {
    key: raw.key,
    hosts: run.hosts.length,
    addressesRecorded: recorded,
  });
}

/**
 * Results parser Lambda (S3 ObjectCreated on `nmap/…`, invoked asynchronously): the platform's parse
 * handler publishes the collections and the port-detected events from one parse, then `recordParse`.
 */
export const handler = makeScannerParseHandler(nmapTask, { afterPublish: recordParse });

/** Parse one stored raw result as the Lambda would (tests, and tools that replay one object). */
export const processRawResult = async (bucket: string, key: string) =>
  (await handler({ Records: [{ s3: { bucket: { name: bucket }, object: { key } } }] } as never))[0];
