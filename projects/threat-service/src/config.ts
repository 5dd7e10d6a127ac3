import { Type, type Static } from "@sinclair/typebox";
import { CTS_DEFAULT_NAME } from "@sec-an/contracts";

/** This project's keys of the sec-an-threat-service stack config (`stacks/threat-service/Pulumi.<stack>.yaml`). */
export const ConfigKeys = Type.Object({
  /** The service's name in its path, `/cts/{serviceName}`: what SOAR is registered with. */
  serviceName: Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,63}$", default: CTS_DEFAULT_NAME }),
  /** How long a completed search's hits are kept (seconds; the results table's TTL). */
  hitTtlSecs: Type.Integer({ minimum: 60, maximum: 30 * 86_400, default: 86_400 }),
  /** An owned address whose newest scan is older than this (seconds) is scanned when SOAR asks about it. */
  scanMaxAgeSecs: Type.Integer({ minimum: 0, maximum: 90 * 86_400, default: 86_400 }),
  /** Seconds between a waiting search's looks for its scan's documents. */
  recheckSecs: Type.Integer({ minimum: 1, maximum: 900, default: 60 }),
  /** The API stage this project deploys its routes to (its own: see the program). */
  apiStageName: Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$", default: "threat" }),
  /** Search worker Lambda timeout (s) and memory (MB). */
  searchTimeout: Type.Integer({ minimum: 10, maximum: 900, default: 60 }),
  searchMemory: Type.Integer({ minimum: 128, maximum: 10240, default: 512 }),
  /**
   * App clients of the platform's user pool whose tokens the authorizer accepts. Empty: the client
   * this project creates in the pool for CTS callers, and no other (a pool's other clients, e.g. the
   * Dashboards sign-in, are not meant to reach this API).
   */
  cognitoClientIds: Type.Array(Type.String({ pattern: "^[\\w+]{1,128}$" }), {
    default: [],
    errorMessage: 'must be a JSON list of Cognito app client ids, e.g. ["1example23456789"]',
  }),
});
export type ConfigValues = Static<typeof ConfigKeys>;
