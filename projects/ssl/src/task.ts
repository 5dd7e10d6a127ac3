import { PortDetected, SSL_TASK, TaskDocTypes } from "@sec-an/contracts";
import { PARSER_VERSION, parse } from "./parser/parse";
import { createScan } from "./scanner";

/**
 * The ssl task as the platform's tooling sees it (CLI `sec-an parse ssl <file>`, re-ingestion, the
 * Lambda handlers): the same `scan` and `parse` everywhere. Requests are port-detected cascade events.
 */
export const scan = createScan();

export const sslTask = {
  name: SSL_TASK,
  parserVersion: PARSER_VERSION,
  /** Every doc type the parser may post (declared in contracts): each collection lists them so rescans clear stale ones. */
  docTypes: TaskDocTypes[SSL_TASK],
  parse,
  scan,
  requestSchema: PortDetected,
} as const;

export { parse, PARSER_VERSION };
export default sslTask;
