import { NMAP_TASK, ScanRequest, type ParseFn } from "@sec-an/contracts";
import { PARSER_VERSION, parseNmapResult } from "./parser";

/**
 * The nmap task as the platform's tooling sees it: the CLI (`sec-an parse nmap <file>`), re-ingestion
 * and the parse handler all run this parser, so a re-parse is byte-for-byte what the Lambda would produce.
 */
export const parse: ParseFn = (raw, tools) => {
  parseNmapResult(raw, tools);
};

export const nmapTask = {
  name: NMAP_TASK,
  parserVersion: PARSER_VERSION,
  parse,
  requestSchema: ScanRequest,
} as const;

export default nmapTask;
