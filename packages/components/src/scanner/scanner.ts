import * as pulumi from "@pulumi/pulumi";
import {
  checkScannerModule,
  scannerIndexes,
  type SavedObjectDecl,
  type ScannerModule,
} from "@sec-an/contracts";
import { ElasticIndex } from "../analytics/elastic-index";
import { KibanaSavedObject, adminFunction } from "../analytics/kibana-saved-object";
import { ssmParam, ssmReadStatement, type PolicyStatement } from "../core";
import { EcsTask, type EcsProvider, type EcsTaskArgs } from "../task/ecsTask";
import type { TaskCommonArgs } from "../task/core";
import { Task, type TaskArgs } from "../task/task";

/** Task arguments a scanner module already answers (its name, entries) are not repeated here. */
type Common = Omit<TaskCommonArgs, "task" | "project" | "parseEntry">;
type LambdaOnly = Partial<Omit<TaskArgs, keyof TaskCommonArgs | "scanEntry">>;
type ContainerOnly = Partial<Omit<EcsTaskArgs, keyof TaskCommonArgs>>;

export interface ScannerArgs extends Common, LambdaOnly, ContainerOnly {
  readonly module: ScannerModule;
  /** The project publishing the task's SSM parameters (default: the module's name, which is its folder). */
  readonly project?: string;
  /** Create the indices and saved objects (default true; needs the analytics platform). */
  readonly views?: boolean;
  /** Admin Lambda that manages indices and saved objects (default: analytics-platform's SSM export). */
  readonly adminFunctionName?: pulumi.Input<string>;
  /**
   * ARNs of the module's cascade topics by logical name (default: each topic's SSM parameter, read at
   * deploy time). The project that creates a topic passes it here: its own export does not exist yet.
   */
  readonly cascadeTopicArns?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Options of the Task/EcsTask and of the views component, e.g. aliases that keep a stack deployed
   * before the scanner moved onto this component from replacing (and so deleting) its live resources.
   */
  readonly taskOptions?: pulumi.ComponentResourceOptions;
  readonly viewsOptions?: pulumi.ComponentResourceOptions;
  /** Former names of view children (indices and saved objects) by their current name, kept as aliases. */
  readonly viewsFormerNames?: Readonly<Record<string, string>>;
}

/** Providers without an entry run the module's container source locally (`sec-an local`). */
const withEntry = (providers: Record<string, EcsProvider>, entry: string | undefined) =>
  Object.fromEntries(Object.entries(providers).map(([k, p]) => [k, { ...p, entry: p.entry ?? entry }]));

const pascal = (s: string) => s.replace(/(^|[-_])([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());

/**
 * A scanner from its module: the Task (Lambda scan) or EcsTask (container scan) with its subscriptions,
 * the parser's right to publish to the module's cascade topics, and an index per owned document type
 * with the module's saved objects, so everything the parser posts is accepted with no extra step.
 */
export class Scanner extends pulumi.ComponentResource {
  readonly task: Task | EcsTask;
  readonly views?: ScannerViews;

  constructor(name: string, args: ScannerArgs, opts?: pulumi.ComponentResourceOptions) {
    const {
      module: m,
      project,
      views,
      adminFunctionName,
      cascadeTopicArns,
      taskOptions,
      viewsOptions,
      viewsFormerNames,
      ...rest
    } = args;
    checkScannerModule(m);
    if (m.scan.kind === "container" && !rest.providers)
      throw new Error(`${m.name} scans in a container: give its providers (image, cpu, memory)`);
    if (m.scan.kind === "lambda" && rest.providers)
      throw new Error(`${m.name} scans in a Lambda: providers are for container scanners`);
    super("sec-an:scanner:Scanner", name, {}, opts);
    const parent = { parent: this };

    const cascades = m.cascades ?? [];
    const cascadeStatements = cascades.map((c) =>
      pulumi
        .output(cascadeTopicArns?.[c.name] ?? ssmParam(args.deployment, c.param, parent))
        .apply((arn): PolicyStatement => ({
          Sid: `Cascade${pascal(c.name)}`,
          Action: "sns:Publish",
          Resource: arn,
        })),
    );
    // The parse handler reads each topic's ARN late, so a re-created topic needs no redeploy here.
    const cascadeReads = cascades.length
      ? [
          {
            ...ssmReadStatement(
              args.deployment,
              cascades.map((c) => c.param),
              parent,
            ),
            Sid: "ReadCascadeTopics",
          },
        ]
      : [];
    const parseStatements = [...cascadeStatements, ...cascadeReads, ...(rest.parseStatements ?? [])];
    const common = {
      ...rest,
      task: m.name,
      project: project ?? m.name,
      parseEntry: m.parseEntry,
      parseStatements,
    };
    this.task =
      m.scan.kind === "lambda"
        ? new Task(name, { ...common, scanEntry: m.scan.entry }, { ...taskOptions, parent: this })
        : new EcsTask(
            name,
            { ...common, providers: withEntry(rest.providers!, m.scan.entry) },
            { ...taskOptions, parent: this },
          );

    if (views ?? true) {
      this.views = new ScannerViews(
        `${name}-views`,
        {
          task: m.name,
          mappings: m.views.mappings,
          savedObjects: m.views.savedObjects,
          adminFunctionName: adminFunction({ adminFunctionName, deployment: args.deployment }, parent),
          forceDestroy: args.forceDestroy,
          formerNames: viewsFormerNames,
        },
        { ...viewsOptions, parent: this },
      );
    }
    this.registerOutputs({ queueUrl: this.task.queue.url, topicArn: this.task.topic.arn });
  }
}

export interface ScannerViewsArgs {
  readonly task: string;
  /** Mapping per owned document type: a snapshot and a history index each. */
  readonly mappings: Readonly<Record<string, Record<string, unknown>>>;
  readonly savedObjects: readonly SavedObjectDecl[];
  readonly adminFunctionName: pulumi.Input<string>;
  /** Let destroy drop indices that hold documents (ephemeral stacks). */
  readonly forceDestroy?: boolean;
  /** Former names of children by their current name: an alias each, so a rename is no replacement. */
  readonly formerNames?: Readonly<Record<string, string>>;
}

/** A task's indices and Dashboards objects, each object after the indices and objects it references. */
export class ScannerViews extends pulumi.ComponentResource {
  readonly indexes: Record<string, ElasticIndex> = {};
  readonly objects: Record<string, KibanaSavedObject> = {};

  constructor(name: string, args: ScannerViewsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:scanner:Views", name, {}, opts);
    const made = new Map<string, pulumi.Resource>();
    // A replaced index or saved object is created again and then the old one deleted: the same id, gone.
    const child = (childName: string, dependsOn: pulumi.Resource[] = []): pulumi.ComponentResourceOptions => {
      const former = args.formerNames?.[childName];
      return { parent: this, dependsOn, ...(former ? { aliases: [{ name: former }] } : {}) };
    };
    for (const ix of scannerIndexes(args.task, args.mappings)) {
      const indexName = `${name}-${ix.base.replace(/_/g, "-")}`;
      const index = new ElasticIndex(
        indexName,
        {
          adminFunctionName: args.adminFunctionName,
          base: ix.base,
          mappings: ix.mappings,
          forceDestroy: args.forceDestroy,
        },
        child(indexName),
      );
      this.indexes[ix.base] = index;
      made.set(ix.base, index);
    }
    for (const o of args.savedObjects) {
      const dependsOn = o.dependsOn.map((d) => {
        const r = made.get(d);
        if (!r)
          throw new Error(
            `${args.task} views: ${o.type} ${o.logicalName} needs ${d}, which is not declared before it`,
          );
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
          substitutions: { ...o.substitutions },
        },
        child(objectName, dependsOn),
      );
      this.objects[o.logicalName] = obj;
      made.set(o.logicalName, obj);
    }
    this.registerOutputs({ objectIds: Object.values(this.objects).map((o) => o.objectId) });
  }
}
