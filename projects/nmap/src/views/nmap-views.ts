import * as pulumi from "@pulumi/pulumi";
import { ElasticIndex, KibanaSavedObject } from "@sec-an/components";
import { INDICES, savedObjects, type Source } from "./definitions";

export interface NmapViewsArgs {
  /** Analytics-platform admin Lambda that manages indices and saved objects. */
  readonly adminFunctionName: pulumi.Input<string>;
}

/** Stable logical name of one of our saved objects (ids derive from type + this, never from titles). */
export const logicalName = (key: string) => `nmap.${key}`;

/** The nmap indices (snapshot + history per document type) and their Dashboards objects. */
export class NmapViews extends pulumi.ComponentResource {
  public readonly indices: Record<string, ElasticIndex> = {};
  public readonly objects: Record<string, KibanaSavedObject> = {};
  public readonly dashboardIds: string[] = [];

  constructor(name: string, args: NmapViewsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:nmap:NmapViews", name, {}, opts);
    for (const ix of INDICES) {
      this.indices[ix.key] = new ElasticIndex(
        `${name}-${ix.base.replace(/_/g, "-")}`,
        { adminFunctionName: args.adminFunctionName, base: ix.base, mappings: ix.mappings },
        { parent: this },
      );
    }
    const value = (src: Source): { value: string; dep: pulumi.Resource } => {
      if ("index" in src) {
        const ix = this.indices[src.index];
        if (!ix?.indexPatternId) throw new Error(`nmap views: no index pattern for ${src.index}`);
        return { value: ix.indexPatternId, dep: ix };
      }
      const o = this.objects[src.object];
      if (!o) throw new Error(`nmap views: ${src.object} is used before it is defined`);
      return { value: o.objectId, dep: o };
    };
    for (const def of savedObjects()) {
      const resolved = Object.entries(def.substitutions).map(([k, src]) => [k, value(src)] as const);
      this.objects[def.key] = new KibanaSavedObject(
        `${name}-${def.type}-${def.key}`,
        {
          adminFunctionName: args.adminFunctionName,
          type: def.type,
          logicalName: logicalName(def.key),
          title: def.title,
          template: def.template,
          substitutions: Object.fromEntries(resolved.map(([k, v]) => [k, v.value])),
        },
        { parent: this, dependsOn: resolved.map(([, v]) => v.dep) },
      );
      if (def.type === "dashboard") this.dashboardIds.push(this.objects[def.key].objectId);
    }
    this.registerOutputs({ dashboardIds: this.dashboardIds });
  }
}
