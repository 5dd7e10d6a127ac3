export { sslTask, scan, parse, PARSER_VERSION } from "./task";
export {
  scanTls,
  checkTarget,
  checkHostname,
  collectHostnames,
  createScan,
  optionsFromEnv,
  resolvedHostnames,
  hostsForAddress,
  type SslScanOptions,
} from "./scanner";
export { parseSslResult, chainStatus, protocolSummary, weakKey } from "./parser/parse";
export { sslIndexes, sslViews } from "./views";
