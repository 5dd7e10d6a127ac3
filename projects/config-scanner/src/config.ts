import { Type, type Static } from "@sinclair/typebox";

const ACCOUNT = "^\\d{12}$";
const REGION = "^[a-z]{2}(-[a-z]+)+-\\d$";

/**
 * This project's keys of the sec-an-config-scanner stack config
 * (`stacks/config-scanner/Pulumi.<stack>.yaml`), with their defaults. Plain typebox, so the scanner
 * module (which the handlers import) carries it without the Pulumi components.
 */
export const ConfigKeys = Type.Object({
  /**
   * Regions whose security-group changes are watched and swept. The stack's own region receives the
   * events (its rule targets the queue); every other region forwards them to its default event bus.
   * Empty: the stack's region only.
   */
  regions: Type.Array(Type.String({ pattern: REGION }), {
    default: [],
    errorMessage: 'must be a JSON list of region names, e.g. ["eu-west-2","us-east-1"]',
  }),
  /**
   * Member accounts allowed to put their CloudTrail events on this account's default event bus (the
   * cross-account route; see docs/config-scanner.md).
   */
  memberAccounts: Type.Array(Type.String({ pattern: ACCOUNT }), {
    default: [],
    errorMessage: 'must be a JSON list of 12-digit account ids, e.g. ["111122223333"]',
  }),
  /**
   * Name of the read-only role the handler assumes in each member account to describe its groups.
   * Empty: member events cannot be evaluated and are dead-lettered with code `account-not-configured`.
   */
  memberRoleName: Type.String({ pattern: "^[\\w+=,.@-]{0,64}$", default: "" }),
  /** Address subscribed to the alerts topic (AWS mails a confirmation first); empty for none. */
  alertEmail: Type.String({ default: "" }),
  /** When the full sweep of every group runs (EventBridge schedule expression, UTC). */
  sweepSchedule: Type.String({ pattern: "^(rate|cron)\\(.+\\)$", default: "cron(15 3 * * ? *)" }),
  /** Handler timeout (s): a sweep describes every group of a region. */
  scanTimeout: Type.Integer({ minimum: 10, maximum: 900, default: 120 }),
  /** Handler memory (MB). */
  scanMemory: Type.Integer({ minimum: 128, maximum: 10240, default: 256 }),
  /** Create the indices and Dashboards objects (needs the analytics-platform stack). */
  views: Type.Boolean({ default: true }),
  /** Let destroy delete the results bucket, the state table and the indices (ephemeral stacks only). */
  forceDestroy: Type.Boolean({ default: false }),
});
export type ConfigValues = Static<typeof ConfigKeys>;
