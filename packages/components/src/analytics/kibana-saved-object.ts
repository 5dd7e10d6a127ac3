import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  Params,
  renderTemplate,
  savedObjectId,
  type Deployment,
  type SavedObjectSpec,
  type SavedObjectType,
} from "@sec-an/contracts";
import { ssmParam } from "../core/ssm";

/** The admin function's name: given, or analytics-platform's SSM export for the deployment. */
export function adminFunction(
  args: { adminFunctionName?: pulumi.Input<string>; deployment?: Deployment },
  opts: pulumi.InvokeOutputOptions,
): pulumi.Input<string> {
  if (args.adminFunctionName !== undefined) return args.adminFunctionName;
  if (!args.deployment) throw new Error("give adminFunctionName or deployment (to read it from SSM)");
  return ssmParam(args.deployment, Params.esAdminFunctionName, opts);
}

export interface KibanaSavedObjectArgs {
  /** Name of the analytics-platform admin Lambda; default: its SSM export (`Params.esAdminFunctionName`) for `deployment`. */
  adminFunctionName?: pulumi.Input<string>;
  /** Needed only when `adminFunctionName` is not given. */
  deployment?: Deployment;
  type: SavedObjectType;
  /** Logical name, unique per type (e.g. "dead-letters"): the stable object id is derived from it. */
  logicalName: string;
  /** Shown in Dashboards; substituted for `${object_title}`. */
  title: string;
  /** Saved-object JSON (`{attributes, references?}`) with `${…}` placeholders. */
  template: { attributes: Record<string, unknown>; references?: Record<string, unknown>[] };
  /** Values for the other placeholders, e.g. `{ index: indexPatternId, search_id: … }`. */
  substitutions?: Record<string, pulumi.Input<string>>;
}

/**
 * One OpenSearch Dashboards saved object (index pattern, search, visualisation, dashboard), managed by
 * the admin Lambda through an `aws.lambda.Invocation` with `lifecycleScope: "CRUD"`: created (409 →
 * update), updated in place, deleted on destroy (404 = success). Its id is stable (type + logical name),
 * so dependants can reference it and nothing else is ever touched.
 */
export class KibanaSavedObject extends pulumi.ComponentResource {
  readonly objectId: string;
  readonly invocation: aws.lambda.Invocation;
  /** The admin Lambda's JSON result. */
  readonly result: pulumi.Output<string>;

  constructor(name: string, args: KibanaSavedObjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:analytics:KibanaSavedObject", name, {}, opts);
    this.objectId = savedObjectId(args.type, args.logicalName);
    const input = pulumi.output(args.substitutions ?? {}).apply((subs) => {
      // Render now: an unknown placeholder fails `pulumi preview`, not a later deploy step.
      const rendered = renderTemplate(args.template, { ...subs, object_title: args.title });
      const spec: SavedObjectSpec = {
        kind: "saved-object",
        type: args.type,
        id: this.objectId,
        attributes: rendered.attributes,
        references: rendered.references ?? [],
      };
      return JSON.stringify(spec);
    });
    this.invocation = new aws.lambda.Invocation(
      `${name}-object`,
      { functionName: adminFunction(args, { parent: this }), input, lifecycleScope: "CRUD" },
      { parent: this },
    );
    this.result = this.invocation.result;
    this.registerOutputs({ objectId: this.objectId, result: this.result });
  }
}
