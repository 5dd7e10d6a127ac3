import { runProgram, setupPulumiMocks, stackConfig } from "@sec-an/testing";
import { parseConfig } from "../src/config";
import { program } from "../src/program";

/** The dev stack's settings from the given stack config values (defaults for the rest). */
export const devConfig = (values: Record<string, string> = {}) => parseConfig(stackConfig(values), "dev");

/** The whole shared-infra program for the dev stack under fresh Pulumi mocks; resolves to its outputs. */
export function runSharedInfra(values: Record<string, string> = {}) {
  setupPulumiMocks({ project: "sec-an-shared-infra", stack: "dev" });
  return runProgram(() => program(devConfig(values)));
}
