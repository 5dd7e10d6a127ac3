import { SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import {
  Attr,
  Env,
  ErrorAttr,
  ErrorChannelEnv,
  Limits,
  PlatformErrorEvent,
  isValid,
} from "@sec-an/contracts";
import {
  FaultProxy,
  awsClientConfig,
  captureErrorsTopic,
  emulatorEndpoints,
  restoreEnvAfterEach,
} from "@sec-an/testing";
import {
  PermanentFailure,
  errorEvent,
  logger,
  resetClients,
  sendDeadLetter,
  setClients,
  setParamOverrides,
  sqsBatchHandler,
} from "../src";
import { handler as recorder, queueUrlOf } from "../src/handlers/dead-letter-recorder";
import {
  createBucket,
  createQueue,
  drain,
  emulatorClients,
  lambdaContext,
  receivedRecords,
  sqsEvent,
  toSqsRecord,
  topicWithQueue,
} from "./helpers";

logger.setLogLevel("SILENT");
const c = emulatorClients();
restoreEnvAfterEach([ErrorChannelEnv.topicArn, Env.deadLetterQueueUrl, Env.task, "AWS_LAMBDA_FUNCTION_NAME"]);
beforeEach(() => setClients({ sqs: c.sqs, sns: c.sns }));
afterEach(() => resetClients());

const realRecords = (bodies: string[], attrs: Record<string, string> = {}) =>
  receivedRecords(c.sqs, bodies, attrs, "work");
const errorsTopic = (filterPolicy?: Record<string, unknown>) => captureErrorsTopic(c, { filterPolicy });

const failing = (code: string) =>
  sqsBatchHandler(async (r) => {
    if (r.body.startsWith("bad")) throw new PermanentFailure(code, `cannot use ${r.body}`);
  });

describe("errorEvent", () => {
  it("names the function as the service, safe for a channel name, and bounds every field", () => {
    const e = errorEvent(
      { code: "x".repeat(100), message: "m".repeat(5000), requestId: "r-1", container: "a:b c" },
      { AWS_LAMBDA_FUNCTION_NAME: "dev:sec-an/launcher", [Env.task]: "nmap" },
      new Date("2026-11-27T10:00:00Z"),
    );
    expect(e.service).toBe("dev-sec-an-launcher");
    expect(e.container).toBe("a-b-c");
    expect(e.task).toBe("nmap");
    expect(Buffer.byteLength(e.code)).toBeLessThanOrEqual(64);
    expect(Buffer.byteLength(e.message)).toBeLessThanOrEqual(Limits.reasonBytes);
    expect(e.time).toBe("2026-11-27T10:00:00.000Z");
    expect(isValid(PlatformErrorEvent, e)).toBe(true);
  });

  it("falls back to the platform task and drops a scan id too long to be one", () => {
    const e = errorEvent({ code: "c", message: "", requestId: "", scanId: "s".repeat(200) }, {});
    expect(e).toMatchObject({
      service: "sec-an",
      task: "platform",
      message: "(no message)",
      requestId: "unknown",
    });
    expect(e.scanId).toBeUndefined();
  });
});

describe("dead letters on the error channel", () => {
  it("every dead letter of a batch handler is published with filterable attributes; good records are untouched", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    // Subscribed by filter policy: proves the attributes are there to filter on.
    const errors = await errorsTopic({ [ErrorAttr.code]: ["invalid-input"], [ErrorAttr.task]: ["nmap"] });
    process.env[Env.deadLetterQueueUrl] = dlq.url;
    process.env.AWS_LAMBDA_FUNCTION_NAME = "dev-sec-an-nmap-launcher";
    const records = await realRecords(["bad-one", "good"], {
      [Attr.task]: "nmap",
      [Attr.scanId]: "scan-42",
      [Attr.provider]: "scanner-mystical",
    });

    const res = await failing("invalid-input")(sqsEvent(records), lambdaContext());

    expect(res.batchItemFailures).toEqual([]);
    const [dead] = await drain(c.sqs, dlq.url, 1);
    expect(dead.Body).toBe("bad-one");
    const [m] = await drain(c.sqs, errors.queue.url, 1);
    const event = JSON.parse(m.Body!);
    expect(isValid(PlatformErrorEvent, event)).toBe(true);
    expect(event).toMatchObject({
      service: "dev-sec-an-nmap-launcher",
      task: "nmap",
      code: "invalid-input",
      message: "cannot use bad-one",
      requestId: records[0].messageId,
      scanId: "scan-42",
      container: "scanner-mystical",
      dlq: dlq.url,
      source: records[0].eventSourceARN,
    });
    const attrs = m.MessageAttributes!;
    expect(attrs[ErrorAttr.service].StringValue).toBe("dev-sec-an-nmap-launcher");
    expect(attrs[ErrorAttr.scanId].StringValue).toBe("scan-42");
    expect(attrs[ErrorAttr.container].StringValue).toBe("scanner-mystical");
    // Exactly one event: the good record raised none.
    expect(await drain(c.sqs, errors.queue.url, 1, 1)).toHaveLength(0);
  });

  it("a publish that fails or hangs is logged and swallowed: the dead letter is still written and the record handled", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const errors = await errorsTopic();
    process.env[Env.deadLetterQueueUrl] = dlq.url;
    const proxy = await FaultProxy.start(emulatorEndpoints().aws);
    try {
      setClients({ sqs: c.sqs, sns: new SNSClient({ ...awsClientConfig(proxy.url), maxAttempts: 1 }) });
      proxy.script([
        { match: { body: /bad-refused/ }, fault: { kind: "status", status: 500, body: "boom" } },
        { match: { body: /bad-hung/ }, fault: { kind: "timeout" } },
      ]);
      const records = await realRecords(["bad-refused", "bad-hung"]);
      const started = Date.now();
      const res = await failing("invalid-input")(sqsEvent(records), lambdaContext());
      expect(res.batchItemFailures).toEqual([]);
      // The hung publish was abandoned, not waited on until the function's timeout.
      expect(Date.now() - started).toBeLessThan(20_000);
      const dead = await drain(c.sqs, dlq.url, 2);
      expect(dead.map((m) => m.Body).sort()).toEqual(["bad-hung", "bad-refused"]);
      expect(await drain(c.sqs, errors.queue.url, 1, 1)).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });

  it("a dead letter that is itself an error event is not published again (no feedback loop)", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const errors = await errorsTopic();
    await sendDeadLetter(
      {
        body: "{}",
        requestId: "r-1",
        attributes: { [ErrorAttr.service]: { DataType: "String", StringValue: "redis-bridge" } },
      },
      { code: "retries-exhausted", message: "redis down" },
      { sqs: c.sqs, queueUrl: dlq.url },
    );
    expect(await drain(c.sqs, dlq.url, 1)).toHaveLength(1);
    expect(await drain(c.sqs, errors.queue.url, 1, 1)).toHaveLength(0);
  });

  it("a function without an errors topic only dead-letters", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const errors = await topicWithQueue(c, { raw: true });
    delete process.env[ErrorChannelEnv.topicArn];
    await sendDeadLetter(
      { body: "x", requestId: "r-2" },
      { code: "c", message: "m" },
      { sqs: c.sqs, queueUrl: dlq.url },
    );
    expect(await drain(c.sqs, dlq.url, 1)).toHaveLength(1);
    expect(await drain(c.sqs, errors.queue.url, 1, 1)).toHaveLength(0);
  });

  /** Files the given letters through the recorder; returns the error events published. */
  async function recordAll(letters: { body: string; attrs?: Record<string, string> }[]) {
    const dlq = await createQueue(c.sqs, "other-dlq");
    const errors = await errorsTopic();
    const bucket = await createBucket(c.s3, "dead");
    setClients({ sqs: c.sqs, sns: c.sns, s3: c.s3 });
    process.env[Env.stage] = "test";
    setParamOverrides({ "/sec-an/test/s3/dead_letters/name": bucket });
    try {
      for (const l of letters)
        await c.sqs.send(
          new SendMessageCommand({
            QueueUrl: dlq.url,
            MessageBody: l.body,
            MessageAttributes: Object.fromEntries(
              Object.entries(l.attrs ?? {}).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
            ),
          }),
        );
      const records = (await drain(c.sqs, dlq.url, letters.length)).map((m) => toSqsRecord(m, dlq.arn));
      expect((await recorder(sqsEvent(records), lambdaContext())).batchItemFailures).toEqual([]);
      const events = await drain(c.sqs, errors.queue.url, letters.length + 1, 2);
      return { events: events.map((m) => JSON.parse(m.Body!)), dlq };
    } finally {
      setParamOverrides(undefined);
    }
  }

  it("the recorder reports a dead letter Lambda wrote after async retries, and not one already reported", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "dev-sec-an-nmap-parser-dlq-recorder-function";
    // What Lambda sends to a function's DLQ: the event, and RequestID/ErrorCode/ErrorMessage attributes.
    const lambdaLetter = (code: string, message: string) => ({
      body: JSON.stringify({ scanId: "scan-7" }),
      attrs: { [Attr.requestId]: "req-async", [Attr.errorCode]: code, [Attr.errorMessage]: message },
    });
    const { events, dlq } = await recordAll([
      lambdaLetter("200", "Task timed out after 30.00 seconds"),
      lambdaLetter("malformed", "already reported by sendDeadLetter"),
    ]);
    expect(events).toEqual([
      expect.objectContaining({
        code: "async-invocation-failed",
        message: "Task timed out after 30.00 seconds",
        requestId: "req-async",
        scanId: "scan-7",
        dlq: queueUrlOf(dlq.arn),
      }),
    ]);
  });

  describe("the recorder reports letters nothing else reported", () => {
    it("an SQS-native redrive (handler timed out or ran out of memory) is published as redriven", async () => {
      const { events, dlq } = await recordAll([
        { body: JSON.stringify({ scanId: "scan-9" }), attrs: { [Attr.task]: "nmap" } },
      ]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        code: "redriven",
        task: "nmap",
        scanId: "scan-9",
        dlq: queueUrlOf(dlq.arn),
      });
      expect(events[0].message).toMatch(/without a recorded error/);
    });

    it("an EventBridge target dead letter is published with its ERROR_CODE and ERROR_MESSAGE", async () => {
      const { events } = await recordAll([
        {
          body: JSON.stringify({ "detail-type": "ECS Task State Change", detail: {} }),
          attrs: {
            ERROR_CODE: "SDK_CLIENT_ERROR",
            ERROR_MESSAGE: "Lambda function not found",
            RULE_ARN: "arn:aws:events:eu-west-1:123456789012:rule/x",
          },
        },
      ]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ code: "SDK_CLIENT_ERROR", message: "Lambda function not found" });
    });

    it("a DynamoDB stream on-failure record is published as redriven", async () => {
      const onFailure = {
        requestContext: {
          requestId: "r-ddb",
          condition: "RetryAttemptsExhausted",
          approximateInvokeCount: 3,
        },
        DDBStreamBatchInfo: { shardId: "shardId-1", batchSize: 1 },
      };
      const { events } = await recordAll([{ body: JSON.stringify(onFailure) }]);
      expect(events).toHaveLength(1);
      expect(events[0].code).toBe("redriven");
    });

    it("an error event that was itself dead-lettered, or a letter sendDeadLetter reported, is not published", async () => {
      const { events } = await recordAll([
        { body: "{}", attrs: { [ErrorAttr.service]: "redis-bridge" } },
        { body: "{}", attrs: { [Attr.errorCode]: "malformed", [Attr.errorMessage]: "reported already" } },
      ]);
      expect(events).toHaveLength(0);
    });
  });
});
