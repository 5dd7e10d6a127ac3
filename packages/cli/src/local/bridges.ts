import {
  DeleteMessageCommand,
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  type Message,
} from "@aws-sdk/client-sqs";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { dlqBody, sendDeadLetter, sendRecordToDlq } from "@sec-an/runtime";
import type { LocalClients, Translation } from "./provision";
import type { InvokeResult, LocalInvoker } from "./invoker";
import type { LocalEventRule, LocalTopology } from "./topology";

/**
 * What the emulators lack, bridged in this one file:
 * - Lambda event-source mappings (SQS → function): `SqsPoller`;
 * - S3 event notifications (fauxqs delivers none): `S3NotificationBridge` lists buckets and invokes;
 * - DynamoDB streams (dynalite has none): `StreamBridge` scans tables and emits the differences as
 *   NEW_AND_OLD_IMAGES stream records;
 * - EventBridge rules on events (no emulator has them): `eventBus` matches an event against each rule's
 *   pattern and invokes the rule's targets.
 * Each loop is bounded by `stop()` and by the run's deadline.
 */
export interface Loop {
  stop(): Promise<void>;
  /** Work seen and not finished, for progress output. */
  inFlight(): number;
  readonly label: string;
  /**
   * One full cycle now, after any in progress; resolves with the work it found (0: nothing new). For a
   * bridge whose pending work nothing else can see (new S3 objects, table changes), this is how the run
   * knows it has settled without waiting out the bridge's idle poll.
   */
  sweep?(): Promise<number>;
  /** Ends the loop's idle wait now: something it watches has probably changed. */
  wake(): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((r) => {
    const onAbort = () => (clearTimeout(t), r());
    const t = setTimeout(() => (signal.removeEventListener("abort", onAbort), r()), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

function loop(
  label: string,
  body: (signal: AbortSignal) => Promise<number>,
  idleMs: number,
): Loop & { pending: number; sweep(): Promise<number> } {
  const ac = new AbortController();
  const state = { pending: 0 };
  let idle: AbortController | undefined;
  // Cycles run one at a time, whether the loop or a sweep asks for one.
  let last: Promise<unknown> = Promise.resolve();
  const cycle = () => {
    const run = last.then(() => body(ac.signal));
    last = run.catch(() => undefined);
    return run;
  };
  const done = (async () => {
    while (!ac.signal.aborted) {
      let worked = 0;
      try {
        worked = await cycle();
      } catch (e) {
        if (!ac.signal.aborted) process.stderr.write(`[local] ${label}: ${(e as Error).message}\n`);
      }
      if (!worked) {
        idle = new AbortController();
        await sleep(idleMs, AbortSignal.any([ac.signal, idle.signal]));
      }
    }
  })();
  return Object.assign(state, {
    label,
    inFlight: () => state.pending,
    sweep: cycle,
    wake: () => idle?.abort(),
    stop: async () => {
      ac.abort();
      await done;
    },
  });
}

export function sqsEvent(messages: Message[], queueArn: string) {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? "",
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(Date.now()),
        SenderId: "local",
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        ...(m.Attributes ?? {}),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
          k,
          {
            stringValue: v.StringValue,
            binaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString("base64") : undefined,
            stringListValues: [],
            binaryListValues: [],
            dataType: v.DataType,
          },
        ]),
      ),
      md5OfBody: m.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: process.env.AWS_REGION ?? "us-east-1",
    })),
  };
}

/**
 * Refuses messages before a handler sees them: returns why (code and message), or undefined to let one
 * through. Refused messages go to `deadLetterUrl` with that reason.
 */
export interface MessageGuard {
  refuse(body: string): { code: string; message: string } | undefined;
  deadLetterUrl?: string;
}

/** Lambda's SQS event-source mapping: receive, invoke, delete what succeeded, release what failed. */
export function sqsPoller(
  c: LocalClients,
  invoker: LocalInvoker,
  fnRef: string,
  queueUrl: string,
  queueArn: string,
  batchSize: number,
  guard?: MessageGuard,
): Loop {
  const l = loop(
    `sqs ${queueUrl.split("/").pop()}`,
    async (signal) => {
      // Aborted on stop, so the run ends without waiting out every poller's long poll.
      const got = await c.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(batchSize, 10),
          WaitTimeSeconds: 1,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["All"],
        }),
        { abortSignal: signal },
      );
      const received = got.Messages ?? [];
      if (!received.length) return 0;
      const messages = guard ? await refuse(c, queueUrl, queueArn, received, guard) : received;
      if (!messages.length) return received.length;
      l.pending += messages.length;
      try {
        const r = await invoker.invoke(fnRef, sqsEvent(messages, queueArn));
        const failed = new Set<string>();
        if (!r.ok) messages.forEach((m) => failed.add(m.MessageId!));
        else
          for (const f of (r.result as { batchItemFailures?: { itemIdentifier: string }[] } | undefined)
            ?.batchItemFailures ?? [])
            failed.add(f.itemIdentifier);
        if (r.error) process.stderr.write(`[local] ${fnRef}: ${r.error.message}\n`);
        for (const m of messages) {
          if (failed.has(m.MessageId!)) {
            // Visible again soon: the queue's redrive policy moves it to the DLQ after maxReceiveCount.
            await c.sqs.send(
              new ChangeMessageVisibilityCommand({
                QueueUrl: queueUrl,
                ReceiptHandle: m.ReceiptHandle!,
                VisibilityTimeout: 1,
              }),
            );
          } else {
            await c.sqs.send(
              new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }),
            );
          }
        }
      } finally {
        l.pending -= messages.length;
      }
      return messages.length;
    },
    200,
  );
  return l;
}

/** Dead-letter (with the reason) and delete what the guard refuses; returns the messages it lets through. */
async function refuse(
  c: LocalClients,
  queueUrl: string,
  queueArn: string,
  messages: Message[],
  guard: MessageGuard,
): Promise<Message[]> {
  const through: Message[] = [];
  const records = sqsEvent(messages, queueArn).Records;
  for (const [i, m] of messages.entries()) {
    const why = guard.refuse(m.Body ?? "");
    if (!why) {
      through.push(m);
      continue;
    }
    process.stderr.write(`[local] refused ${queueUrl.split("/").pop()} message: ${why.message}\n`);
    // Without a DLQ the message stays on its queue (visible again later) rather than being lost.
    if (!guard.deadLetterUrl) continue;
    await sendRecordToDlq(records[i] as unknown as Parameters<typeof sendRecordToDlq>[0], why, {
      sqs: c.sqs,
      queueUrl: guard.deadLetterUrl,
    });
    await c.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  }
  return through;
}

/** S3 ObjectCreated notifications: new keys become S3 events for the configured function. */
export function s3NotificationBridge(
  c: LocalClients,
  invoker: LocalInvoker,
  n: { bucket: string; fnRef: string; prefix?: string; suffix?: string },
  onFailure: (key: string, error: Error) => void,
): Loop {
  const seen = new Set<string>();
  const l = loop(
    `s3 ${n.bucket}`,
    async () => {
      let token: string | undefined;
      const fresh: { key: string; size: number }[] = [];
      do {
        const page = await c.s3.send(
          new ListObjectsV2Command({ Bucket: n.bucket, Prefix: n.prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key || seen.has(o.Key) || (n.suffix && !o.Key.endsWith(n.suffix))) continue;
          seen.add(o.Key);
          fresh.push({ key: o.Key, size: o.Size ?? 0 });
        }
        token = page.NextContinuationToken;
      } while (token);
      for (const o of fresh) {
        l.pending += 1;
        const event = {
          Records: [
            {
              eventVersion: "2.1",
              eventSource: "aws:s3",
              awsRegion: process.env.AWS_REGION ?? "us-east-1",
              eventTime: new Date().toISOString(),
              eventName: "ObjectCreated:Put",
              s3: {
                s3SchemaVersion: "1.0",
                bucket: { name: n.bucket, arn: `arn:aws:s3:::${n.bucket}` },
                object: { key: encodeURIComponent(o.key).replace(/%2F/g, "/"), size: o.size },
              },
            },
          ],
        };
        const r = await invokeAsync(invoker, n.fnRef, event);
        if (!r.ok) onFailure(o.key, r.error!);
        l.pending -= 1;
      }
      return fresh.length;
    },
    300,
  );
  return l;
}

type Image = Record<string, AttributeValue>;

/** DynamoDB streams (NEW_AND_OLD_IMAGES) from successive scans of a table. */
export function streamBridge(
  c: LocalClients,
  invoker: LocalInvoker,
  t: { table: string; keys: string[]; fnRef: string; streamArn: string },
): Loop {
  let previous = new Map<string, Image>();
  const keyOf = (item: Image) => JSON.stringify(t.keys.map((k) => item[k]));
  const l = loop(
    `stream ${t.table}`,
    async () => {
      const now = new Map<string, Image>();
      let start: Image | undefined;
      do {
        const page = await c.dynamo.send(new ScanCommand({ TableName: t.table, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) now.set(keyOf(item), item);
        start = page.LastEvaluatedKey;
      } while (start);
      const records: unknown[] = [];
      const record = (eventName: string, oldImage?: Image, newImage?: Image) =>
        records.push({
          eventID: `${Date.now()}-${records.length}`,
          eventName,
          eventSource: "aws:dynamodb",
          eventSourceARN: t.streamArn,
          awsRegion: process.env.AWS_REGION ?? "us-east-1",
          dynamodb: {
            Keys: Object.fromEntries(t.keys.map((k) => [k, (newImage ?? oldImage)![k]])),
            OldImage: oldImage,
            NewImage: newImage,
            StreamViewType: "NEW_AND_OLD_IMAGES",
            ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
          },
        });
      for (const [k, item] of now) {
        const old = previous.get(k);
        if (!old) record("INSERT", undefined, item);
        else if (JSON.stringify(old) !== JSON.stringify(item)) record("MODIFY", old, item);
      }
      for (const [k, item] of previous) if (!now.has(k)) record("REMOVE", item, undefined);
      previous = now;
      if (!records.length) return 0;
      l.pending += records.length;
      for (let i = 0; i < records.length; i += 100) {
        const r = await invoker.invoke(t.fnRef, { Records: records.slice(i, i + 100) });
        if (!r.ok) process.stderr.write(`[local] stream ${t.table}: ${r.error?.message}\n`);
      }
      l.pending -= records.length;
      return records.length;
    },
    // Short, so a record reaches its handler soon (the run sweeps every bridge before it settles).
    250,
  );
  return l;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** One value of an event against one matcher of a pattern's list; `present` is false for a missing field. */
function matchOne(matcher: unknown, value: unknown, present: boolean): boolean {
  if (!isRecord(matcher)) return present && matcher === value;
  const ops = Object.keys(matcher);
  if (ops.length !== 1)
    throw new Error(`event pattern matcher ${JSON.stringify(matcher)} must have one operator`);
  const [op] = ops;
  const arg = matcher[op];
  if (op === "exists") return arg === present;
  if (!present) return false;
  switch (op) {
    case "prefix":
      return typeof value === "string" && typeof arg === "string" && value.startsWith(arg);
    case "suffix":
      return typeof value === "string" && typeof arg === "string" && value.endsWith(arg);
    case "anything-but":
      if (Array.isArray(arg)) return !(arg as unknown[]).includes(value);
      if (isRecord(arg)) return !matchOne(arg, value, present);
      return value !== arg;
    default:
      // Better to refuse a rule than to silently never (or always) deliver to it.
      throw new Error(`event pattern operator ${JSON.stringify(op)} is not supported locally`);
  }
}

/**
 * EventBridge's pattern match, for the operators the platform's rules use: exact values, lists (any of),
 * nested objects, `prefix`, `suffix`, `anything-but` and `exists`. A field the event holds as an array
 * matches when any element does; a field the event lacks matches only `{ exists: false }`.
 */
export function matchesEventPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const present = isRecord(event) && key in event;
    const value = present ? (event as Record<string, unknown>)[key] : undefined;
    if (isRecord(want)) return matchesEventPattern(want, isRecord(value) ? value : {});
    if (!Array.isArray(want))
      throw new Error(`event pattern field ${JSON.stringify(key)} must be a list or an object`);
    const values = Array.isArray(value) ? value : [value];
    return want.some((m) => values.some((v) => matchOne(m, v, present)));
  });
}

/** An asynchronous invocation (S3 notifications, EventBridge): Lambda tries it three times in all. */
export async function invokeAsync(invoker: LocalInvoker, ref: string, event: unknown): Promise<InvokeResult> {
  let r = await invoker.invoke(ref, event);
  for (let i = 0; i < 2 && !r.ok; i++) r = await invoker.invoke(ref, event);
  return r;
}

/** Hands an event whose asynchronous invocation failed for good to the function's dead-letter queue. */
export type AsyncDeadLetter = (functionRef: string, event: unknown, error: Error) => Promise<void>;

/**
 * Lambda's own dead-letter queue for asynchronous events (`deadLetterConfig`): the event as the body,
 * with the attributes Lambda sets — `RequestID`, `ErrorCode` (the invoke's HTTP status, 200 for a
 * function error) and `ErrorMessage` — so the queue's recorder files it like any dead letter. Throws
 * when the function has no such queue in the topology, so the caller reports the failure instead.
 */
export function asyncDeadLetters(
  c: LocalClients,
  topology: Pick<LocalTopology, "functions" | "queues">,
  translation: Translation,
): AsyncDeadLetter {
  return async (ref, event, error) => {
    const fn = topology.functions.find((f) => f.mockArn === ref || f.name === ref);
    const queue = topology.queues.find((q) => q.mockArn === fn?.deadLetterMockArn);
    if (!queue) throw new Error(`function ${ref} has no dead-letter queue in the local topology`);
    const id = (event as { id?: unknown } | null)?.id;
    await sendDeadLetter(
      { body: dlqBody(event), requestId: typeof id === "string" ? id : "unknown" },
      { code: "200", message: `${error.name}: ${error.message}` },
      { sqs: c.sqs, queueUrl: translation.apply(queue.mockUrl) },
    );
  };
}

export interface EventDelivery {
  rule: string;
  target: string;
  ok: boolean;
  error?: string;
  /** The event went to the target function's dead-letter queue after the last failure. */
  deadLettered?: boolean;
}

export interface EventBusOptions {
  log?: (line: string) => void;
  /** Where an event goes when its target still fails after the retries (see {@link asyncDeadLetters}). */
  deadLetter?: AsyncDeadLetter;
}

/**
 * EventBridge's default bus: `put(event)` invokes every target of every rule whose pattern matches, as
 * an asynchronous invocation (tried three times: Lambda's two retries), then hands an event that still
 * fails to `deadLetter`. Resolves once each delivery has succeeded or given up; failures are logged and
 * returned, never thrown.
 */
export function eventBus(
  rules: readonly LocalEventRule[],
  invoker: LocalInvoker,
  opts: EventBusOptions = {},
): (event: unknown) => Promise<EventDelivery[]> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  return async (event) => {
    const out: EventDelivery[] = [];
    for (const rule of rules) {
      let matched: boolean;
      try {
        matched = matchesEventPattern(rule.pattern, event);
      } catch (e) {
        log(`[local] event rule ${rule.name}: ${(e as Error).message}`);
        continue;
      }
      if (!matched) continue;
      for (const target of rule.targetMockArns) {
        const r = await invokeAsync(invoker, target, event);
        let deadLettered = false;
        if (!r.ok) {
          log(`[local] event rule ${rule.name} → ${target}: ${r.error?.message}`);
          try {
            if (opts.deadLetter) {
              await opts.deadLetter(target, event, r.error ?? new Error("invocation failed"));
              deadLettered = true;
            }
          } catch (e) {
            log(`[local] event rule ${rule.name} → ${target}: not dead-lettered: ${(e as Error).message}`);
          }
        }
        out.push({
          rule: rule.name,
          target,
          ok: r.ok,
          ...(r.error ? { error: r.error.message } : {}),
          ...(deadLettered ? { deadLettered } : {}),
        });
      }
    }
    return out;
  };
}
