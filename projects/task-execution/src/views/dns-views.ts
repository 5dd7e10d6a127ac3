import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Deployment } from "@sec-an/contracts";
import { DynamoElasticSync, ElasticIndex, KibanaSavedObject } from "@sec-an/components";
import { INDICES, SAVED_OBJECTS, SYNCS, objectRef, type Source, type TableKey } from "./definitions";

export interface DnsViewsArgs {
  readonly deployment: Deployment;
  /** Physical name prefix (`${stage}-${app}`). */
  readonly prefix: string;
  /** The synced tables (streams NEW_AND_OLD_IMAGES). */
  readonly tables: Record<TableKey, aws.dynamodb.Table>;
  /** Analytics-platform admin Lambda that manages indices and saved objects. */
  readonly adminFunctionName: pulumi.Input<string>;
  /** Saved-object id of the analytics platform's Dead Letters visualisation. */
  readonly deadLetterVisId: pulumi.Input<string>;
  readonly tags?: Record<string, string>;
}

/** Stable logical name of one of our saved objects (ids derive from type + this). */
export const logicalName = (key: string) => `task-execution.${key}`;

/**
 * The DNS data in OpenSearch: each synced table's stream feeds the ingest queue, into indices whose
 * mappings this project owns, with the searches, visualisations and dashboards of reference §5.3.
 */
export class DnsViews extends pulumi.ComponentResource {
  public readonly syncs: DynamoElasticSync[];
  public readonly indices: Record<string, ElasticIndex> = {};
  public readonly objects: Record<string, KibanaSavedObject> = {};

  constructor(name: string, args: DnsViewsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:task-execution:DnsViews", name, {}, opts);
    const parent = { parent: this };
    for (const ix of INDICES) {
      this.indices[ix.key] = new ElasticIndex(
        `${name}-${ix.base.replace(/_/g, "-")}`,
        {
          adminFunctionName: args.adminFunctionName,
          base: ix.base,
          mappings: ix.mappings,
          ...(ix.timeField ? { timeField: ix.timeField } : {}),
        },
        parent,
      );
    }
    // Indices exist before documents flow.
    const allIndices = Object.values(this.indices);
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

    const value = (src: Source): pulumi.Input<string> => {
      if ("param" in src) return args.deadLetterVisId;
      if ("index" in src) {
        const id = this.indices[src.index]?.indexPatternId;
        if (!id) throw new Error(`DNS views: no index pattern for ${src.index}`);
        return id;
      }
      const o = this.objects[src.object];
      if (!o) throw new Error(`DNS views: ${src.object} is used before it is defined`);
      return o.objectId;
    };
    for (const def of SAVED_OBJECTS) {
      const deps = Object.values(def.substitutions).flatMap((src): pulumi.Resource[] =>
        "index" in src ? [this.indices[src.index]] : "object" in src ? [this.objects[src.object]] : [],
      );
      this.objects[objectRef(def)] = new KibanaSavedObject(
        `${name}-${def.type}-${def.key}`,
        {
          adminFunctionName: args.adminFunctionName,
          type: def.type,
          logicalName: logicalName(def.key),
          title: def.title,
          template: def.template,
          substitutions: Object.fromEntries(
            Object.entries(def.substitutions).map(([k, src]) => [k, value(src)]),
          ),
        },
        { parent: this, dependsOn: deps },
      );
    }
    this.registerOutputs({});
  }
}
