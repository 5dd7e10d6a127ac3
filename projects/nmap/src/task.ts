import { Attr, NMAP_TASK, ScanRequest, TaskDocTypes, type ParseFn, type RawResult } from "@sec-an/contracts";
import { portEventAttributes, portEvents } from "./cascade";
import { PARSER_VERSION, parseNmapResult, readNmapXml } from "./parser";

/**
 * The nmap task as the platform's tooling sees it: the CLI (`sec-an parse nmap <file>`), re-ingestion
 * and the parse handler all run this parser, so a re-parse is exactly what the Lambda would produce.
 */
export const parse: ParseFn = (raw, tools) => {
  parseNmapResult(raw, tools);
};

/** A message besides the document collections that parsing a raw result publishes. */
export interface CascadeMessage {
  /** Logical topic ("ports": SSM `Params.portsTopicArn`). */
  readonly topic: string;
  readonly message: unknown;
  readonly attributes: Record<string, string>;
}

/** The port-detected events a raw result causes (for `sec-an parse` and the local runner to show). */
export function cascades(raw: RawResult): CascadeMessage[] {
  return portEvents(readNmapXml(raw.body), raw).map((e) => ({
    topic: "ports",
    message: e,
    attributes: Object.fromEntries(
      Object.entries(portEventAttributes(e)).map(([k, v]) => [k, v.StringValue ?? ""]),
    ),
  }));
}

export const nmapTask = {
  name: NMAP_TASK,
  parserVersion: PARSER_VERSION,
  /** Every doc type the parser may post (declared in contracts): each collection lists them so rescans clear stale ones. */
  docTypes: TaskDocTypes[NMAP_TASK],
  parse,
  requestSchema: ScanRequest,
  cascades,
  /** Attributes secondary scanners filter on (documentation for `sec-an parse` output). */
  cascadeAttributes: [
    Attr.address,
    Attr.addressType,
    Attr.port,
    Attr.protocol,
    Attr.service,
    Attr.tunnel,
    Attr.product,
    Attr.depth,
  ],
} as const;

export default nmapTask;
