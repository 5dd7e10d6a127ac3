import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Deployment } from "@sec-an/contracts";
import { DynamoElasticSync, Views } from "@sec-an/components";
import { SAVED_OBJECTS, SYNCS, logicalName, views } from "./definitions";

export { logicalName };

export interface DnsViewsArgs {
  readonly deployment: Deployment;
  /** Physical name prefix (`${stage}-${app}`). */
  readonly prefix: string;
  /** The synced tables (streams NEW_AND_OLD_IMAGES). */
  readonly tables: Record<string, aws.dynamodb.Table>;
  /** Analytics-platform admin Lambda that manages indices and saved objects. */
  readonly adminFunctionName: pulumi.Input<string>;
  /** Saved-object id of the analytics platform's Dead Letters visualisation (read late, from SSM). */
  readonly deadLetterVisId: pulumi.Input<string>;
  readonly tags?: Record<string, string>;
}

/**
 * The DNS data in OpenSearch: each synced table's stream feeds the ingest queue, into indices whose
 * mappings this project owns, with the views of views/views.json.
 */
export class DnsViews extends pulumi.ComponentResource {
  public readonly syncs: DynamoElasticSync[];
  public readonly views: Views;

  constructor(name: string, args: DnsViewsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:task-execution:DnsViews", name, {}, opts);
    this.views = new Views(
      name,
      {
        adminFunctionName: args.adminFunctionName,
        indexes: views.indexes,
        savedObjects: views.savedObjects,
        externalIds: { "visualization/dead-letters": args.deadLetterVisId },
        // Indices and objects were this component's own children, objects named by their keys.
        formerParent: this,
        formerNames: Object.fromEntries(
          SAVED_OBJECTS.map((o) => [
            `${name}-${o.type}-${o.logicalName}`,
            `${name}-${o.type}-${o.logicalName.slice(logicalName("").length)}`,
          ]),
        ),
      },
      { parent: this },
    );
    // Indices exist before documents flow.
    const allIndices = Object.values(this.views.indexes);
    this.syncs = SYNCS.map(
      (s) =>
        new DynamoElasticSync(
          `${args.prefix}-sync-${s.task.replace(/_/g, "-")}`,
          {
            deployment: args.deployment,
            streamArn: args.tables[s.table].streamArn,
            task: s.task,
            docType: s.docType,
            keyFields: s.keyFields,
            temporalKeyField: s.temporalKeyField,
            diffColumn: s.diffColumn,
            tags: args.tags,
          },
          { parent: this, dependsOn: allIndices },
        ),
    );
    this.registerOutputs({});
  }
}
