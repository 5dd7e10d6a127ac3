import type { Static, TSchema } from "@sinclair/typebox";
import { PortDetected } from "./messages";
import { Attr } from "./names";
import { Params, type ParamDef } from "./ssm";
import type { ParseTools, RawResult, ScanContext, ScanFn, ScanOutput } from "./task";
import type { SavedObjectType } from "./analytics";

/**
 * The scanner module contract: everything the platform needs to know about one scanner, in one value a
 * project exports from its public index as `scanner`. The Lambda handlers, the `Scanner` component, the
 * CLI (`sec-an parse`, re-ingestion) and the local run all read it, so none of them has a second list of
 * a scanner's documents, topics or views. Pure data and functions: no Pulumi here.
 */

/** How an SNS message attribute is typed: numbers let subscribers use numeric filter policies. */
export type AttributeType = "String" | "Number";

/**
 * A topic scanners cascade through. Logical: the ARN is read late from `param`, so the producer and its
 * subscribers meet through SSM, never through each other.
 */
export interface CascadeTopic<S extends TSchema = TSchema> {
  /** Logical name, as in `tools.emit(name, …)` and `--from <name>`. */
  readonly name: string;
  readonly param: ParamDef;
  /** Schema of every event published on it (subscribers use it as their request schema). */
  readonly event: S;
  /** The message attributes subscribers may filter on, and their SNS data types. */
  readonly attributes: Readonly<Record<string, AttributeType>>;
}

/** The platform's cascade topics. */
export const CascadeTopics = {
  /** One event per open port found by nmap. */
  ports: {
    name: "ports",
    param: Params.portsTopicArn,
    event: PortDetected,
    attributes: {
      [Attr.address]: "String",
      [Attr.addressType]: "String",
      [Attr.port]: "Number",
      [Attr.protocol]: "String",
      [Attr.service]: "String",
      [Attr.tunnel]: "String",
      [Attr.product]: "String",
      [Attr.depth]: "Number",
      [Attr.scanId]: "String",
    },
  },
} as const satisfies Record<string, CascadeTopic>;
export type CascadeTopicName = keyof typeof CascadeTopics;

/** Attribute values as a parser gives them; absent (undefined or "") values are not sent (SNS rejects empty ones). */
export type CascadeAttributes = Readonly<Record<string, string | number | undefined>>;

/** What parsing one raw result published besides its document collections. */
export interface CascadeEvent {
  /** Logical topic name. */
  readonly topic: string;
  readonly event: unknown;
  /** Attribute values as sent, with their types. */
  readonly attributes: Readonly<Record<string, { readonly type: AttributeType; readonly value: string }>>;
}

/** The parse tools a scanner's parser gets: results contexts, plus cascade events to its declared topics. */
export interface ScannerParseTools extends ParseTools {
  /**
   * Queue an event for the logical `topic` (declared in the module's `cascades`); published after the
   * document collections. Throws on an undeclared topic or attribute, or an event its schema rejects.
   */
  emit(topic: string, event: unknown, attributes: CascadeAttributes): void;
}

/**
 * A parser: raw result → documents (and cascade events). What it returns is handed to the module's
 * `afterPublish` hook, so a hook never parses the raw result a second time.
 */
export type ScannerParseFn<R = unknown> = (raw: RawResult, tools: ScannerParseTools) => R | Promise<R>;

// Method syntax makes the call bivariant: a module for one request type is still a ScannerModule to
// the generic tooling (the Scanner component, the CLI), which never calls it with another type.
type ScanCall<Req> = { call(request: Req, ctx: ScanContext): Promise<ScanOutput> }["call"];

/**
 * A scan run by a Lambda: the scan function itself, carrying the handler file that wraps it (which the
 * component bundles). Make one with `lambdaScan`.
 */
export type LambdaScan<Req = unknown> = ScanCall<Req> & {
  readonly kind: "lambda";
  /** Absolute path of the scan handler (`export const handler = makeScannerScanHandler(scanner)`). */
  readonly entry: string;
};

/** A Lambda scan from its function and the absolute path of its handler file. */
export function lambdaScan<Req>(run: ScanFn<Req>, entry: string): LambdaScan<Req> {
  return Object.assign((request: Req, ctx: ScanContext) => run(request, ctx), {
    kind: "lambda" as const,
    entry,
  });
}

/** A scan run in a container on Fargate, started by the platform's launcher; the image comes from stack config. */
export interface ContainerScan<Req = unknown> {
  readonly kind: "container";
  /** The scan the container runs (`runContainerScan`), when its entrypoint is written in TypeScript. */
  run?(request: Req, ctx: ScanContext): Promise<ScanOutput>;
  /** Absolute path of the container entrypoint's source (the local run starts it as a process). */
  readonly entry?: string;
}

/** A Dashboards saved object a scanner ships, ready for `KibanaSavedObject`. */
export interface SavedObjectDecl {
  readonly type: SavedObjectType;
  /** Unique per type across the platform (prefix it with the task name): the object id derives from it. */
  readonly logicalName: string;
  readonly title: string;
  readonly template: { attributes: Record<string, unknown>; references?: Record<string, unknown>[] };
  /** Placeholder → id of another object (ids are deterministic: see `savedObjectId`). */
  readonly substitutions: Readonly<Record<string, string>>;
  /** Index bases and logical names of saved objects that must exist first. */
  readonly dependsOn: readonly string[];
}

export interface ScannerViews {
  /** Index mapping (`{ properties }`) of each owned document type: a snapshot and a history index each. */
  readonly mappings: Readonly<Record<string, Record<string, unknown>>>;
  readonly savedObjects: readonly SavedObjectDecl[];
}

export interface ScannerModule<Req extends TSchema = TSchema, Config extends TSchema = TSchema, R = unknown> {
  /** Task name = project folder name: names queues, functions, SSM parameters and indices. */
  readonly name: string;
  /** Stamped on every document, so a re-ingest shows which parser produced what. */
  readonly parserVersion: string;
  readonly requestSchema: Req;
  /** Document types the parser posts; the platform creates their indices, so their documents are accepted. */
  readonly docTypes: readonly string[];
  readonly scan: LambdaScan<Static<Req>> | ContainerScan<Static<Req>>;
  readonly parse: ScannerParseFn<R>;
  /** Absolute path of the parse handler (`export const handler = makeScannerParseHandler(scanner)`). */
  readonly parseEntry: string;
  /** Topics the parser may `emit` to. */
  readonly cascades?: readonly CascadeTopic[];
  readonly views: ScannerViews;
  /**
   * The project's stack-config keys, as plain typebox (the handlers import this module, so it must not
   * pull in the Pulumi components). A project whose schema is built with the components exports it as
   * `configSchema` from its public index instead; the stack-config check reads either.
   */
  readonly configSchema?: Config;
}

/** Checks the parts of a module that types cannot: views cover exactly the owned doc types, names are usable. */
export function checkScannerModule(m: ScannerModule): void {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(m.name))
    throw new Error(`scanner name ${JSON.stringify(m.name)}: lower-case letters, digits and -, at most 31`);
  const mapped = Object.keys(m.views.mappings).sort();
  const owned = [...m.docTypes].sort();
  if (JSON.stringify(mapped) !== JSON.stringify(owned))
    throw new Error(
      `scanner ${m.name}: views.mappings covers [${mapped.join(", ")}] but the parser posts [${owned.join(", ")}]`,
    );
  const topics = new Set<string>();
  for (const c of m.cascades ?? []) {
    if (topics.has(c.name)) throw new Error(`scanner ${m.name}: cascade topic ${c.name} is declared twice`);
    topics.add(c.name);
  }
}
export * from "./scanner-views";
