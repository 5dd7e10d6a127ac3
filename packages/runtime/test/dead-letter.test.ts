import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { Attr, ScanRequest } from "@sec-an/contracts";
import {
  PermanentFailure,
  forwardExceptionsToDlq,
  isPermanentFailure,
  logger,
  parseRecordBody,
  sendRecordToDlq,
  sqsBatchHandler,
} from "../src";
import {
  createQueue,
  drain,
  emulatorClients,
  fakeRecord,
  lambdaContext,
  sqsEvent,
  toSqsRecord,
} from "./helpers";

logger.setLogLevel("SILENT");
const c = emulatorClients();
const good = JSON.stringify({ target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z" });

/** Send `bodies` to a fresh queue and receive them back as Lambda records (real ids, attributes, ARN). */
async function realRecords(bodies: string[], attrs: Record<string, string> = {}) {
  const q = await createQueue(c.sqs, "src");
  for (const MessageBody of bodies)
    await c.sqs.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody,
        MessageAttributes: Object.fromEntries(
          Object.entries(attrs).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
        ),
      }),
    );
  const msgs = await drain(c.sqs, q.url, bodies.length);
  return msgs.map((m) => toSqsRecord(m, q.arn));
}

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

describe("forwardExceptionsToDlq codes", () => {
  it("carries a PermanentFailure's own code", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const f = forwardExceptionsToDlq(
      async () => {
        throw new PermanentFailure("bad-stream-record", "no key");
      },
      { queueUrl: dlq.url, sqs: () => c.sqs },
    );
    await expect(f({ a: 1 }, lambdaContext("r-9"))).rejects.toThrow("no key");
    const [m] = await drain(c.sqs, dlq.url, 1);
    expect(m.MessageAttributes![Attr.errorCode]).toMatchObject({
      DataType: "String",
      StringValue: "bad-stream-record",
    });
    expect(m.MessageAttributes![Attr.errorMessage].StringValue).toMatch(/^PermanentFailure: no key/);
    expect(m.MessageAttributes![Attr.requestId].StringValue).toBe("r-9");
  });
});
