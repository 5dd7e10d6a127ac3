import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

type Conditions = Record<string, Record<string, string | string[]>>;

/** One IAM policy statement; resources and condition values may be deploy-time outputs. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Resource: pulumi.Input<string> | readonly pulumi.Input<string>[];
  readonly Condition?: pulumi.Input<Record<string, Record<string, pulumi.Input<string | string[]>>>>;
}

/** Statements, each possibly computed at deploy time (e.g. the action depends on an ARN's service). */
export type Statements = readonly pulumi.Input<PolicyStatement>[];

/** A statement after its inputs resolved, as it appears in the JSON document. */
export interface ResolvedStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Conditions;
}

const asList = <T>(v: T | readonly T[]): T[] => (Array.isArray(v) ? [...(v as readonly T[])] : [v as T]);

/**
 * Rejects grants no component should ever make: a wildcard action (`*`, `sqs:*`, `s3:Get*`) on every
 * resource, or a statement with no actions/resources. Throws naming the offending statement.
 */
export function assertLeastPrivilege(statements: readonly ResolvedStatement[]): void {
  statements.forEach((s, i) => {
    const actions = asList(s.Action);
    const resources = asList(s.Resource);
    if (actions.length === 0 || resources.length === 0)
      throw new Error(`policy statement ${i} has no actions or no resources`);
    if (resources.some((r) => typeof r !== "string" || r.length === 0))
      throw new Error(`policy statement ${i} has an empty resource`);
    if (s.Effect === "Allow" && resources.includes("*") && actions.some((a) => a.includes("*"))) {
      throw new Error(`policy statement ${i} allows wildcard action(s) ${JSON.stringify(actions)} on "*"`);
    }
  });
}

/** Resolves statements (Effect defaults to Allow) and checks them with {@link assertLeastPrivilege}. */
export function resolveStatements(statements: Statements): pulumi.Output<ResolvedStatement[]> {
  return (
    pulumi.output(statements as pulumi.Input<PolicyStatement>[]) as pulumi.Output<PolicyStatement[]>
  ).apply((list) => {
    const resolved = list.map((s): ResolvedStatement => {
      const out: ResolvedStatement = {
        Effect: s.Effect ?? "Allow",
        Action: Array.isArray(s.Action) ? [...s.Action] : (s.Action as string),
        Resource: Array.isArray(s.Resource) ? [...(s.Resource as string[])] : (s.Resource as string),
      };
      if (s.Sid) out.Sid = s.Sid;
      if (s.Condition) out.Condition = s.Condition as Conditions;
      return out;
    });
    assertLeastPrivilege(resolved);
    return resolved;
  });
}

/** `{"Version":"2012-10-17","Statement":[…]}` as a JSON string output. */
export function policyDocument(statements: Statements): pulumi.Output<string> {
  return resolveStatements(statements).apply((Statement) =>
    JSON.stringify({ Version: "2012-10-17", Statement }),
  );
}

/**
 * ARN of a resource in the deploying account and region, for grants on a resource whose physical name
 * is fixed by convention (it may belong to a stack deployed later, so no deploy-time lookup).
 */
export function accountArn(
  service: string,
  resource: string,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<string> {
  const partition = aws.getPartitionOutput({}, opts).partition;
  const region = aws.getRegionOutput({}, opts).region;
  const account = aws.getCallerIdentityOutput({}, opts).accountId;
  return pulumi.interpolate`arn:${partition}:${service}:${region}:${account}:${resource}`;
}

/** Trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}
