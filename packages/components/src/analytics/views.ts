import * as pulumi from "@pulumi/pulumi";
import { savedObjectId, type SavedObjectDecl, type SavedObjectType, type ViewIndex } from "@sec-an/contracts";
import { ElasticIndex } from "./elastic-index";
import { KibanaSavedObject } from "./kibana-saved-object";

export interface ViewsArgs {
  /** Name of the analytics-platform admin Lambda that manages indices and saved objects. */
  readonly adminFunctionName: pulumi.Input<string>;
  /** The indices the views read, created before any object. */
  readonly indexes: readonly ViewIndex[];
  /** Saved objects, each after the indices and objects it depends on (`renderSavedObjects`). */
  readonly savedObjects: readonly SavedObjectDecl[];
  /**
   * Ids of other projects' objects read late (e.g. from SSM) instead of derived, keyed
   * `type/logicalName` as a dashboard panel names them.
   */
  readonly externalIds?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Let destroy drop indices that hold documents (ephemeral stacks). */
  readonly forceDestroy?: boolean;
  /** Former names of children by their current name: an alias each, so a rename is no replacement. */
  readonly formerNames?: Readonly<Record<string, string>>;
  /**
   * The component that parented these children before they moved under this one: an alias each, so
   * moving them is no replacement (a replaced saved object is created again, then deleted: same id, gone).
   */
  readonly formerParent?: pulumi.Resource;
  /** Resources outside these views that every index waits for (e.g. the store's access roles). */
  readonly after?: readonly pulumi.Resource[];
}

/**
 * A project's Dashboards views: its indices (each with an index pattern) and its saved objects, in
 * dependency order. Every project's views go through this one component.
 */
export class Views extends pulumi.ComponentResource {
  readonly indexes: Record<string, ElasticIndex> = {};
  readonly objects: Record<string, KibanaSavedObject> = {};

  constructor(name: string, args: ViewsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:analytics:Views", name, {}, opts);
    const made = new Map<string, pulumi.Resource>();
    const child = (childName: string, dependsOn: pulumi.Resource[] = []): pulumi.ComponentResourceOptions => {
      const former = args.formerNames?.[childName];
      const aliases = [
        ...(former ? [{ name: former }] : []),
        ...(args.formerParent ? [{ name: former ?? childName, parent: args.formerParent }] : []),
      ];
      return { parent: this, dependsOn, ...(aliases.length ? { aliases } : {}) };
    };
    for (const ix of args.indexes) {
      const indexName = `${name}-${ix.base.replace(/_/g, "-")}`;
      const index = new ElasticIndex(
        indexName,
        {
          adminFunctionName: args.adminFunctionName,
          base: ix.base,
          mappings: ix.mappings,
          ...(ix.timeField ? { timeField: ix.timeField } : {}),
          ...(ix.collection === false ? { collection: false } : {}),
          ...(args.forceDestroy !== undefined ? { forceDestroy: args.forceDestroy } : {}),
        },
        child(indexName, [...(args.after ?? [])]),
      );
      this.indexes[ix.base] = index;
      made.set(ix.base, index);
    }
    const external = new Map<string, pulumi.Input<string>>(
      Object.entries(args.externalIds ?? {}).map(([ref, value]) => {
        const slash = ref.indexOf("/");
        return [savedObjectId(ref.slice(0, slash) as SavedObjectType, ref.slice(slash + 1)), value];
      }),
    );
    for (const o of args.savedObjects) {
      const dependsOn = o.dependsOn.map((d) => {
        const r = made.get(d);
        if (!r)
          throw new Error(`views: ${o.type} ${o.logicalName} needs ${d}, which is not declared before it`);
        return r;
      });
      const objectName = `${name}-${o.type}-${o.logicalName}`;
      const obj = new KibanaSavedObject(
        objectName,
        {
          adminFunctionName: args.adminFunctionName,
          type: o.type,
          logicalName: o.logicalName,
          title: o.title,
          template: o.template,
          substitutions: Object.fromEntries(
            Object.entries(o.substitutions).map(([k, v]) => [k, external.get(v) ?? v]),
          ),
        },
        child(objectName, dependsOn),
      );
      // Keyed by type too: a search and a visualisation may share a logical name.
      this.objects[`${o.type}:${o.logicalName}`] = obj;
      made.set(o.logicalName, obj);
    }
    this.registerOutputs({ objectIds: Object.values(this.objects).map((o) => o.objectId) });
  }

  /** The object of `type` and `logicalName` (throws when the views have none). */
  object(type: SavedObjectType, logicalName: string): KibanaSavedObject {
    const o = this.objects[`${type}:${logicalName}`];
    if (!o) throw new Error(`views: no ${type} ${logicalName}`);
    return o;
  }
}
