// Library surface of the nmap project (no Pulumi imports): the task module for the CLI, re-ingestion
// and the local runner, the parser, and the cascade helpers.
export { nmapTask, parse, cascades, type CascadeMessage } from "./task";
export { PARSER_VERSION, parseNmapResult, readNmapXml } from "./parser";
export {
  portEvents,
  publishPortEvents,
  portEventAttributes,
  tlsPortsFilterPolicy,
  CASCADE_RULE,
} from "./cascade";
export { validateTarget, InvalidTargetError } from "./targets";
export { processRawResult } from "./handlers/process";
