import * as pulumi from "@pulumi/pulumi";
import { ElasticIndex, KibanaSavedObject } from "@sec-an/components";
import { sslIndexes, sslViews } from "./views";

export interface SslViewsArgs {
  /** Name of the analytics admin Lambda that manages indices and saved objects. */
  readonly adminFunctionName: pulumi.Input<string>;
  /** Let destroy drop indices that hold documents (ephemeral stacks). */
  readonly forceDestroy?: boolean;
}

/** The ssl indices (snapshot + history per document type) and the searches, visualisations and dashboard. */
export class SslViews extends pulumi.ComponentResource {
  readonly indexes: ElasticIndex[];
  readonly objects: KibanaSavedObject[];

  constructor(name: string, args: SslViewsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:ssl:Views", name, {}, opts);
    const byName = new Map<string, pulumi.Resource>();
    this.indexes = sslIndexes().map((ix) => {
      const index = new ElasticIndex(
        `${name}-${ix.base}`,
        {
          adminFunctionName: args.adminFunctionName,
          base: ix.base,
          mappings: ix.mappings,
          forceDestroy: args.forceDestroy,
        },
        { parent: this },
      );
      byName.set(ix.base, index);
      return index;
    });
    this.objects = sslViews().map((v) => {
      const obj = new KibanaSavedObject(
        `${name}-${v.type}-${v.logicalName}`,
        {
          adminFunctionName: args.adminFunctionName,
          type: v.type,
          logicalName: v.logicalName,
          title: v.title,
          template: v.template,
          substitutions: v.substitutions,
        },
        {
          parent: this,
          dependsOn: v.dependsOn.map((d) => byName.get(d)).filter((r): r is pulumi.Resource => !!r),
        },
      );
      byName.set(v.logicalName, obj);
      return obj;
    });
    this.registerOutputs({
      indexes: this.indexes.map((i) => i.readAlias),
      objects: this.objects.map((o) => o.objectId),
    });
  }
}
