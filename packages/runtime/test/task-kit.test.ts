import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import {
  Attr,
  DocumentCollection,
  Env,
  RawMeta,
  ScanRequest,
  validate,
  type ParseFn,
  type ScanFn,
} from "@sec-an/contracts";
import { restoreEnvAfterEach } from "@sec-an/testing";
import type { S3Event } from "aws-lambda";
import {
  getRawResult,
  logger,
  makeParseHandler,
  makeScanHandler,
  PermanentFailure,
  putRawResult,
  resetClients,
  runParser,
  scanIdFor,
  setClients,
  setParamOverrides,
} from "../src";
import {
  createBucket,
  createQueue,
  drain,
  emulatorClients,
  lambdaContext,
  sqsEvent,
  toSqsRecord,
  topicWithQueue,
} from "./helpers";

logger.setLogLevel("SILENT");
const c = emulatorClients();
restoreEnvAfterEach();
const TASK = "demo";

beforeEach(() => {
  setClients({ s3: c.s3, sns: c.sns, sqs: c.sqs });
  process.env[Env.stage] = "kit";
});
afterEach(() => {
  resetClients();
  setParamOverrides(undefined);
});

/** A scanner that "finds" two open ports per target, or fails for targets it was told to. */
const scan: ScanFn<ScanRequest> = async (req) => {
  if (req.target === "fail.example") throw new Error("scanner crashed");
  if (req.target === "refused.example")
    throw new PermanentFailure("InvalidTarget", "refused.example is not ours to scan");
  const startTime = new Date("2026-11-23T10:00:00Z");
  return {
    body: JSON.stringify({ host: req.target, ports: [22, 443] }),
    extension: "json",
    contentType: "application/json",
    startTime,
    endTime: new Date("2026-11-23T10:01:00Z"),
  };
};

const parse: ParseFn = (raw, tools) => {
  const out = JSON.parse(raw.body.toString()) as { host: string; ports: number[] };
  const ctx = tools.results({ address: out.host });
  ctx.postResults("host", { up: true }, { includeSummaries: true });
  for (const port of out.ports) {
    ctx.pushContext({ port });
    ctx.postResults("ports", { state: "open" });
    ctx.popContext();
  }
  ctx.addSummary("open_ports", out.ports.length);
};

const s3Event = (bucket: string, ...keys: string[]): S3Event => ({
  Records: keys.map((key) => ({
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: "us-east-1",
    eventTime: new Date().toISOString(),
    eventName: "ObjectCreated:Put",
    userIdentity: { principalId: "x" },
    requestParameters: { sourceIPAddress: "127.0.0.1" },
    responseElements: { "x-amz-request-id": "r", "x-amz-id-2": "i" },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "c",
      bucket: { name: bucket, ownerIdentity: { principalId: "x" }, arn: `arn:aws:s3:::${bucket}` },
      object: { key: encodeURIComponent(key).replace(/%2F/g, "/"), size: 1, eTag: "e", sequencer: "1" },
    },
  })),
});

describe("makeScanHandler (fauxqs SQS + S3)", () => {
  it("stores a raw result per good request and reports only the bad ones", async () => {
    const bucket = await createBucket(c.s3, "results");
    setParamOverrides({ "/sec-an/kit/tasks/demo/s3/results/id": bucket });
    const q = await createQueue(c.sqs, "task");
    const bodies = [
      JSON.stringify({ target: "127.0.0.1", requestedAt: "2026-11-23T09:00:00Z" }),
      "{ not json",
      JSON.stringify({ target: "127.0.0.2" }),
      JSON.stringify({ target: "fail.example", requestedAt: "2026-11-23T09:00:00Z" }),
      JSON.stringify({ target: "127.0.0.3", requestedAt: "2026-11-23T09:00:00Z", scanId: "own-scan-id" }),
    ];
    for (const MessageBody of bodies)
      await c.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody }));
    const msgs = await drain(c.sqs, q.url, bodies.length);
    expect(msgs).toHaveLength(bodies.length);
    const handler = makeScanHandler({ task: TASK, requestSchema: ScanRequest, scan });
    const res = await handler(sqsEvent(msgs.map((m) => toSqsRecord(m, q.arn))), lambdaContext());
    const byBody = new Map(msgs.map((m) => [m.Body!, m.MessageId!]));
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [byBody.get(bodies[1]), byBody.get(bodies[2]), byBody.get(bodies[3])].sort(),
    );

    const key1 = `demo/2026/11/23/${byBody.get(bodies[0])}.json`;
    const raw = await getRawResult(bucket, key1, c.s3);
    expect(raw.metadata.scanId).toBe(byBody.get(bodies[0]));
    expect(raw.metadata.request).toEqual(JSON.parse(bodies[0]));
    const head = await c.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: "demo/2026/11/23/own-scan-id.json" }),
    );
    expect(head.Metadata?.[RawMeta.scanId]).toBe("own-scan-id");
  });

  it("dead-letters requests that can never succeed with a code and reason, and retries the rest", async () => {
    const bucket = await createBucket(c.s3, "dlq");
    setParamOverrides({ "/sec-an/kit/tasks/demo/s3/results/id": bucket });
    const q = await createQueue(c.sqs, "task");
    const dlq = await createQueue(c.sqs, "task-dlq");
    process.env[Env.deadLetterQueueUrl] = dlq.url;
    const bodies = [
      JSON.stringify({ target: "127.0.0.1", requestedAt: "2026-11-23T09:00:00Z" }),
      "{ not json",
      JSON.stringify({ target: "refused.example", requestedAt: "2026-11-23T09:00:00Z" }),
      JSON.stringify({ target: "fail.example", requestedAt: "2026-11-23T09:00:00Z" }),
    ];
    for (const MessageBody of bodies)
      await c.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody }));
    const msgs = await drain(c.sqs, q.url, bodies.length);
    const byBody = new Map(msgs.map((m) => [m.Body!, m.MessageId!]));
    const handler = makeScanHandler({ task: TASK, requestSchema: ScanRequest, scan });
    const res = await handler(sqsEvent(msgs.map((m) => toSqsRecord(m, q.arn))), lambdaContext());
    // Only the transient crash is retried; the permanent failures are handled by dead-lettering them.
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([byBody.get(bodies[3])]);
    const letters = await drain(c.sqs, dlq.url, 2);
    const byCode = Object.fromEntries(
      letters.map((m) => [m.MessageAttributes?.[Attr.errorCode]?.StringValue, m]),
    );
    expect(Object.keys(byCode).sort()).toEqual(["InvalidTarget", "malformed"]);
    expect(byCode.malformed.Body).toBe(bodies[1]);
    expect(byCode.InvalidTarget.Body).toBe(bodies[2]);
    expect(byCode.InvalidTarget.MessageAttributes?.[Attr.errorMessage]?.StringValue).toContain(
      "not ours to scan",
    );
    expect(byCode.malformed.MessageAttributes?.[Attr.requestId]?.StringValue).toBe(byBody.get(bodies[1]));
  });

  it("uses RESULTS_BUCKET when set, without SSM", async () => {
    const bucket = await createBucket(c.s3, "envbucket");
    process.env[Env.resultsBucket] = bucket;
    const handler = makeScanHandler({ task: TASK, requestSchema: ScanRequest, scan });
    const rec = toSqsRecord(
      {
        MessageId: "env-msg",
        ReceiptHandle: "r",
        Body: JSON.stringify({ target: "h.example", requestedAt: "2026-11-23T09:00:00Z" }),
      },
      "arn:aws:sqs:us-east-1:0:q",
    );
    expect((await handler(sqsEvent([rec]), lambdaContext())).batchItemFailures).toEqual([]);
    expect((await getRawResult(bucket, "demo/2026/11/23/env-msg.json", c.s3)).body.toString()).toContain(
      "h.example",
    );
  });

  it("picks the scan id", () => {
    expect(scanIdFor({ scanId: "abc" }, "m")).toBe("abc");
    expect(scanIdFor({ scanId: "../etc" }, "m")).toBe("m");
    expect(scanIdFor(null, "m")).toBe("m");
  });
});

describe("makeParseHandler (fauxqs S3 + SNS → SQS)", () => {
  it("parses new raw results and publishes their collections to the results topic", async () => {
    const bucket = await createBucket(c.s3, "parse");
    const { topicArn, queue } = await topicWithQueue(c, { raw: false });
    setParamOverrides({ "/sec-an/kit/tasks/demo/results/arn": topicArn });
    const request = {
      target: "127.0.1.1",
      requestedAt: "2026-11-23T09:00:00Z",
      lineage: { rootScanId: "root-9", parentScanId: "p-9", depth: 1 },
    };
    const key = await putRawResult({
      bucket,
      task: TASK,
      scanId: "scan-p1",
      request,
      output: await scan({ target: "127.0.1.1", requestedAt: "x" }, { scanId: "scan-p1", task: TASK }),
      s3: c.s3,
    });
    const handler = makeParseHandler({ task: TASK, parserVersion: "1.0.0", parse });
    await expect(handler(s3Event(bucket, key))).resolves.toEqual({ published: 1 });
    // request sidecars live in the same bucket and are not results
    await expect(handler(s3Event(bucket, "_requests/demo/2026/11/23/x.json.json"))).resolves.toEqual({
      published: 0,
    });

    const [m] = await drain(c.sqs, queue.url, 1);
    // non-raw subscription: an SNS envelope carrying the collection and its attributes
    const envelope = JSON.parse(m.Body!);
    const msg = validate(DocumentCollection, JSON.parse(envelope.Message));
    expect(envelope.MessageAttributes[Attr.parentKey].Value).toBe(msg.parentKey);
    expect(msg.lineage).toEqual({
      scanId: "scan-p1",
      task: TASK,
      rawKey: key,
      parserVersion: "1.0.0",
      rootScanId: "root-9",
      parentScanId: "p-9",
      depth: 1,
    });
    expect(msg.docs.ports.map((d) => d.data.port)).toEqual([22, 443]);
    expect(msg.docs.host[0].data).toEqual({ address: "127.0.1.1", up: true, summary_open_ports: 2 });
  });

  it("publishes the good results of an event and then fails naming each bad object", async () => {
    const bucket = await createBucket(c.s3, "parsebad");
    const { topicArn, queue } = await topicWithQueue(c, { raw: true });
    setParamOverrides({ "/sec-an/kit/tasks/demo/results/arn": topicArn });
    const good = await putRawResult({
      bucket,
      task: TASK,
      scanId: "good",
      request: {},
      output: await scan({ target: "a b", requestedAt: "x" }, { scanId: "good", task: TASK }),
      s3: c.s3,
    });
    await c.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "demo/2026/11/23/no meta.json", Body: "{}" }),
    );
    const wrongBody = await putRawResult({
      bucket,
      task: TASK,
      scanId: "notjson",
      request: {},
      output: {
        body: "<xml/>",
        extension: "json",
        startTime: new Date(),
        endTime: new Date("2026-11-23T11:00:00Z"),
      },
      s3: c.s3,
    });
    const handler = makeParseHandler({ task: TASK, parserVersion: "1", parse });
    const err = (await handler(s3Event(bucket, "demo/2026/11/23/no meta.json", good, wrongBody)).then(
      () => undefined,
      (e: Error) => e,
    ))!;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^2 raw result\(s\) failed/);
    expect(err.message).toContain(
      "no meta.json: raw result demo/2026/11/23/no meta.json: metadata is missing",
    );
    expect(err.message).toContain(`${wrongBody}: Unexpected token`);
    const got = await drain(c.sqs, queue.url, 1);
    expect(got.map((m) => JSON.parse(m.Body!).scanId)).toEqual(["good"]);
  });
});

describe("runParser", () => {
  it("returns the messages without publishing, and refuses another task's result", async () => {
    const raw = {
      key: "demo/2026/11/23/x.json",
      body: Buffer.from(JSON.stringify({ host: "h", ports: [1] })),
      metadata: {
        scanId: "x",
        task: TASK,
        scanStartTime: "2026-11-23T10:00:00Z",
        scanEndTime: "2026-11-23T10:01:00Z",
        request: {},
      },
    };
    const msgs = await runParser(raw, { task: TASK, parserVersion: "1", parse });
    expect(msgs).toHaveLength(1);
    expect(Object.keys(msgs[0].message.docs).sort()).toEqual(["host", "ports"]);
    await expect(runParser(raw, { task: "other", parserVersion: "1", parse })).rejects.toThrow(
      /belongs to task demo/,
    );
  });

  it("puts the task's declared doc types and the parse run's time on every message", async () => {
    const raw = {
      key: "demo/2026/11/23/y.json",
      body: Buffer.from(JSON.stringify({ host: "h", ports: [] })),
      metadata: {
        scanId: "y",
        task: TASK,
        scanStartTime: "2026-11-23T10:00:00Z",
        scanEndTime: "2026-11-23T10:01:00Z",
        request: {},
      },
    };
    const before = Date.now();
    const [m] = await runParser(raw, {
      task: TASK,
      parserVersion: "1",
      parse,
      docTypes: ["host", "ports", "vulns"],
    });
    expect(m.message.docTypes).toEqual(["host", "ports", "vulns"]);
    expect(Date.parse(m.message.parsedAt!)).toBeGreaterThanOrEqual(before - 1000);
  });
});
