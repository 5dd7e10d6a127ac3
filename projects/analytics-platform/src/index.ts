// Public index of the analytics-platform project: its program, and the storage seam the handlers use
// (a local runner implements it on an embedded database and installs it with setStoreOverride). The
// program loads on first call, so tools that only need the library do not load the Pulumi SDK.
import type * as Program from "./program";

export type * from "./store/types";
export { setStoreOverride, type AnalyticsStore } from "./store/resolve";
export { planMessage, type IngestPlan } from "./ingest/plan";

export const runFromConfig: typeof Program.runFromConfig = (...args) =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("./program") as typeof Program).runFromConfig(...args);
/** The stack-config schema (namespace: the Pulumi.yaml name). */
export { configSchema } from "./stack-config";
