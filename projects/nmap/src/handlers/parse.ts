import { CascadeTopics, Params, type RawResult } from "@sec-an/contracts";
import {
  ParamNotFoundError,
  dynamoDocClient,
  getParam,
  logger,
  makeScannerParseHandler,
  type ParsedResult,
  type RawResultStream,
  type StreamingParseTools,
} from "@sec-an/runtime";
import { recordResultsParsed } from "../address-info";
import { portEventValues, portEvents } from "../cascade";
import {
  RUNSTATS_TAIL_BYTES,
  endTimeFromTail,
  parentKeyOf,
  parseNmapStream,
  scanEndOf,
  type NmapHost,
  type StreamedNmapRun,
} from "../parser";
import { nmapTask } from "../task";

/**
 * The Lambda's parse: the raw XML read from S3 as a stream, each host's collection and port-detected
 * events queued as its `</host>` closes and published a batch at a time, so a 500 MB report parses in
 * flat memory. The documents and events are those of `nmapTask.parse` over the whole body.
 */
export async function parseStream(
  raw: RawResultStream,
  tools: StreamingParseTools,
): Promise<StreamedNmapRun> {
  const tail = await raw.tail(RUNSTATS_TAIL_BYTES);
  const endTime = endTimeFromTail(tail);
  // portEvents reads the request and scan id from the raw result, never its body.
  const head = { key: raw.key, metadata: raw.metadata, body: Buffer.alloc(0) };
  return parseNmapStream(raw, raw.body, tools, {
    tail,
    onHost: async (host) => {
      for (const e of portEvents({ endTime, hosts: [host] }, head))
        tools.emit(CascadeTopics.ports.name, e, portEventValues(e));
      await tools.complete(parentKeyOf(host));
    },
  });
}

/**
 * After the collections and port events are out: log the hosts whose documents could not be built
 * (the others were published), and record per address when its results were parsed. Without
 * task-execution (a standalone nmap, a local run without it) there is no address-info table.
 */
export async function recordParse(
  raw: Omit<RawResult, "body">,
  parsed: ParsedResult<StreamedNmapRun>,
): Promise<void> {
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
  // recordResultsParsed reads only each host's address.
  const hosts = run.addresses.map((address) => ({ address }) as NmapHost);
  const recorded = await recordResultsParsed(dynamoDocClient(), table, { hosts }, scanEndOf(run, raw));
  logger.info("address-info recorded", {
    key: raw.key,
    hosts: run.hostCount,
    addressesRecorded: recorded,
  });
}

/**
 * Results parser Lambda (S3 ObjectCreated on `nmap/…`, invoked asynchronously): the platform's parse
 * handler publishes the collections and the port-detected events as the stream is read, then `recordParse`.
 */
export const handler = makeScannerParseHandler({ ...nmapTask, parseStream }, { afterPublish: recordParse });

/** Parse one stored raw result as the Lambda would (tests, and tools that replay one object). */
export const processRawResult = async (bucket: string, key: string) =>
  (await handler({ Records: [{ s3: { bucket: { name: bucket }, object: { key } } }] } as never))[0];
