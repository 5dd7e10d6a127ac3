import { stackConfigSchema, type StackConfig } from "@sec-an/components/config";
import { ConfigKeys } from "./config";

/** The sec-an-threat-service stack config: this project's keys plus `app` and `stage`. */
export const configSchema = stackConfigSchema(ConfigKeys.properties);
export type Config = StackConfig<typeof configSchema>;
