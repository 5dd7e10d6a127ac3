import { Type, type Static } from "@sinclair/typebox";

/**
 * This project's keys of the sec-an-http-headers stack config (`stacks/http-headers/Pulumi.<stack>.yaml`),
 * with their defaults. Plain typebox, so the scanner module (which the Lambda handlers import) carries
 * it without the Pulumi components; `stack-config.ts` adds the keys every project shares.
 */
export const ConfigKeys = Type.Object({
  /** Scan Lambda timeout (s): one request with a 5 s bound per scan, so 30 s leaves room for a cold start. */
  scanTimeout: Type.Integer({ minimum: 10, maximum: 900, default: 30 }),
  /** Scan Lambda memory (MB). */
  scanMemory: Type.Integer({ minimum: 128, maximum: 10240, default: 256 }),
  /** Create the indices and Dashboards objects (needs the analytics-platform stack). */
  views: Type.Boolean({ default: true }),
  /** Let destroy delete a non-empty results bucket and indices (ephemeral stacks only). */
  forceDestroy: Type.Boolean({ default: false }),
});
export type ConfigValues = Static<typeof ConfigKeys>;
