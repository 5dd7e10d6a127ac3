import { Type } from "@sinclair/typebox";
import { DocumentCollection, Env, Params, validate, type CascadeTopic } from "@sec-an/contracts";
import type { S3Event } from "aws-lambda";
import { logger, putRawResult, resetClients, setClients, setParamOverrides } from "../src";
import { makeScannerParseHandler, runScannerParser } from "../src/parse-handler";
import { createBucket, drain, emulatorClients, topicWithQueue } from "./helpers";

logger.setLogLevel("SILENT");
const c = emulatorClients();
const saved = { ...process.env };

beforeEach(() => {
  setClients({ s3: c.s3, sns: c.sns, sqs: c.sqs });
  process.env[Env.stage] = "kit";
});
afterEach(() => {
  resetClients();
  setParamOverrides(undefined);
  process.env = { ...saved };
});

const Found = Type.Object({ address: Type.String(), port: Type.Integer({ minimum: 1, maximum: 65535 }) });
const found: CascadeTopic = {
  name: "found",
  param: { ...Params.portsTopicArn, path: "/test/found_topic" },
  event: Found,
  attributes: { port: "Number", address: "String" },
};

/** A parser that posts a document per port and cascades each port, returning how many it saw. */
const scanner = {
  name: "probe",
  parserVersion: "2.0.0",
  docTypes: ["ports"],
  cascades: [found],
  parse: (raw: { body: Buffer }, tools: import("@sec-an/contracts").ScannerParseTools) => {
    const r = JSON.parse(raw.body.toString()) as { address: string; ports: number[]; bogus?: string };
    const ctx = tools.results({ address: r.address });
    for (const port of r.ports) {
      ctx.pushContext({ port });
      ctx.postResults(r.bogus ?? "ports", { state: "open" });
      ctx.popContext();
      tools.emit("found", { address: r.address, port }, { port, address: r.address });
    }
    return r.ports.length;
  },
};

const s3Event = (bucket: string, ...keys: string[]): S3Event =>
  ({
    Records: keys.map((key) => ({ s3: { bucket: { name: bucket }, object: { key } } })),
  }) as unknown as S3Event;

async function stored(bucket: string, scanId: string, body: unknown) {
  const t = new Date("2026-11-27T10:00:00Z");
  return putRawResult({
    bucket,
    task: "probe",
    scanId,
    request: { target: "127.0.0.1" },
    output: { body: JSON.stringify(body), extension: "json", startTime: t, endTime: t },
    s3: c.s3,
  });
}

describe("makeScannerParseHandler (fauxqs S3 + SNS → SQS)", () => {
  it("publishes collections and cascades (typed attributes a numeric filter policy matches), then runs the hook", async () => {
    const bucket = await createBucket(c.s3, "scanparse");
    const results = await topicWithQueue(c);
    // Only ports >= 1024 reach this subscriber: the filter works only if `port` is sent as a Number.
    const cascade = await topicWithQueue(c, { filterPolicy: { port: [{ numeric: [">=", 1024] }] } });
    setParamOverrides({
      "/sec-an/kit/tasks/probe/results/arn": results.topicArn,
      "/sec-an/kit/test/found_topic": cascade.topicArn,
    });
    const key = await stored(bucket, "s1", { address: "127.0.0.1", ports: [22, 8080] });
    const hook: unknown[] = [];
    const handler = makeScannerParseHandler(scanner, {
      afterPublish: async (raw, parsed) => void hook.push([raw.key, parsed.result, parsed.cascades.length]),
    });
    await expect(handler(s3Event(bucket, key))).resolves.toEqual([{ key, messages: 1, cascades: 2 }]);
    expect(hook).toEqual([[key, 2, 2]]);

    const [doc] = await drain(c.sqs, results.queue.url, 1);
    const msg = validate(DocumentCollection, JSON.parse(doc.Body!));
    expect(msg.docs.ports.map((d) => d.data.port)).toEqual([22, 8080]);
    const events = await drain(c.sqs, cascade.queue.url, 2);
    expect(events.map((m) => JSON.parse(m.Body!))).toEqual([{ address: "127.0.0.1", port: 8080 }]);
  });

  it("fails a result that emits what its module does not declare, before publishing any of it", async () => {
    const bucket = await createBucket(c.s3, "scanparsebad");
    const results = await topicWithQueue(c);
    setParamOverrides({ "/sec-an/kit/tasks/probe/results/arn": results.topicArn });
    const bad = await stored(bucket, "bad", { address: "127.0.0.1", ports: [70000] });
    const undeclaredDoc = await stored(bucket, "doc", { address: "127.0.0.1", ports: [80], bogus: "other" });
    const handler = makeScannerParseHandler(scanner);
    const err = (await handler(s3Event(bucket, bad, undeclaredDoc)).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/^2 raw result\(s\) failed/);
    expect(err.message).toContain("/port");
    expect(err.message).toContain("posted other documents, but the module declares only [ports]");
    expect(await drain(c.sqs, results.queue.url, 1, 1)).toEqual([]);
  });
});

describe("runScannerParser", () => {
  const raw = (body: unknown) => ({
    key: "probe/2026/11/27/x.json",
    body: Buffer.from(JSON.stringify(body)),
    metadata: {
      scanId: "x",
      task: "probe",
      scanStartTime: "2026-11-27T10:00:00.000Z",
      scanEndTime: "2026-11-27T10:00:00.000Z",
      request: {},
    },
  });

  it("refuses an undeclared topic or attribute, naming it", async () => {
    const topicless = { ...scanner, cascades: [] };
    await expect(runScannerParser(raw({ address: "a", ports: [1] }), topicless)).rejects.toThrow(
      /emit to "found", which the scanner module does not declare/,
    );
    const narrow = { ...scanner, cascades: [{ ...found, attributes: { port: "Number" as const } }] };
    await expect(runScannerParser(raw({ address: "a", ports: [1] }), narrow)).rejects.toThrow(
      /attribute "address" is not one the found topic declares/,
    );
  });

  it("returns documents, events with their attribute types, and the parser's result", async () => {
    const p = await runScannerParser(raw({ address: "a", ports: [443] }), scanner);
    expect(p.result).toBe(1);
    expect(p.cascades).toEqual([
      {
        topic: "found",
        event: { address: "a", port: 443 },
        attributes: { port: { type: "Number", value: "443" }, address: { type: "String", value: "a" } },
      },
    ]);
    expect(p.messages[0].message.lineage.parserVersion).toBe("2.0.0");
    expect(p.messages[0].message.docTypes).toEqual(["ports"]);
  });
});
