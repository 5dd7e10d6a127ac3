import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_APP, paramName, type Deployment, type ParamDef } from "@sec-an/contracts";
import type { PolicyStatement } from "./iam";

/** Minimal config reader (a `pulumi.Config` satisfies it). */
export interface ConfigLike {
  get(key: string): string | undefined;
}

/**
 * The deployment a stack belongs to: config `app` (default "sec-an") and `stage` (default the stack
 * name). Validated here so a bad value fails the program before any resource is registered.
 */
export function readDeployment(config: ConfigLike, stackName: string = pulumi.getStack()): Deployment {
  const deployment = { app: config.get("app") ?? DEFAULT_APP, stage: config.get("stage") ?? stackName };
  paramName(deployment, { path: "/", producer: "shared-code", type: "String", description: "" }); // throws on bad app/stage
  return deployment;
}

/** Values exported earlier in this program, by full parameter name (used when wiring directly). */
const exportedInProgram = new Map<string, pulumi.Output<string>>();
let wireDirectly = false;

/**
 * For a program that composes several projects in one stack (the all-in-one stack): from now on a
 * deploy-time read of a parameter that an earlier project of the same program exports takes that
 * project's output directly (seed 001), instead of an SSM lookup that a fresh stack could not answer.
 */
export function wireExportsDirectly(on = true): void {
  wireDirectly = on;
  exportedInProgram.clear();
}

/**
 * Reads a parameter another project published, at deploy time. Use only where a resource argument
 * needs the value (IAM ARNs, event sources, subscriptions); handlers read late, at run time.
 */
export function ssmParam(
  deployment: Deployment,
  def: ParamDef,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<string> {
  const name = paramName(deployment, def);
  const direct = wireDirectly ? exportedInProgram.get(name) : undefined;
  return direct ?? aws.ssm.getParameterOutput({ name }, opts).value;
}

/** ARN of a parameter in the deploying account and region. */
export function ssmParamArn(
  deployment: Deployment,
  def: ParamDef,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<string> {
  const partition = aws.getPartitionOutput({}, opts).partition;
  const region = aws.getRegionOutput({}, opts).region;
  const account = aws.getCallerIdentityOutput({}, opts).accountId;
  return pulumi.interpolate`arn:${partition}:ssm:${region}:${account}:parameter${paramName(deployment, def)}`;
}

/** Lets a handler read the given parameters late (Powertools `getParameter`/`getParameters`). */
export function ssmReadStatement(
  deployment: Deployment,
  defs: readonly ParamDef[],
  opts?: pulumi.InvokeOutputOptions,
): PolicyStatement {
  if (defs.length === 0) throw new Error("ssmReadStatement needs at least one parameter");
  return {
    Sid: "ReadOwnParameters",
    Action: ["ssm:GetParameter", "ssm:GetParameters"],
    Resource: defs.map((d) => ssmParamArn(deployment, d, opts)),
  };
}

export interface SsmExport {
  readonly def: ParamDef;
  /** A StringList takes a list (stored comma-joined, as SSM does). */
  readonly value: pulumi.Input<string> | pulumi.Input<pulumi.Input<string>[]>;
}

export interface SsmExportsArgs<K extends string> {
  readonly deployment: Deployment;
  readonly values: Record<K, SsmExport>;
  readonly tags?: Record<string, string>;
}

/** Stored form of a value: StringList values are comma-joined and must not contain commas themselves. */
export function ssmValue(def: ParamDef, value: string | string[]): string {
  if (Array.isArray(value)) {
    if (def.type !== "StringList") throw new Error(`${def.path} is a String parameter but got a list`);
    if (value.some((v) => v.includes(",")))
      throw new Error(`${def.path}: StringList items may not contain ","`);
    return value.join(",");
  }
  if (value.length === 0) throw new Error(`${def.path}: SSM parameters cannot be empty`);
  return value;
}

/**
 * Publishes values under their catalogue names (`/${app}/${stage}${def.path}`) and exposes the same
 * values as outputs (`values[key]`), so a stack's outputs and its SSM exports never disagree.
 */
export class SsmExports<K extends string> extends pulumi.ComponentResource {
  public readonly parameters: Record<K, aws.ssm.Parameter>;
  public readonly values: Record<K, pulumi.Output<string>>;

  constructor(name: string, args: SsmExportsArgs<K>, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:core:SsmExports", name, {}, opts);
    const parameters = {} as Record<K, aws.ssm.Parameter>;
    const values = {} as Record<K, pulumi.Output<string>>;
    const seen = new Map<string, string>();
    for (const key of Object.keys(args.values) as K[]) {
      const { def, value } = args.values[key];
      const full = paramName(args.deployment, def);
      if (seen.has(full)) throw new Error(`${full} exported twice (${seen.get(full)} and ${key})`);
      seen.set(full, key);
      const stored = pulumi.output(value as pulumi.Input<string | string[]>).apply((v) => ssmValue(def, v));
      // Catalogue values are never secrets: `insecureValue` keeps them readable in previews and state.
      parameters[key] = new aws.ssm.Parameter(
        `${name}-${key}`,
        {
          name: full,
          type: def.type,
          insecureValue: stored,
          description: def.description,
          tier: "Standard",
          tags: args.tags,
        },
        { parent: this },
      );
      values[key] = stored;
      if (wireDirectly) exportedInProgram.set(full, stored);
    }
    this.parameters = parameters;
    this.values = values;
    this.registerOutputs({ values });
  }
}
