// Public index of the nmap project: its program, its scanner module (for the CLI, re-ingestion and the
// local runner), the parser and the cascade helpers.
import type * as Program from "./program";
export { nmapTask, nmapTask as scanner, parse, cascades, type CascadeMessage } from "./task";
export {
  PARSER_VERSION,
  parseNmapResult,
  readNmapXml,
  DOCUMENT_DATA_BYTES,
  HostStage,
  MAX_FIELD_CHARS,
} from "./parser";
export {
  portEvents,
  publishPortEvents,
  portEventAttributes,
  tlsPortsFilterPolicy,
  CASCADE_RULE,
} from "./cascade";
export { validateTarget, InvalidTargetError } from "./targets";
export { processRawResult } from "./handlers/process";
export type { ProgramInputs } from "./program";
/** The stack-config schema (namespace: the Pulumi.yaml name). */
export { configSchema } from "./config";
/**
 * The program as `pulumi up` runs it; loaded on first call, so the library above loads no Pulumi.
 * Without inputs the image is built from container/ unless the stack configures a prebuilt `image`.
 */
export const runFromConfig: typeof Program.runFromConfig = (stack, inputs) =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("./program") as typeof Program).runFromConfig(stack, inputs ?? { imageContext: buildContext });

function buildContext() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../container/build") as typeof import("../container/build")).prepareImageContext();
}
