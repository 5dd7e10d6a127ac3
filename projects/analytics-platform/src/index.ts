// Public index of the analytics-platform project. The program loads on first call, so tools that only
// need the library below do not load the Pulumi SDK.
import type * as Program from "./program";

export const runFromConfig: typeof Program.runFromConfig = (...args) =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("./program") as typeof Program).runFromConfig(...args);
