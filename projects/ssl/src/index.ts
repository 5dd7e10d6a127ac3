// Public index of the ssl project: its program, its scanner module, and the scanner and parser library.
import type * as Program from "./program";
export { sslTask, sslTask as scanner, scan, parse, PARSER_VERSION } from "./task";
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
/** The stack-config schema (namespace: the Pulumi.yaml name). */
export { configSchema } from "./stack-config";
/** The program as `pulumi up` runs it; loaded on first call, so the library above loads no Pulumi. */
export const runFromConfig: typeof Program.runFromConfig = (...args) =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("./program") as typeof Program).runFromConfig(...args);
