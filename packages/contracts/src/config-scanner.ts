import { Type, type Static } from "@sinclair/typebox";
import { indexBase } from "./names";

/**
 * The config-scanner's names: its task, document type and indices, the findings-state table's fields,
 * the alert attributes subscribers filter on, its environment, and the requests its queue carries.
 * Producers (the program, the handler, the parser) and readers (views, `sec-an local`) use these only.
 */

/** Task name = project folder: names the queue, functions, SSM parameters and indices. */
export const CONFIG_SCANNER_TASK = "config-scanner";

/**
 * One document per plugin finding. Indices are named after the task (the ingest role is granted
 * `{task}_*`), so the config findings live in `config-scanner_findings_snapshot` and `…_history`.
 */
export const ConfigDocType = { findings: "findings" } as const;
export const ConfigFindingsIndex = {
  snapshot: indexBase(CONFIG_SCANNER_TASK, ConfigDocType.findings, "snapshot"),
  history: indexBase(CONFIG_SCANNER_TASK, ConfigDocType.findings, "history"),
} as const;

export const FindingStatus = Type.Union(
  [Type.Literal("OK"), Type.Literal("WARN"), Type.Literal("FAIL"), Type.Literal("UNKNOWN")],
  { title: "FindingStatus" },
);
export type FindingStatus = Static<typeof FindingStatus>;
export const FindingSeverity = Type.Union(
  [Type.Literal("low"), Type.Literal("medium"), Type.Literal("high"), Type.Literal("critical")],
  { title: "FindingSeverity" },
);

/**
 * A finding document as the parser posts it. `public_ips`/`private_ips` are those of the network
 * interfaces the group is attached to, so a dashboard can put nmap's open ports on those addresses
 * beside the finding (the nmap documents' `address` field).
 */
export const ConfigFindingDoc = Type.Object(
  {
    plugin: Type.String(),
    title: Type.String(),
    status: FindingStatus,
    severity: FindingSeverity,
    /** FAIL of a world-open plugin: the group lets the whole internet in on `ports`. */
    open_to_world: Type.Boolean(),
    region: Type.String(),
    account: Type.String(),
    resource: Type.String(),
    group_id: Type.String(),
    group_name: Type.Optional(Type.String()),
    vpc_id: Type.Optional(Type.String()),
    /** Ports named by the finding's evidence (empty when it names none). */
    ports: Type.Array(Type.Integer()),
    message: Type.String(),
    in_use: Type.Boolean(),
    eni_ids: Type.Array(Type.String()),
    public_ips: Type.Array(Type.String()),
    private_ips: Type.Array(Type.String()),
    /** What caused the evaluation: a CloudTrail event name, or `sweep`. */
    trigger: Type.String(),
    evidence: Type.String(),
  },
  { title: "ConfigFindingDoc", additionalProperties: false },
);
export type ConfigFindingDoc = Static<typeof ConfigFindingDoc>;

/** Status kept in the state table for a group that no longer exists. */
export const REMOVED = "REMOVED";
export type StateStatus = FindingStatus | typeof REMOVED;

/** Findings-state table: one item per (plugin, resource) holding its current status. */
export const ConfigStateTable = {
  partitionKey: "plugin",
  sortKey: "resource",
  status: "status",
  severity: "severity",
  region: "region",
  account: "account",
  /** Set with the status when a transition needs an alert, removed once it is published. */
  alertPending: "alert_pending",
  updatedAt: "updated_at",
} as const;

/** The table's key as DynamoDB's CreateTable takes it (the program, `sec-an local` and tests create it). */
export const ConfigStateTableKeys = {
  AttributeDefinitions: [
    { AttributeName: ConfigStateTable.partitionKey, AttributeType: "S" as const },
    { AttributeName: ConfigStateTable.sortKey, AttributeType: "S" as const },
  ],
  KeySchema: [
    { AttributeName: ConfigStateTable.partitionKey, KeyType: "HASH" as const },
    { AttributeName: ConfigStateTable.sortKey, KeyType: "RANGE" as const },
  ],
};

/** Message attributes of every alert (String), for subscription filter policies. */
export const ConfigAlertAttr = {
  /** A `String.Array`: every plugin whose status made the alert's transition on the group. */
  plugin: "plugin",
  status: "status",
  severity: "severity",
  account: "account",
  region: "region",
  /** `opened`, `resolved` or `changed`. */
  transition: "transition",
} as const;
export type AlertTransition = "opened" | "resolved" | "changed";

/** Environment of the config-scanner handler (none of it secret). */
export const ConfigScannerEnv = {
  stateTable: "CONFIG_SCANNER_STATE_TABLE",
  alertsTopicArn: "CONFIG_SCANNER_ALERTS_TOPIC_ARN",
  /** The account the handler runs in: events from it need no role. */
  homeAccount: "CONFIG_SCANNER_HOME_ACCOUNT",
  /** JSON `{ "<account id>": "<role ARN>" }`: member accounts and the read-only role to assume in each. */
  memberRoles: "CONFIG_SCANNER_MEMBER_ROLES",
} as const;

/** The daily sweep of one region (and account): every group, every plugin. */
/** An AWS region name (us-east-1, us-gov-west-1, eu-central-2): sweep requests and `sec-an aws-scan --region`. */
export const AWS_REGION_PATTERN = "^[a-z]{2}(-[a-z]+)+-\\d$";

export const SweepRequest = Type.Object(
  {
    sweep: Type.Literal(true),
    region: Type.String({ pattern: AWS_REGION_PATTERN }),
    account: Type.Optional(Type.String({ pattern: "^\\d{12}$" })),
  },
  { title: "SweepRequest", additionalProperties: false },
);
export type SweepRequest = Static<typeof SweepRequest>;

/**
 * An EventBridge "AWS API Call via CloudTrail" event, or a bare CloudTrail record: only its shape is
 * checked here (an object); what it means is the engine's `mapEvent`.
 */
export const CloudTrailInput = Type.Object(
  {
    detail: Type.Optional(Type.Object({})),
    eventName: Type.Optional(Type.String()),
  },
  { title: "CloudTrailInput" },
);

/** What the task queue carries: EventBridge events from the rules, and sweeps from the schedule. */
export const ConfigScanRequest = Type.Union([SweepRequest, CloudTrailInput], { title: "ConfigScanRequest" });
export type ConfigScanRequest = Static<typeof ConfigScanRequest>;

export const isSweep = (r: unknown): r is SweepRequest =>
  typeof r === "object" && r !== null && (r as { sweep?: unknown }).sweep === true;
