// Public index of the shared-infra project: the program, for the tools that deploy or run it.
export { runFromConfig } from "./program";
/** The stack-config schema (namespace: the Pulumi.yaml name). */
export { configSchema } from "./config";
