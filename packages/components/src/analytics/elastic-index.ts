import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  DocFields,
  readAlias,
  versionedIndexName,
  withDocFieldMappings,
  writeAlias,
  type Deployment,
  type IndexSpec,
} from "@sec-an/contracts";
import { KibanaSavedObject, adminFunction } from "./kibana-saved-object";

export interface ElasticIndexArgs {
  /** Name of the analytics-platform admin Lambda; default: its SSM export (`Params.esAdminFunctionName`) for `deployment`. */
  adminFunctionName?: pulumi.Input<string>;
  /** Needed only when `adminFunctionName` is not given. */
  deployment?: Deployment;
  /** Logical index, from `indexBase(task, docType, flavour)`, e.g. `nmap_ports_snapshot`. */
  base: string;
  /** Mapping (`{properties: …}`); the ingestor's `__ParentKey`… fields are added unless `collection: false`. */
  mappings: Record<string, unknown>;
  settings?: Record<string, unknown>;
  /** Documents come from DocumentCollections (default true): add the collection field mappings. */
  collection?: boolean;
  /** Delete the index on destroy even when it holds documents (default false: destroy fails instead). */
  forceDestroy?: boolean;
  /** Create a Dashboards index pattern for the `.read` alias (default true). */
  indexPattern?: boolean;
  /** Time field of the index pattern (default `scan_end_time` for collections, none otherwise). */
  timeField?: string;
}

/**
 * A managed OpenSearch index: a physical index named by a hash of its mapping and settings, behind
 * `${base}.write` and `${base}.read`. A mapping change creates the new physical index, reindexes and
 * flips both aliases; no change is no operation; destroy refuses to drop documents unless forceDestroy.
 * Also creates the index pattern for the read alias, so views can reference `indexPatternId`.
 */
export class ElasticIndex extends pulumi.ComponentResource {
  readonly indexName: string;
  readonly writeAlias: string;
  readonly readAlias: string;
  readonly indexPatternId?: string;
  readonly invocation: aws.lambda.Invocation;
  readonly result: pulumi.Output<string>;

  constructor(name: string, args: ElasticIndexArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:analytics:ElasticIndex", name, {}, opts);
    const collection = args.collection ?? true;
    const mappings = collection ? withDocFieldMappings(args.mappings) : args.mappings;
    const settings = args.settings ?? {};
    this.indexName = versionedIndexName(args.base, { mappings, settings });
    this.writeAlias = writeAlias(args.base);
    this.readAlias = readAlias(args.base);
    const functionName = adminFunction(args, { parent: this });
    const spec: IndexSpec = {
      kind: "index",
      base: args.base,
      index: this.indexName,
      mappings,
      settings,
      forceDestroy: args.forceDestroy ?? false,
    };
    this.invocation = new aws.lambda.Invocation(
      `${name}-index`,
      { functionName, input: JSON.stringify(spec), lifecycleScope: "CRUD" },
      { parent: this },
    );
    this.result = this.invocation.result;
    if (args.indexPattern ?? true) {
      const timeField = args.timeField ?? (collection ? DocFields.scanEndTime : undefined);
      const pattern = new KibanaSavedObject(
        `${name}-pattern`,
        {
          adminFunctionName: functionName,
          type: "index-pattern",
          logicalName: args.base,
          title: this.readAlias,
          template: {
            attributes: { title: "${object_title}", ...(timeField ? { timeFieldName: timeField } : {}) },
          },
        },
        { parent: this, dependsOn: [this.invocation] },
      );
      this.indexPatternId = pattern.objectId;
    }
    this.registerOutputs({
      indexName: this.indexName,
      writeAlias: this.writeAlias,
      readAlias: this.readAlias,
      indexPatternId: this.indexPatternId,
      result: this.result,
    });
  }
}
