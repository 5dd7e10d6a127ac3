import { PublishBatchCommand, type MessageAttributeValue, type SNSClient } from "@aws-sdk/client-sns";
import {
  Limits,
  taskParams,
  validate,
  type CascadeAttributes,
  type CascadeEvent,
  type CascadeTopic,
  type DocumentCollection,
  type KeyFields,
  type ParseFn,
  type RawResult,
  type ScannerModule,
  type ScannerParseFn,
  type ScannerParseTools,
} from "@sec-an/contracts";
import type { TSchema } from "@sinclair/typebox";
import type { Context, S3Event } from "aws-lambda";
import { snsClient } from "./aws";
import { logger } from "./batch";
import { getParam } from "./params";
import { createParseTools } from "./parse-tools";
import {
  BatchQueue,
  SnsPublisher,
  batches,
  messageBytes,
  type OutgoingMessage,
  type Publisher,
} from "./publisher";
import { getRawResult, isSidecarKey, openRawResult, type RawResultStream } from "./raw-store";
import type { ResultsContext } from "./results-context";
import { makeScanHandler, s3EventKey } from "./task-kit";

/**
 * The one parse handler of every scanner: parse a raw result with the module's parser, publish its
 * document collections to the task's results topic and its cascade events to their topics, then run
 * the project's hook (if any) with what the parser returned. A scanner's parse handler file is one line.
 */

/** What one parse produced (a streamed parse: nothing here, its messages went out as they filled). */
export interface ParsedResult<R = unknown> {
  readonly messages: OutgoingMessage<DocumentCollection>[];
  readonly cascades: CascadeEvent[];
  /** What the module's `parse` (or `parseStream`) returned. */
  readonly result: R;
}

/** The parse tools of a streamed parse: a parent's messages are queued as soon as it is complete. */
export interface StreamingParseTools extends ScannerParseTools {
  /**
   * Every document of this parent has been posted: its messages are queued, and sent once a batch
   * fills (awaiting this is the back-pressure). Cascade events emitted so far go out the same way.
   */
  complete(parentKey: KeyFields): Promise<void>;
}

/**
 * A parser that reads the raw result as a stream, so memory does not grow with its size. It posts
 * each parent's documents and then calls `complete` for it; a parent never completed is sent at the end.
 */
export type StreamParseFn<R> = (raw: RawResultStream, tools: StreamingParseTools) => Promise<R>;

type Parsable<R> = Pick<ScannerModule<TSchema, TSchema, R>, "name" | "parserVersion" | "parse"> & {
  readonly cascades?: readonly CascadeTopic[];
  /** The doc types the parser may post; when absent, those contracts declare for the task, unchecked. */
  readonly docTypes?: readonly string[];
};

/**
 * A scanner whose Lambda parse reads the raw result as a stream; its in-memory `parse` (whatever it
 * returns) stays for the CLI and re-ingestion. The handler's hook gets what `parseStream` returned.
 */
type StreamParsable<R> = Omit<Parsable<unknown>, "parse"> & {
  readonly parse: Parsable<unknown>["parse"];
  readonly parseStream: StreamParseFn<R>;
};

const streams = <R>(s: Parsable<R> | StreamParsable<R>): s is StreamParsable<R> =>
  typeof (s as { parseStream?: unknown }).parseStream === "function";

/** A cascade event as checked against its topic's declaration (types, names, schema, size). */
export function cascadeEvent(
  task: string,
  topics: readonly CascadeTopic[],
  topic: string,
  event: unknown,
  attributes: CascadeAttributes,
): CascadeEvent {
  const decl = topics.find((t) => t.name === topic);
  if (!decl)
    throw new Error(
      `${task}: emit to ${JSON.stringify(topic)}, which the scanner module does not declare in its cascades`,
    );
  validate(decl.event, event);
  const attrs: Record<string, { type: "String" | "Number"; value: string }> = {};
  for (const [name, v] of Object.entries(attributes)) {
    if (v === undefined || v === "") continue;
    const type = decl.attributes[name];
    if (!type)
      throw new Error(`${task}: attribute ${JSON.stringify(name)} is not one the ${topic} topic declares`);
    if (type === "Number" && !Number.isFinite(typeof v === "number" ? v : Number(v)))
      throw new Error(
        `${task}: attribute ${name} of the ${topic} topic must be a number, got ${JSON.stringify(v)}`,
      );
    attrs[name] = { type, value: String(v) };
  }
  const body = JSON.stringify(event);
  const bytes = messageBytes(body, Object.fromEntries(Object.entries(attrs).map(([k, a]) => [k, a.value])));
  if (bytes > Limits.publishBudgetBytes)
    throw new Error(
      `${task}: a ${topic} event is ${bytes} bytes, over the ${Limits.publishBudgetBytes}-byte budget`,
    );
  return { topic, event, attributes: attrs };
}

/** Run a scanner's parser over one raw result: documents and cascade events, nothing published. */
export function runScannerParser<R>(
  raw: RawResult,
  scanner: Parsable<R>,
  opts: { budgetBytes?: number } = {},
): Promise<ParsedResult<R>> {
  return parseOnce(raw, scanner, opts.budgetBytes, (topic, event, attributes) =>
    cascadeEvent(scanner.name, scanner.cascades ?? [], topic, event, attributes),
  );
}

/** The tracked parse tools of one raw result, for one scanner. */
function toolsFor(
  raw: Pick<RawResult, "key" | "metadata">,
  scanner: Pick<Parsable<unknown>, "name" | "parserVersion" | "docTypes">,
  budgetBytes: number | undefined,
) {
  return createParseTools({
    task: scanner.name,
    metadata: raw.metadata,
    rawKey: raw.key,
    parserVersion: scanner.parserVersion,
    budgetBytes,
    // Every collection lists all owned types, so the ingestor clears ones a rescan no longer finds.
    docTypes: scanner.docTypes,
  });
}

async function parseOnce<R>(
  raw: RawResult,
  scanner: Parsable<R>,
  budgetBytes: number | undefined,
  toEvent: ((...a: Parameters<ScannerParseTools["emit"]>) => CascadeEvent) | undefined,
): Promise<ParsedResult<R>> {
  const base = toolsFor(raw, scanner, budgetBytes);
  const cascades: CascadeEvent[] = [];
  const tools: ScannerParseTools = {
    results: (parentKey) => base.results(parentKey),
    emit: (...a) => void (toEvent && cascades.push(toEvent(...a))),
  };
  const result = await scanner.parse(raw, tools);
  // Build every message first: an invalid or oversize document fails the result before anything is sent.
  const messages = base.messages();
  checkOwned(scanner, base.contexts());
  return { messages, cascades, result };
}

/** Documents of a type the module does not declare would have no index: the result fails instead. */
function checkOwned(
  scanner: Pick<Parsable<unknown>, "name" | "docTypes">,
  contexts: readonly ResultsContext[],
) {
  const owned = scanner.docTypes && new Set(scanner.docTypes);
  if (!owned) return;
  for (const ctx of contexts)
    for (const docType of ctx.docTypesPosted())
      if (!owned.has(docType))
        throw new Error(
          `${scanner.name}: the parser posted ${docType} documents, but the module declares only [${[...owned].join(", ")}]: they would have no index`,
        );
}

export interface ParserOptions {
  task: string;
  parserVersion: string;
  /** A plain parser, or a scanner module's (whose cascade events are dropped here). */
  parse: ParseFn | ScannerParseFn;
  budgetBytes?: number;
  /** Doc types the task owns (default: its entry in contracts `TaskDocTypes`). */
  docTypes?: readonly string[];
}

/**
 * Run a parser over one raw result for its documents only, publishing nothing. Re-ingestion uses it:
 * what a parser emits for other scanners is dropped, so replaying old results never starts new scans.
 */
export async function runParser(
  raw: RawResult,
  opts: ParserOptions,
): Promise<OutgoingMessage<DocumentCollection>[]> {
  const parser = {
    name: opts.task,
    parserVersion: opts.parserVersion,
    parse: opts.parse,
    docTypes: opts.docTypes,
  };
  return (await parseOnce(raw, parser, opts.budgetBytes, undefined)).messages;
}

/** Where cascade events go: SNS in Lambdas, a collector in tests and `sec-an parse`. */
export interface CascadePublisher {
  publish(topic: CascadeTopic, events: readonly CascadeEvent[]): Promise<void>;
}

/** SNS message attributes of a cascade event, with the data types its topic declares. */
export function snsMessageAttributes(e: CascadeEvent): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(e.attributes).map(([k, a]) => [k, { DataType: a.type, StringValue: a.value }]),
  );
}

/** Publish checked cascade events to one topic, in PublishBatch calls within SNS's count and size limits. */
export async function publishCascadeEvents(
  sns: SNSClient,
  topicArn: string,
  events: readonly CascadeEvent[],
): Promise<void> {
  const sized = events.map((e) => ({
    event: e,
    message: e.event,
    body: JSON.stringify(e.event),
    attributes: Object.fromEntries(Object.entries(e.attributes).map(([k, a]) => [k, a.value])),
  }));
  for (const batch of batches(sized)) {
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: batch.map((m, i) => ({
          Id: String(i),
          Message: m.body,
          MessageAttributes: snsMessageAttributes(m.event),
        })),
      }),
    );
    if (out.Failed?.length) {
      const reasons = out.Failed.map((f) => `${f.Id}: ${f.Code ?? "error"} ${f.Message ?? ""}`.trim()).join(
        "; ",
      );
      throw new Error(
        `publishing cascade events to ${topicArn}: ${out.Failed.length} of ${batch.length} failed: ${reasons}`,
      );
    }
  }
}

/** Publishes cascade events to the topic whose ARN the topic's SSM parameter holds (read late, cached). */
export class SnsCascadePublisher implements CascadePublisher {
  constructor(private readonly sns: () => SNSClient = snsClient) {}

  async publish(topic: CascadeTopic, events: readonly CascadeEvent[]): Promise<void> {
    if (events.length === 0) return;
    await publishCascadeEvents(this.sns(), await getParam(topic.param), events);
  }
}

export interface ScannerParseHandlerOptions<R> {
  /** Where collections go (default: the task's results topic, from SSM, late). */
  readonly publisher?: Publisher;
  readonly cascadePublisher?: CascadePublisher;
  /** Runs after everything was published, with what the parser returned (e.g. nmap records parse times). */
  readonly afterPublish?: (raw: Omit<RawResult, "body">, parsed: ParsedResult<R>) => Promise<void>;
  readonly budgetBytes?: number;
}

/**
 * A streamed parse of one raw result: parents' messages and cascade events are published a batch at a
 * time while the parser reads on. If the parse fails, what was already sent stays (each message is a
 * whole parent's collection or part of one, all of whose parts were sent together; ids are
 * deterministic, so the retry overwrites it) and nothing queued after the failure is sent.
 */
async function streamScannerParser<R>(
  bucket: string,
  key: string,
  scanner: StreamParsable<R>,
  publisher: Publisher,
  cascadePublisher: CascadePublisher,
  budgetBytes: number | undefined,
): Promise<{ raw: RawResultStream; result: R; messages: number; cascades: number }> {
  const raw = await openRawResult(bucket, key);
  const base = toolsFor(raw, scanner, budgetBytes);
  const messages = new BatchQueue<OutgoingMessage<DocumentCollection>>((batch) => publisher.publish(batch));
  const topics = scanner.cascades ?? [];
  const events = new Map(topics.map((t) => [t.name, [] as CascadeEvent[]]));
  let cascades = 0;
  const sendEvents = async (all: boolean) => {
    for (const topic of topics) {
      const queued = events.get(topic.name)!;
      while (queued.length >= Limits.batchEntries || (all && queued.length)) {
        const batch = queued.splice(0, Limits.batchEntries);
        await cascadePublisher.publish(topic, batch);
        cascades += batch.length;
      }
    }
  };
  const send = async (ctx: ResultsContext) => {
    checkOwned(scanner, [ctx]);
    await messages.add(ctx.messages());
  };
  const tools: StreamingParseTools = {
    results: (parentKey) => base.results(parentKey),
    emit: (topic, event, attributes) => {
      const e = cascadeEvent(scanner.name, topics, topic, event, attributes);
      events.get(e.topic)!.push(e);
    },
    async complete(parentKey) {
      const ctx = base.complete(parentKey);
      if (ctx) await send(ctx);
      await sendEvents(false);
    },
  };
  const result = await scanner.parseStream(raw, tools);
  for (const ctx of base.completeAll()) await send(ctx);
  await messages.flush();
  await sendEvents(true);
  return { raw, result, messages: messages.sent, cascades };
}

export interface ParseOutcome {
  readonly key: string;
  readonly messages: number;
  readonly cascades: number;
}

/**
 * S3-event handler for a scanner's raw-results bucket. Every record is attempted; failures are thrown
 * together at the end so Lambda retries and then the async-invoke DLQ keeps the event. Re-publishing is
 * harmless: document ids are deterministic, and cascaded scans of the same port overwrite each other.
 */
export function makeScannerParseHandler<R>(
  scanner: Parsable<R> | StreamParsable<R>,
  opts: ScannerParseHandlerOptions<R> = {},
): (event: S3Event, context?: Context) => Promise<ParseOutcome[]> {
  const publisher =
    opts.publisher ?? new SnsPublisher(() => getParam(taskParams(scanner.name).resultsTopicArn));
  const cascadePublisher = opts.cascadePublisher ?? new SnsCascadePublisher();
  return async (event, context) => {
    if (context) logger.addContext(context);
    const failures: string[] = [];
    const outcomes: ParseOutcome[] = [];
    for (const r of event.Records ?? []) {
      const bucket = r.s3.bucket.name;
      const key = s3EventKey(r.s3.object.key);
      if (isSidecarKey(key)) continue;
      try {
        let outcome: ParseOutcome;
        if (streams(scanner)) {
          const s = await streamScannerParser(
            bucket,
            key,
            scanner,
            publisher,
            cascadePublisher,
            opts.budgetBytes,
          );
          await opts.afterPublish?.(s.raw, { messages: [], cascades: [], result: s.result });
          outcome = { key, messages: s.messages, cascades: s.cascades };
        } else {
          const raw = await getRawResult(bucket, key);
          const parsed = await runScannerParser(raw, scanner, { budgetBytes: opts.budgetBytes });
          await publisher.publish(parsed.messages);
          for (const topic of scanner.cascades ?? [])
            await cascadePublisher.publish(
              topic,
              parsed.cascades.filter((c) => c.topic === topic.name),
            );
          await opts.afterPublish?.(raw, parsed);
          outcome = { key, messages: parsed.messages.length, cascades: parsed.cascades.length };
        }
        logger.info("raw result parsed", { task: scanner.name, ...outcome });
        outcomes.push(outcome);
      } catch (e) {
        logger.error("raw result failed to parse", { task: scanner.name, bucket, key, error: e as Error });
        failures.push(`s3://${bucket}/${key}: ${(e as Error).message}`);
      }
    }
    if (failures.length) throw new Error(`${failures.length} raw result(s) failed: ${failures.join("; ")}`);
    return outcomes;
  };
}

export interface ParseHandlerOptions extends ParserOptions {
  /** Where results go; default the task's results topic from SSM, read late. */
  publisher?: Publisher;
}

/** The parse handler of a task that declares no scanner module: its documents only. */
export function makeParseHandler(
  opts: ParseHandlerOptions,
): (event: S3Event, context?: Context) => Promise<{ published: number }> {
  const parser = {
    name: opts.task,
    parserVersion: opts.parserVersion,
    parse: opts.parse,
    docTypes: opts.docTypes,
  };
  const handler = makeScannerParseHandler(parser, {
    publisher: opts.publisher,
    budgetBytes: opts.budgetBytes,
  });
  return async (event, context) => ({
    published: (await handler(event, context)).reduce((n, o) => n + o.messages, 0),
  });
}

/** The scan handler of a Lambda scanner: its module's request schema and scan function. */
export function makeScannerScanHandler<S extends TSchema>(
  scanner: Pick<ScannerModule<S>, "name" | "requestSchema" | "scan">,
) {
  const scan = scanner.scan;
  if (scan.kind !== "lambda") throw new Error(`${scanner.name} scans in a container: it has no scan Lambda`);
  return makeScanHandler<S>({ task: scanner.name, requestSchema: scanner.requestSchema, scan });
}
