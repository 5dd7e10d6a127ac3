import { DEFAULT_APP, type Deployment } from "@sec-an/contracts";
import {
  Kind,
  OptionalKind,
  Type,
  type Static,
  type TLiteral,
  type TObject,
  type TProperties,
  type TSchema,
} from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { ConfigLike } from "./ssm";

export type { ConfigLike };

/** Typebox's builder, so a project writes its stack-config schema against the same typebox as the reader. */
export { Type };

/**
 * Stack configuration, checked before a program creates anything: a bad value fails naming the key in
 * full (`config sec-an-nmap:cpu: …`), so `pulumi preview` stops at the first mistake.
 */
export class ConfigError extends Error {
  constructor(
    namespace: string,
    readonly key: string,
    reason: string,
  ) {
    super(`config ${namespace}:${key}: ${reason}`);
    this.name = "ConfigError";
  }
}

/** App and stage form the SSM prefix `/<app>/<stage>` and resource names: a path-safe segment each. */
const SEGMENT = "^[a-zA-Z0-9_.-]+$";
const deploymentKeys = {
  app: Type.Optional(
    Type.String({
      pattern: SEGMENT,
      default: DEFAULT_APP,
      errorMessage: "invalid app/stage: use A-Z a-z 0-9 _ . -",
    }),
  ),
  /** Defaults to the stack name, which a schema cannot hold. */
  stage: Type.Optional(
    Type.String({ pattern: SEGMENT, errorMessage: "invalid app/stage: use A-Z a-z 0-9 _ . -" }),
  ),
};

/**
 * A project's stack-config schema: its own keys plus `app` and `stage`, which every project of a
 * deployment shares. Defaults live in the schema (`default`), and `errorMessage` on a key replaces the
 * generic reason in its error.
 */
export function stackConfigSchema<P extends TProperties>(props: P) {
  return Type.Object({ ...deploymentKeys, ...props }, { additionalProperties: false });
}

/** Keys `stackConfigSchema` adds to every project's schema. */
export const DEPLOYMENT_KEYS = Object.keys(deploymentKeys);

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** A log-retention key: one of the periods CloudWatch accepts. */
export const logRetentionDays = (def: (typeof LOG_RETENTION_DAYS)[number]) =>
  Type.Union(
    LOG_RETENTION_DAYS.map((d) => Type.Literal(d)),
    {
      default: def,
      errorMessage: `must be one of the CloudWatch retention periods ${LOG_RETENTION_DAYS.join(", ")}`,
    },
  );

/** The reason a value does not fit a key's schema, in words an operator can act on. */
function reason(schema: TSchema, value: unknown): string {
  if (typeof schema.errorMessage === "string") return schema.errorMessage;
  switch (schema[Kind]) {
    case "Integer":
    case "Number": {
      const what = schema[Kind] === "Integer" ? "an integer" : "a number";
      const { minimum: min, maximum: max } = schema as { minimum?: number; maximum?: number };
      if (min !== undefined && max !== undefined) return `must be ${what} ${min}..${max}`;
      if (min !== undefined) return `must be ${what} >= ${min}`;
      if (max !== undefined) return `must be ${what} <= ${max}`;
      return `must be ${what}`;
    }
    case "Boolean":
      return "must be true or false";
    case "Union": {
      const literals = (schema.anyOf as TSchema[]).filter((s) => s[Kind] === "Literal") as TLiteral[];
      if (literals.length === schema.anyOf.length)
        return `must be one of ${literals.map((l) => l.const).join(", ")}`;
      break;
    }
  }
  const first = Value.Errors(schema, value).First();
  if (!first) return "is not valid";
  return `${first.path ? `${first.path}: ` : ""}${first.message.replace(/^Expected/, "must be")}`;
}

/** Pulumi config holds strings (objects and lists as JSON): turn one into the key's type, or undefined. */
function coerce(raw: string, schema: TSchema): unknown {
  switch (schema[Kind]) {
    case "Integer":
    case "Number":
      return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : undefined;
    case "Boolean":
      return raw === "true" ? true : raw === "false" ? false : undefined;
    case "Union":
      // A choice among numbers (e.g. the retention periods CloudWatch accepts) is given as text.
      if ((schema.anyOf as TSchema[]).every((s) => s[Kind] === "Literal" && typeof s.const === "number"))
        return /^\d+$/.test(raw.trim()) ? Number(raw) : undefined;
      return raw;
    case "Array":
    case "Object":
    case "Record":
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return undefined;
      }
    default:
      return raw;
  }
}

/** One key's value: the default when unset, else the raw string converted and checked; throws naming the key. */
export function readConfigValue(
  namespace: string,
  key: string,
  schema: TSchema,
  raw: string | undefined,
): unknown {
  if (raw === undefined) {
    if (schema.default !== undefined) return structuredClone(schema.default);
    if (schema[OptionalKind] !== "Optional")
      throw new ConfigError(namespace, key, `required${schema.description ? `: ${schema.description}` : ""}`);
    return undefined;
  }
  // Pulumi config gives strings; a caller holding the value already (getObject) may pass it as is.
  const value = typeof raw === "string" ? coerce(raw, schema) : (raw as unknown);
  if (value === undefined || !Value.Check(schema, value))
    throw new ConfigError(namespace, key, `${reason(schema, value)}, got ${JSON.stringify(raw)}`);
  return value;
}

/** What `readStackConfig` returns: the schema's values, and the deployment they belong to. */
export type StackConfig<S extends TObject> = Static<S> & { readonly deployment: Deployment };

/**
 * A project's stack config, read and checked against its schema (see `stackConfigSchema`): every key
 * converted from Pulumi's strings, defaults filled in, and the first bad value reported as a
 * `ConfigError` naming `<namespace>:<key>`. `stage` defaults to the stack name.
 */
export function readStackConfig<S extends TObject>(
  cfg: ConfigLike,
  namespace: string,
  schema: S,
  stack: string,
): StackConfig<S> {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(schema.properties)) {
    const v = readConfigValue(namespace, key, s, cfg.get(key));
    if (v !== undefined) out[key] = v;
  }
  const stage = (out.stage as string | undefined) ?? stack;
  if (!new RegExp(SEGMENT).test(stage))
    throw new ConfigError(
      namespace,
      "stage",
      `invalid app/stage: the stack name ${JSON.stringify(stack)} is not a path segment`,
    );
  return {
    ...out,
    deployment: { app: (out.app as string | undefined) ?? DEFAULT_APP, stage },
  } as StackConfig<S>;
}
