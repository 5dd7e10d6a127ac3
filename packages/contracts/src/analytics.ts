// Contracts specific to the analytics area (owned by that area; imported by its handlers and programs).
import { Type, type Static } from "@sinclair/typebox";
import { keyHash } from "./canonical";
import { IngestFields } from "./messages";
import { DocFields } from "./names";

/** Environment variable naming the OpenSearch endpoint directly (local runs, tests); otherwise SSM. */
export const OPENSEARCH_URL_ENV = "SEC_AN_OPENSEARCH_URL";

/** Mapping of the fields the ingestor adds to every collection document (keywords so term queries match). */
export const DOC_FIELD_MAPPINGS = {
  [DocFields.parentKey]: { type: "keyword" },
  [DocFields.nonTemporalKey]: { type: "keyword" },
  [DocFields.temporalKey]: { type: "keyword" },
  [DocFields.scanId]: { type: "keyword" },
  [DocFields.scanStartTime]: { type: "date" },
  [DocFields.scanEndTime]: { type: "date" },
  [DocFields.task]: { type: "keyword" },
  [DocFields.rawKey]: { type: "keyword" },
  [DocFields.parserVersion]: { type: "keyword" },
  // The ingest generation (external version) is compared numerically by the clean-ups.
  [IngestFields.generation]: { type: "long" },
} as const;

/** `mappings` with the collection fields added (a task's own definition of a field wins). */
export function withDocFieldMappings(mappings: Record<string, unknown>): Record<string, unknown> {
  const props = (mappings.properties ?? {}) as Record<string, unknown>;
  return { ...mappings, properties: { ...DOC_FIELD_MAPPINGS, ...props } };
}

const Json = Type.Record(Type.String(), Type.Unknown());
const Base = Type.String({ pattern: "^[a-z][a-z0-9_-]{0,120}$" });

/** One managed index: a physical versioned name behind `${base}.write` / `${base}.read`. */
export const IndexSpec = Type.Object(
  {
    kind: Type.Literal("index"),
    base: Base,
    /** `versionedIndexName(base, {mappings, settings})`. */
    index: Type.String({ pattern: "^[a-z][a-z0-9_.-]{0,200}$" }),
    mappings: Json,
    settings: Json,
    /** Delete the index on destroy even when it holds documents. */
    forceDestroy: Type.Boolean(),
  },
  { title: "IndexSpec" },
);
export type IndexSpec = Static<typeof IndexSpec>;

export const SAVED_OBJECT_TYPES = [
  "index-pattern",
  "search",
  "visualization",
  "dashboard",
  "config",
] as const;
export type SavedObjectType = (typeof SAVED_OBJECT_TYPES)[number];

/** One Dashboards saved object with a stable id. */
export const SavedObjectSpec = Type.Object(
  {
    kind: Type.Literal("saved-object"),
    type: Type.Union(SAVED_OBJECT_TYPES.map((t) => Type.Literal(t))),
    id: Type.String({ pattern: "^[A-Za-z0-9_-]{1,100}$" }),
    attributes: Json,
    references: Type.Array(Json),
  },
  { title: "SavedObjectSpec" },
);
export type SavedObjectSpec = Static<typeof SavedObjectSpec>;

/**
 * A fine-grained-access-control role and the IAM roles mapped to it. Built-in roles (`readall`,
 * `opensearch_dashboards_user`, …) are only mapped: give no `permissions` for them.
 */
export const SecurityRoleSpec = Type.Object(
  {
    kind: Type.Literal("security-role"),
    name: Type.String({ pattern: "^[a-z][a-z0-9_]{0,63}$" }),
    permissions: Type.Optional(
      Type.Object({
        cluster_permissions: Type.Array(Type.String({ minLength: 1 })),
        index_permissions: Type.Array(
          Type.Object({
            index_patterns: Type.Array(Type.String({ minLength: 1 })),
            allowed_actions: Type.Array(Type.String({ minLength: 1 })),
          }),
        ),
      }),
    ),
    /** IAM role ARNs (FGAC backend roles). */
    backendRoles: Type.Array(Type.String({ pattern: "^arn:aws[a-z-]*:iam::\\d{12}:role/" }), { minItems: 1 }),
  },
  { title: "SecurityRoleSpec" },
);
export type SecurityRoleSpec = Static<typeof SecurityRoleSpec>;

export const AdminSpec = Type.Union([IndexSpec, SavedObjectSpec, SecurityRoleSpec], { title: "AdminSpec" });
export type AdminSpec = Static<typeof AdminSpec>;

/**
 * What the admin Lambda receives from `aws.lambda.Invocation` with `lifecycleScope: "CRUD"`: the spec,
 * plus (from the provider) `tf: { action, prev_input }`. Without `tf` it is a plain create.
 */
export const AdminEvent = Type.Intersect(
  [
    AdminSpec,
    Type.Object({
      tf: Type.Optional(
        Type.Object({
          action: Type.Union([Type.Literal("create"), Type.Literal("update"), Type.Literal("delete")]),
          prev_input: Type.Optional(Type.Unknown()),
        }),
      ),
    }),
  ],
  { title: "AdminEvent" },
);
export type AdminEvent = Static<typeof AdminEvent>;

/** What the admin Lambda returns (the Invocation's `result`). */
export interface AdminResult {
  kind: "index" | "saved-object" | "security-role";
  action: "created" | "migrated" | "unchanged" | "updated" | "deleted" | "absent";
  /** Physical index, or saved-object id. */
  id: string;
  /** Documents copied from the previous physical index (migrations only). */
  copied?: number;
}

/** Stable saved-object id from its type and a logical name: never content- or title-based. */
export function savedObjectId(type: SavedObjectType, logicalName: string): string {
  if (!/^[a-z0-9][a-z0-9_.-]{0,120}$/.test(logicalName))
    throw new Error(`invalid saved-object logical name ${JSON.stringify(logicalName)}`);
  const h = keyHash({ type, name: logicalName });
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Render a saved-object template: every `${name}` in every string is replaced by `vars[name]`. An
 * unknown placeholder is an error (a typo must fail the deploy, not ship a broken view), and values
 * may not carry `"` or `\`, because templates embed JSON inside strings (visState, searchSourceJSON).
 */
export function renderTemplate<T>(template: T, vars: Readonly<Record<string, string>>): T {
  for (const [k, v] of Object.entries(vars)) {
    if (/["\\]/.test(v)) throw new Error(`template value for ${k} must not contain '"' or '\\'`);
  }
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === "string") {
      return v.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
        if (!Object.prototype.hasOwnProperty.call(vars, name))
          throw new Error(
            `template placeholder \${${name}} at ${path} has no value (known: ${Object.keys(vars).join(", ") || "none"})`,
          );
        return vars[name];
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, `${path}.${k}`)]));
    return v;
  };
  return walk(template, "$") as T;
}

/** Suffix of the objects the dead-letter recorder writes (the reporter's S3 notification filter). */
export const DEAD_LETTER_OBJECT_SUFFIX = ".json.gz";
