import { Params, NMAP_TASK, taskParams, type DocumentCollection } from "@sec-an/contracts";
import {
  ParamNotFoundError,
  SnsPublisher,
  createParseTools,
  dynamoDocClient,
  getParam,
  getRawResult,
  isSidecarKey,
  s3Client,
  snsClient,
  type OutgoingMessage,
  type Publisher,
} from "@sec-an/runtime";
import { recordResultsParsed } from "../address-info";
import { portEvents, publishPortEvents } from "../cascade";
import { PARSER_VERSION, parseNmapResult, scanEndOf } from "../parser";

/**
 * What the nmap results parser does for one raw object: parse it into document collections and publish
 * them to the results topic; publish a PortDetected event per open port to the ports topic (cascades);
 * record the parse time per address in the address-info table. Every SSM lookup is late (per call,
 * cached by the runtime), so a later stack deploy is picked up without redeploying this function.
 */
export interface ProcessOutcome {
  readonly key: string;
  readonly hosts: number;
  /** Hosts whose documents could not be built (logged with the reason); the other hosts were published. */
  readonly hostsFailed: number;
  readonly messages: number;
  readonly portEvents: number;
  /** Addresses whose LastScanResultsParsed moved forward; undefined when no address-info table is configured. */
  readonly addressesRecorded?: number;
  readonly skipped?: string;
}

export interface ProcessDeps {
  /** Where document collections go (default: the task's results topic from SSM). */
  readonly publisher?: Publisher;
  readonly log?: (message: string, extra?: Record<string, unknown>) => void;
}

const resultsTopic = () => getParam(taskParams(NMAP_TASK, "nmap").resultsTopicArn);

export async function processRawResult(
  bucket: string,
  key: string,
  deps: ProcessDeps = {},
): Promise<ProcessOutcome> {
  if (isSidecarKey(key))
    return { key, hosts: 0, hostsFailed: 0, messages: 0, portEvents: 0, skipped: "request sidecar" };
  const raw = await getRawResult(bucket, key, s3Client());
  const tools = createParseTools({
    task: NMAP_TASK,
    metadata: raw.metadata,
    rawKey: key,
    parserVersion: PARSER_VERSION,
    publisher: deps.publisher ?? new SnsPublisher(resultsTopic, snsClient),
  });
  const run = parseNmapResult(raw, tools);
  for (const f of run.failedHosts)
    deps.log?.("host skipped: its documents could not be built", { key, ...f });
  const sent: OutgoingMessage<DocumentCollection>[] = await tools.publishAll();

  const events = portEvents(run, raw);
  if (events.length) await publishPortEvents(snsClient(), await getParam(Params.portsTopicArn), events);

  let addressesRecorded: number | undefined;
  let table: string | undefined;
  try {
    table = await getParam(Params.addressInfoTableId);
  } catch (e) {
    // Without task-execution (a standalone nmap, a local run) there is no address-info table: not an error.
    if (!(e instanceof ParamNotFoundError)) throw e;
    deps.log?.("address-info table not configured; LastScanResultsParsed not recorded", { key });
  }
  if (table)
    addressesRecorded = await recordResultsParsed(dynamoDocClient(), table, run, scanEndOf(run, raw));

  return {
    key,
    hosts: run.hosts.length,
    hostsFailed: run.failedHosts.length,
    messages: sent.length,
    portEvents: events.length,
    addressesRecorded,
  };
}
