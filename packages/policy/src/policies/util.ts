import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

/** Every rule here is mandatory: a violation blocks `pulumi up`. */
const base = { enforcementLevel: "mandatory" as const };

/**
 * Resource properties as the engine hands them over: untyped JSON whose shape depends on the resource
 * type. Rules probe them defensively (`p.a?.b`), so this is the package's one deliberate `any`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;
export type Props = Record<string, Loose>;

/** A resource rule for one or more type tokens; other types are skipped without a report. */
export function resourceRule(
  name: string,
  description: string,
  types: string[],
  check: (props: Props, report: ReportViolation, args: ResourceValidationArgs) => void,
  severity: "low" | "medium" | "high" | "critical" = "high",
): ResourceValidationPolicy {
  return {
    ...base,
    name,
    description,
    severity,
    validateResource: (args, report) => {
      if (types.includes(args.type)) check(args.props ?? {}, report, args);
    },
  };
}

export function stackRule(
  name: string,
  description: string,
  check: (resources: PolicyResource[], report: ReportViolation) => void,
  severity: "low" | "medium" | "high" | "critical" = "high",
): StackValidationPolicy {
  return {
    ...base,
    name,
    description,
    severity,
    validateStack: (args, report) => check(args.resources, report),
  };
}

export const ofType = (resources: PolicyResource[], ...types: string[]) =>
  resources.filter((r) => types.includes(r.type));

/** True when `dependent.props[key]` refers to `target`: by the engine's property dependencies, or by equal value. */
export function refersTo(
  dependent: PolicyResource,
  key: string,
  target: PolicyResource,
  targetValues: unknown[],
): boolean {
  if ((dependent.propertyDependencies?.[key] ?? []).some((d) => d.urn === target.urn)) return true;
  const v = dependent.props[key];
  return v !== undefined && v !== null && targetValues.some((t) => t !== undefined && t === v);
}

export function asArray<T>(v: T | T[] | undefined | null): T[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

export interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Principal?: string | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Statements of an IAM/resource policy given as a JSON string or an object; unknown or unparsable → []. */
export function statements(policy: unknown): Statement[] {
  let doc: Loose = policy;
  if (typeof policy === "string") {
    try {
      doc = JSON.parse(policy);
    } catch {
      return [];
    }
  }
  if (!doc || typeof doc !== "object") return [];
  return asArray(doc.Statement) as Statement[];
}

export function hasWildcardPrincipal(s: Statement): boolean {
  const p = s.Principal;
  if (p === "*") return true;
  if (p && typeof p === "object")
    return asArray(p.AWS).includes("*") || asArray((p as Loose)["*"]).length > 0;
  return false;
}

/** Condition keys that pin a `*` principal to a known source (account, resource, org or endpoint). */
const SCOPING_KEYS = [
  "aws:sourcearn",
  "aws:sourceaccount",
  "aws:sourceowner",
  "aws:principalorgid",
  "aws:principalaccount",
  "aws:sourcevpce",
  "aws:sourcevpc",
];

export function hasScopingCondition(s: Statement): boolean {
  return Object.values(s.Condition ?? {}).some((block) =>
    Object.keys(block ?? {}).some((k) => SCOPING_KEYS.includes(k.toLowerCase())),
  );
}

export const isAllow = (s: Statement) => (s.Effect ?? "Allow") === "Allow";
