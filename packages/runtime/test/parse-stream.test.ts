import { Type } from "@sinclair/typebox";
import { Env, Limits, Params, type CascadeEvent, type CascadeTopic } from "@sec-an/contracts";
import type { S3Event } from "aws-lambda";
import {
  CollectingPublisher,
  logger,
  openRawResult,
  putRawResult,
  resetClients,
  setClients,
  type OutgoingMessage,
  type Publisher,
} from "../src";
import { makeScannerParseHandler, type StreamingParseTools } from "../src/parse-handler";
import type { RawResultStream } from "../src/raw-store";
import { createBucket, emulatorClients } from "./helpers";

/**
 * A streamed parse (fauxqs S3): the body arrives in chunks, and each parent's messages and cascade
 * events are published a batch at a time while the parser reads on; a failure sends nothing queued
 * after it and skips the hook.
 */
logger.setLogLevel("SILENT");
const c = emulatorClients();
const saved = { ...process.env };
beforeEach(() => {
  setClients({ s3: c.s3, sns: c.sns, sqs: c.sqs });
  process.env[Env.stage] = "kit";
});
afterEach(() => {
  resetClients();
  process.env = { ...saved };
});

const found: CascadeTopic = {
  name: "found",
  param: { ...Params.portsTopicArn, path: "/test/found_topic" },
  event: Type.Object({ address: Type.String() }),
  attributes: { address: "String" },
};

class Events {
  readonly batches: CascadeEvent[][] = [];
  async publish(_: CascadeTopic, events: readonly CascadeEvent[]) {
    this.batches.push([...events]);
  }
}

/** One line per parent ("10.0.0.7" or "10.0.0.7 bad"): a document each, an event each, complete each. */
function lineScanner(seen: number[], publisher: CollectingPublisher) {
  return {
    name: "probe",
    parserVersion: "1",
    docTypes: ["ports"],
    cascades: [found],
    parse: () => 0,
    async parseStream(raw: RawResultStream, tools: StreamingParseTools) {
      let rest = "";
      let n = 0;
      for await (const chunk of raw.body) {
        const lines = (rest + Buffer.from(chunk).toString()).split("\n");
        rest = lines.pop()!;
        for (const line of lines) {
          const [address, bad] = line.split(" ");
          if (bad) throw new Error(`bad line ${n}`);
          tools.results({ address }).postResults("ports", { n });
          tools.emit("found", { address }, { address });
          await tools.complete({ address });
          // What had gone out when this parent was complete.
          seen.push(publisher.messages.length);
          n += 1;
        }
      }
      tools.results({ address: "left-open" }).postResults("ports", { n });
      return n;
    },
  };
}

async function stored(bucket: string, body: string) {
  const t = new Date("2026-11-27T10:00:00Z");
  return putRawResult({
    bucket,
    task: "probe",
    scanId: "s1",
    request: { target: "127.0.0.1" },
    output: { body, extension: "txt", startTime: t, endTime: t },
    s3: c.s3,
  });
}

const event = (bucket: string, key: string) =>
  ({ Records: [{ s3: { bucket: { name: bucket }, object: { key } } }] }) as unknown as S3Event;

describe("streamed parse", () => {
  it("publishes each full batch while the parser reads on, then the rest, then runs the hook", async () => {
    const bucket = await createBucket(c.s3, "stream");
    const lines = Array.from({ length: 25 }, (_, i) => `10.0.0.${i}`);
    const key = await stored(bucket, `${lines.join("\n")}\n`);
    const seen: number[] = [];
    const publisher = new CollectingPublisher();
    const events = new Events();
    const hook: unknown[] = [];
    const handler = makeScannerParseHandler(lineScanner(seen, publisher), {
      publisher,
      cascadePublisher: events,
      afterPublish: async (raw, parsed) => void hook.push([raw.key, parsed.result]),
    });
    const [outcome] = await handler(event(bucket, key));
    // A batch of 10 went out as the 10th and the 20th parents completed, not at the end.
    expect(seen.slice(8, 11)).toEqual([0, 10, 10]);
    expect(seen[19]).toBe(20);
    expect(publisher.messages).toHaveLength(26); // 25 lines and the parent never completed
    expect(events.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(outcome).toEqual({ key, messages: 26, cascades: 25 });
    expect(hook).toEqual([[key, 25]]);
  });

  it("on a failure, sends nothing queued after the last full batch and skips the hook", async () => {
    const bucket = await createBucket(c.s3, "stream-bad");
    const lines = Array.from({ length: 14 }, (_, i) => `10.0.0.${i}`);
    const key = await stored(bucket, `${lines.join("\n")}\n10.0.0.99 bad\n10.0.0.100\n`);
    const publisher = new CollectingPublisher();
    const hook: unknown[] = [];
    const handler = makeScannerParseHandler(lineScanner([], publisher), {
      publisher,
      cascadePublisher: new Events(),
      afterPublish: async () => void hook.push(1),
    });
    await expect(handler(event(bucket, key))).rejects.toThrow(/bad line 14/);
    expect(publisher.messages.map((m: OutgoingMessage) => JSON.parse(m.body).docs.ports[0].data.n)).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
    expect(hook).toEqual([]);
  });

  it("publishes with back-pressure: the parser waits while a batch is being sent", async () => {
    const bucket = await createBucket(c.s3, "stream-slow");
    const key = await stored(bucket, `${Array.from({ length: 12 }, (_, i) => `10.0.1.${i}`).join("\n")}\n`);
    let sending = false;
    const overlapped: boolean[] = [];
    const slow: Publisher & { messages: OutgoingMessage[] } = {
      messages: [],
      async publish(batch) {
        sending = true;
        await new Promise((r) => setTimeout(r, 20));
        this.messages.push(...batch);
        sending = false;
      },
    };
    const scanner = lineScanner([], new CollectingPublisher());
    const parseStream = scanner.parseStream;
    scanner.parseStream = async (raw, tools) =>
      parseStream(raw, {
        ...tools,
        complete: async (k) => {
          overlapped.push(sending);
          await tools.complete(k);
        },
      });
    const handler = makeScannerParseHandler(scanner, { publisher: slow, cascadePublisher: new Events() });
    await handler(event(bucket, key));
    expect(overlapped).not.toContain(true);
    expect(slow.messages).toHaveLength(13);
  });
});

describe("openRawResult", () => {
  it("streams the body in chunks and reads the tail by a ranged read", async () => {
    const bucket = await createBucket(c.s3, "open");
    const body = "x".repeat(3 * 1024 * 1024) + "THE END";
    const key = await stored(bucket, body);
    const raw = await openRawResult(bucket, key, c.s3);
    expect(raw.size).toBe(body.length);
    expect(raw.metadata.scanId).toBe("s1");
    expect((await raw.tail(7)).toString()).toBe("THE END");
    expect((await raw.tail(Limits.snsMessageBytes * 100)).length).toBe(body.length);
    let chunks = 0;
    let bytes = 0;
    for await (const chunk of raw.body) {
      chunks += 1;
      bytes += chunk.length;
    }
    expect(bytes).toBe(body.length);
    expect(chunks).toBeGreaterThan(1);
  });
});
