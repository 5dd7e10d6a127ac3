// Public index of the config-scanner project: its scanner module (for the CLI, re-ingestion and the
// local run) and its program. Tools load the project only through this file.
import type * as Program from "./program";
export { scanner } from "./scanner";
export { configSchema } from "./stack-config";
/** For `sec-an local --event --resources`: the real handler with EC2 answered from a file. */
export { setEc2For } from "./scan";
export { describeFile, ec2FromDescribe } from "./collect/file";
/** For `sec-an aws-scan`: the plugin engine (pure, no AWS client). */
export * as engine from "./engine";
/** The program as `pulumi up` runs it; loaded on first call, so the scanner module above loads no Pulumi. */
export const runFromConfig: typeof Program.runFromConfig = (...args) =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("./program") as typeof Program).runFromConfig(...args);
