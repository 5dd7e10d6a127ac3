export { nmapTask, parse } from "./task";
export { PARSER_VERSION, parseNmapResult, readNmapXml } from "./parser";
export { portEvents, publishPortEvents, portEventAttributes, tlsPortsFilterPolicy, CASCADE_RULE } from "./cascade";
export { validateTarget, InvalidTargetError } from "./targets";
