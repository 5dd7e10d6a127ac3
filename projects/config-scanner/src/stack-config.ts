import { stackConfigSchema, type StackConfig } from "@sec-an/components/config";
import { ConfigKeys } from "./config";

/**
 * The sec-an-config-scanner stack config: this project's keys plus `app` and `stage`, which every
 * project of a deployment shares. The program reads it, so a bad value fails `pulumi preview` naming
 * the key, and `stacks/config-scanner/` is checked against it.
 */
export const configSchema = stackConfigSchema(ConfigKeys.properties);
export type Config = StackConfig<typeof configSchema>;
