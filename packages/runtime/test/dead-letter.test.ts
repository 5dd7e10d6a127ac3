import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { Attr, Env, ScanRequest } from "@sec-an/contracts";
import { restoreEnvAfterEach, uniqueName } from "@sec-an/testing";
import type { SQSRecord } from "aws-lambda";
import {
  PermanentFailure,
  deadLetterOnFailure,
  isLastAttempt,
  isPermanentFailure,
  logger,
  parseRecordBody,
  permanentFailureOf,
  resetClients,
  sendRecordToDlq,
  setClients,
  sqsBatchHandler,
  type SqsBatchHandler,
} from "../src";
import {
  createQueue,
  drain,
  emulatorClients,
  fakeRecord,
  lambdaContext,
  receivedRecords,
  sqsEvent,
  toSqsRecord,
} from "./helpers";

logger.setLogLevel("SILENT");
const c = emulatorClients();
const good = JSON.stringify({ target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z" });

const realRecords = (bodies: string[], attrs: Record<string, string> = {}) =>
  receivedRecords(c.sqs, bodies, attrs, "src");

describe("PermanentFailure", () => {
  it("carries its code, message and cause", () => {
    const cause = new Error("root");
    const e = new PermanentFailure("invalid-target", "bad target", { cause });
    expect(isPermanentFailure(e)).toBe(true);
    expect(isPermanentFailure(new Error("x"))).toBe(false);
    expect(e).toMatchObject({
      code: "invalid-target",
      message: "bad target",
      cause,
      name: "PermanentFailure",
    });
  });
});

describe("sendRecordToDlq (fauxqs)", () => {
  it("sends the original body with its attributes plus code, reason, request id and source queue", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const [rec] = await realRecords(["original ✓ body"], { Provider: "nmap", ScanId: "s-1" });
    await sendRecordToDlq(
      rec,
      { code: "invalid-target", message: "x".repeat(5000) },
      { sqs: c.sqs, queueUrl: dlq.url },
    );
    const [m] = await drain(c.sqs, dlq.url, 1);
    expect(m.Body).toBe("original ✓ body");
    const a = m.MessageAttributes!;
    expect(a.Provider.StringValue).toBe("nmap");
    expect(a.ScanId.StringValue).toBe("s-1");
    expect(a[Attr.errorCode].StringValue).toBe("invalid-target");
    expect(a[Attr.errorMessage].StringValue!.length).toBeLessThanOrEqual(1024);
    expect(a[Attr.requestId].StringValue).toBe(rec.messageId);
    expect(a[Attr.sourceQueue].StringValue).toBe(rec.eventSourceARN);
  });

  it("keeps within SQS's 10 attributes whatever the record carried", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`A${i}`, String(i)]));
    const [rec] = await realRecords(["b"], many);
    await sendRecordToDlq(rec, { code: "c", message: "m" }, { sqs: c.sqs, queueUrl: dlq.url });
    const [m] = await drain(c.sqs, dlq.url, 1);
    expect(Object.keys(m.MessageAttributes!)).toHaveLength(10);
    expect(m.MessageAttributes![Attr.errorCode].StringValue).toBe("c");
  });
});

describe("sqsBatchHandler with a dead-letter target (fauxqs)", () => {
  it("dead-letters permanent failures with code and reason; siblings succeed; transient errors retry", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const records = await realRecords([
      good,
      "{not json",
      JSON.stringify({ target: 1 }),
      "perm",
      "transient",
    ]);
    const byBody = (b: string) => records.find((r) => r.body === b)!.messageId;
    const handled: string[] = [];
    const handler = sqsBatchHandler(
      async (r) => {
        if (r.body === "perm") throw new PermanentFailure("invalid-target", "target is a range");
        if (r.body === "transient") throw new Error("throttled");
        handled.push(parseRecordBody(ScanRequest, r).target);
      },
      { deadLetter: () => ({ sqs: c.sqs, queueUrl: dlq.url }) },
    );
    const res = await handler(sqsEvent(records), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: byBody("transient") }]);
    expect(handled).toEqual(["127.0.0.1"]);
    const dead = await drain(c.sqs, dlq.url, 3);
    const codes = Object.fromEntries(
      dead.map((m) => [
        m.Body!,
        [
          m.MessageAttributes![Attr.errorCode].StringValue,
          m.MessageAttributes![Attr.errorMessage].StringValue,
        ],
      ]),
    );
    expect(Object.keys(codes).sort()).toEqual(["perm", '{"target":1}', "{not json"].sort());
    expect(codes.perm).toEqual(["invalid-target", "target is a range"]);
    expect(codes["{not json"][0]).toBe("malformed");
    expect(codes["{not json"][1]).toMatch(/JSON/i);
    expect(codes['{"target":1}'][0]).toBe("malformed");
    expect(codes['{"target":1}'][1]).toMatch(/target/);
  });

  it("retries a permanent failure when the DLQ send fails (nothing is lost)", async () => {
    const [rec] = await realRecords(["perm"]);
    const handler = sqsBatchHandler(
      async () => {
        throw new PermanentFailure("invalid-target", "bad");
      },
      // A queue that does not exist: the send is rejected, as SQS would reject it.
      { deadLetter: () => ({ sqs: c.sqs, queueUrl: "http://127.0.0.1:1/000000000000/missing-dlq" }) },
    );
    const res = await handler(sqsEvent([rec]), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: rec.messageId }]);
  });

  it("retries when the DLQ lookup itself fails", async () => {
    const handler = sqsBatchHandler(
      async () => {
        throw new PermanentFailure("x", "y");
      },
      {
        deadLetter: async () => {
          throw new Error("no parameter");
        },
      },
    );
    const rec = fakeRecord("b", "m-1");
    expect((await handler(sqsEvent([rec]))).batchItemFailures).toEqual([{ itemIdentifier: "m-1" }]);
  });

  it("without a target, a permanent failure is retried like any error", async () => {
    const handler = sqsBatchHandler(async () => {
      throw new PermanentFailure("x", "y");
    });
    const rec = fakeRecord("b", "m-2");
    expect((await handler(sqsEvent([rec]))).batchItemFailures).toEqual([{ itemIdentifier: "m-2" }]);
  });
});

describe("deadLetterOnFailure", () => {
  it("carries a PermanentFailure's own code and message", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const sent = await deadLetterOnFailure(
      new PermanentFailure("bad-stream-record", "no key"),
      { body: '{"a":1}', requestId: "r-9" },
      { target: { sqs: c.sqs, queueUrl: dlq.url } },
    );
    expect(sent).toBe(true);
    const [m] = await drain(c.sqs, dlq.url, 1);
    expect(m.MessageAttributes![Attr.errorCode]).toMatchObject({
      DataType: "String",
      StringValue: "bad-stream-record",
    });
    expect(m.MessageAttributes![Attr.errorMessage].StringValue).toBe("no key");
    expect(m.MessageAttributes![Attr.requestId].StringValue).toBe("r-9");
  });

  it("leaves a transient error with attempts left, or without a target, to be retried", async () => {
    const letter = { body: "b", requestId: "r" };
    const target = { sqs: c.sqs, queueUrl: "http://127.0.0.1:1/000000000000/never-used" };
    await expect(deadLetterOnFailure(new Error("throttled"), letter, { target })).resolves.toBe(false);
    await expect(deadLetterOnFailure(new PermanentFailure("x", "y"), letter, {})).resolves.toBe(false);
  });
});

describe("isLastAttempt", () => {
  const rec = (n: string) =>
    fakeRecord("b", "m", { attributes: { ...fakeRecord("b").attributes, ApproximateReceiveCount: n } });
  it("is true once the receive count reaches the queue's maxReceiveCount", () => {
    const env = { [Env.maxReceiveCount]: "3" };
    expect(isLastAttempt(rec("2"), env)).toBe(false);
    expect(isLastAttempt(rec("3"), env)).toBe(true);
    expect(isLastAttempt(rec("4"), env)).toBe(true);
    expect(isLastAttempt(rec("1"), 1)).toBe(true);
  });
  it("is false when the count is unknown", () => {
    expect(isLastAttempt(rec("9"), {})).toBe(false);
    expect(isLastAttempt(rec("9"), { [Env.maxReceiveCount]: "zero" })).toBe(false);
    expect(isLastAttempt(rec("9"), undefined)).toBe(false);
  });
});

describe("a stack overflow is permanent", () => {
  const deep = "[".repeat(200_000) + "]".repeat(200_000);

  it("is classified as unprocessable", () => {
    const overflow = (() => {
      try {
        JSON.stringify(JSON.parse(deep));
      } catch (e) {
        return e;
      }
    })();
    expect(overflow).toBeInstanceOf(RangeError);
    expect(permanentFailureOf(overflow)).toMatchObject({ code: "unprocessable" });
    expect(permanentFailureOf(new RangeError("Invalid array length"))).toBeUndefined();
  });

  it("a deeply nested request is dead-lettered as unprocessable, its sibling handled (fauxqs)", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const hostile = `{"target":"127.0.0.1","requestedAt":"2026-11-23T10:00:00Z","x":${deep}}`;
    const records = await realRecords([hostile, good]);
    const stored: string[] = [];
    // The request passes its schema; storing it (as putRawResult does) overflows the stack.
    const handler = sqsBatchHandler(
      async (r) => {
        stored.push(JSON.stringify(parseRecordBody(ScanRequest, r)));
      },
      { deadLetter: () => ({ sqs: c.sqs, queueUrl: dlq.url }) },
    );
    const res = await handler(sqsEvent(records), lambdaContext());
    expect(res.batchItemFailures).toEqual([]);
    expect(stored).toEqual([good]);
    const [m] = await drain(c.sqs, dlq.url, 1);
    expect(m.Body).toBe(hostile);
    expect(m.MessageAttributes![Attr.errorCode].StringValue).toBe("unprocessable");
    expect(m.MessageAttributes![Attr.errorMessage].StringValue).toMatch(/^RangeError: Maximum call stack/);
  });
});

/**
 * Lambda's SQS poller in miniature, against a real queue with a redrive policy: receive, invoke, delete
 * what the handler did not report failed. Failed messages reappear at once (visibility timeout 0), so
 * the loop ends when the queue is empty, after at most `rounds` receives.
 */
async function pollUntilEmpty(queueUrl: string, queueArn: string, handler: SqsBatchHandler, rounds = 10) {
  for (let i = 0; i < rounds; i += 1) {
    const r = await c.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    if (!r.Messages?.length) return;
    const records = r.Messages.map((m) => toSqsRecord(m, queueArn));
    const res = await handler(sqsEvent(records), lambdaContext());
    const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of r.Messages)
      if (!failed.has(m.MessageId!))
        await c.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  }
}

describe("retries exhausted: the last attempt dead-letters with the error (fauxqs, real redrive)", () => {
  restoreEnvAfterEach();
  afterEach(() => resetClients());

  async function redrivenQueue(maxReceiveCount: number) {
    const dlq = await createQueue(c.sqs, "dlq");
    const name = uniqueName("work");
    const { QueueUrl } = await c.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: "0",
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }),
        },
      }),
    );
    const attrs = await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    // What ServiceQueue's consumerEnvironment gives the consuming function.
    setClients({ sqs: c.sqs });
    process.env[Env.deadLetterQueueUrl] = dlq.url;
    process.env[Env.maxReceiveCount] = String(maxReceiveCount);
    return { url: QueueUrl!, arn: attrs.Attributes!.QueueArn!, dlq };
  }

  it("a record failing on every attempt ends in the DLQ with retries-exhausted and the last error", async () => {
    const q = await redrivenQueue(3);
    await c.sqs.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody: "flaky",
        MessageAttributes: { Provider: { DataType: "String", StringValue: "nmap" } },
      }),
    );
    const attempts: string[] = [];
    const handler = sqsBatchHandler(async (r: SQSRecord) => {
      attempts.push(r.attributes.ApproximateReceiveCount);
      throw new TypeError(`upstream timed out on attempt ${r.attributes.ApproximateReceiveCount}`);
    });
    await pollUntilEmpty(q.url, q.arn, handler);
    expect(attempts).toEqual(["1", "2", "3"]);
    const dead = await drain(c.sqs, q.dlq.url, 2, 2);
    expect(dead).toHaveLength(1);
    expect(dead[0].Body).toBe("flaky");
    const a = dead[0].MessageAttributes!;
    expect(a[Attr.errorCode].StringValue).toBe("retries-exhausted");
    expect(a[Attr.errorMessage].StringValue).toBe("TypeError: upstream timed out on attempt 3");
    expect(a[Attr.sourceQueue].StringValue).toBe(q.arn);
    expect(a.Provider.StringValue).toBe("nmap");
  });

  it("a record that succeeds on its last attempt is not dead-lettered", async () => {
    const q = await redrivenQueue(3);
    await c.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: "recovers" }));
    const done: string[] = [];
    const handler = sqsBatchHandler(async (r: SQSRecord) => {
      if (r.attributes.ApproximateReceiveCount !== "3") throw new Error("not yet");
      done.push(r.body);
    });
    await pollUntilEmpty(q.url, q.arn, handler);
    expect(done).toEqual(["recovers"]);
    expect(await drain(c.sqs, q.dlq.url, 1, 2)).toEqual([]);
  });

  it("when the DLQ send fails on the last attempt, the record is reported failed (redrive still catches it)", async () => {
    const q = await redrivenQueue(1);
    process.env[Env.deadLetterQueueUrl] = "http://127.0.0.1:1/000000000000/missing-dlq";
    await c.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: "kept" }));
    const [m] = await drain(c.sqs, q.url, 1);
    const rec = toSqsRecord(m, q.arn);
    const res = await sqsBatchHandler(async () => {
      throw new Error("down");
    })(sqsEvent([rec]), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: rec.messageId }]);
  });
});
