import { gunzipSync } from "node:zlib";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { FaultProxy, awsClientConfig, emulatorEndpoints, restoreEnvAfterEach } from "@sec-an/testing";
import { Attr, DeadLetterRecord, Env, Limits, validate } from "@sec-an/contracts";
import {
  deadLetterOnFailure,
  dlqBody,
  logger,
  metadataBytes,
  resetClients,
  setClients,
  setParamOverrides,
} from "../src";
import { handler as recorder, deadLetterRecord } from "../src/handlers/dead-letter-recorder";
import { GLUE_TOPIC_ENV, handler as glue, toSnsAttributes } from "../src/handlers/sqs-sns-glue";
import {
  createBucket,
  createQueue,
  drain,
  emulatorClients,
  fakeRecord,
  lambdaContext,
  sqsEvent,
  toSqsRecord,
  topicWithQueue,
} from "./helpers";

logger.setLogLevel("SILENT");
const c = emulatorClients();
restoreEnvAfterEach();

beforeEach(() => setClients({ s3: c.s3, sns: c.sns, sqs: c.sqs }));
afterEach(() => {
  resetClients();
  setParamOverrides(undefined);
});

async function readObject(bucket: string, key: string) {
  const o = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    json: JSON.parse(gunzipSync(Buffer.from(await o.Body!.transformToByteArray())).toString()),
    meta: o.Metadata ?? {},
  };
}

describe("deadLetterOnFailure → dead-letter recorder (fauxqs)", () => {
  it("sends a failed event to the DLQ with its code and error, and the recorder stores it with size-safe metadata", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    const event = { Records: [{ eventName: "INSERT", dynamodb: { Keys: { Address: { S: "127.0.0.1" } } } }] };
    const error = new Error("sync failed: ✓ " + "deep frame\n".repeat(500));
    const sent = await deadLetterOnFailure(
      error,
      { body: dlqBody(event), requestId: "req-42" },
      { target: async () => ({ sqs: c.sqs, queueUrl: dlq.url }), lastAttempt: true },
    );
    expect(sent).toBe(true);
    const [msg] = await drain(c.sqs, dlq.url, 1);
    expect(JSON.parse(msg.Body!)).toEqual(event);
    expect(msg.MessageAttributes?.[Attr.requestId]?.StringValue).toBe("req-42");
    expect(msg.MessageAttributes?.[Attr.errorCode]).toMatchObject({
      DataType: "String",
      StringValue: "retries-exhausted",
    });
    expect(Buffer.byteLength(msg.MessageAttributes![Attr.errorMessage].StringValue!)).toBeLessThanOrEqual(
      Limits.reasonBytes,
    );

    const bucket = await createBucket(c.s3, "dead");
    process.env[Env.stage] = "test";
    setParamOverrides({ "/sec-an/test/s3/dead_letters/name": bucket });
    const good = toSqsRecord(msg, dlq.arn);
    const res = await recorder(sqsEvent([good]), lambdaContext());
    expect(res.batchItemFailures).toEqual([]);

    const rec = deadLetterRecord(good);
    expect(rec.deadLetterKey).toMatch(
      new RegExp(`^${dlq.name}/\\d{4}/\\d{2}/\\d{2}/${msg.MessageId}\\.json\\.gz$`),
    );
    const { json, meta } = await readObject(bucket, rec.deadLetterKey);
    expect(json.body).toBe(msg.Body);
    const stored = validate(DeadLetterRecord, json.record);
    expect(stored).toMatchObject({
      queueName: dlq.name,
      messageId: msg.MessageId,
      errorCode: "retries-exhausted",
      requestId: "req-42",
      bodyBytes: Buffer.byteLength(msg.Body!),
    });
    expect(stored.reason).toMatch(/^Error: sync failed/);
    expect(meta["queue-name"]).toBe(dlq.name);
    expect(meta.reason).toMatch(/^Error: sync failed: \? deep frame deep frame/);
    expect(metadataBytes(meta)).toBeLessThanOrEqual(Limits.s3MetadataBytes);
    expect(Object.values(meta).every((v) => /^[\x20-\x7e]*$/.test(v))).toBe(true);
  });

  it("keeps the input for a retry when the DLQ itself cannot be reached", async () => {
    const sent = await deadLetterOnFailure(
      new Error("boom"),
      { body: "{}", requestId: "r" },
      {
        target: async () => {
          throw new Error("no dlq parameter");
        },
        lastAttempt: true,
      },
    );
    expect(sent).toBe(false);
  });

  it("sends a marked head of an event too large for one message", () => {
    const big = { Records: Array.from({ length: 400 }, (_, i) => ({ i, blob: "é".repeat(500) })) };
    const body = dlqBody(big);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(Limits.publishBudgetBytes);
    const parsed = JSON.parse(body);
    expect(parsed).toMatchObject({ truncated: true, bytes: Buffer.byteLength(JSON.stringify(big)) });
    expect(JSON.stringify(big).startsWith(parsed.head.slice(0, -1))).toBe(true);
    expect(dlqBody({ small: 1 })).toBe('{"small":1}');
  });

  it("still builds a dead letter for an event too deep (or cyclic) to serialise", () => {
    const deep = JSON.parse("[".repeat(200_000) + "]".repeat(200_000));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(JSON.parse(dlqBody(deep))).toEqual({
      unserializable: true,
      error: "RangeError: Maximum call stack size exceeded",
    });
    expect(JSON.parse(dlqBody(cyclic))).toMatchObject({
      unserializable: true,
      error: expect.stringMatching(/^TypeError/),
    });
  });

  it("reports only records that cannot be stored", async () => {
    const bucket = await createBucket(c.s3, "dead");
    process.env[Env.stage] = "test";
    setParamOverrides({ "/sec-an/test/s3/dead_letters/name": bucket });
    const ok = fakeRecord("plain body", "ok-1", {
      attributes: {
        ApproximateReceiveCount: "3",
        SentTimestamp: "1763892000000",
        SenderId: "x",
        ApproximateFirstReceiveTimestamp: "1",
      },
    });
    // a message id that cannot name an object: the record fails, its sibling is still stored
    const bad = fakeRecord("x", "", {});
    const res = await recorder(sqsEvent([ok, bad]), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "" }]);
    const { json } = await readObject(bucket, "test-queue/2025/11/23/ok-1.json.gz");
    expect(json.record.receiveCount).toBe(3);
    expect(json.body).toBe("plain body");
  });

  it("never dead-letters, even on a last attempt with a DLQ in its environment: its queue is the DLQ", async () => {
    const dlq = await createQueue(c.sqs, "dlq");
    process.env[Env.stage] = "test";
    process.env[Env.paramOverrides] = "/nonexistent/params.json";
    process.env[Env.deadLetterQueueUrl] = dlq.url;
    process.env[Env.maxReceiveCount] = "1";
    const res = await recorder(sqsEvent([fakeRecord("a", "m1")]), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
    expect(await drain(c.sqs, dlq.url, 1, 1)).toEqual([]);
  });

  it("fails every record clearly when the bucket parameter is missing", async () => {
    process.env[Env.stage] = "test";
    process.env[Env.paramOverrides] = "/nonexistent/params.json";
    const res = await recorder(sqsEvent([fakeRecord("a", "m1")]), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
  });
});

describe("SQS → SNS glue (fauxqs)", () => {
  it("converts attributes to the SNS shape", () => {
    expect(
      toSnsAttributes({
        Provider: { dataType: "String", stringValue: "nmap" },
        Depth: { dataType: "Number", stringValue: "2" },
        Blob: { dataType: "Binary", binaryValue: Buffer.from("hi").toString("base64") },
      }),
    ).toEqual({
      Provider: { DataType: "String", StringValue: "nmap" },
      Depth: { DataType: "Number", StringValue: "2" },
      Blob: { DataType: "Binary", BinaryValue: Buffer.from("hi") },
    });
  });

  it("forwards queue messages to a topic whose filter policy selects on the forwarded attributes", async () => {
    const source = await createQueue(c.sqs, "delay");
    const { topicArn, queue } = await topicWithQueue(c, {
      raw: true,
      filterPolicy: { [Attr.provider]: ["nmap"], [Attr.depth]: [{ numeric: ["<", 3] }] },
    });
    process.env[GLUE_TOPIC_ENV] = topicArn;
    const send = (body: string, provider: string, depth: string) =>
      c.sqs.send(
        new SendMessageCommand({
          QueueUrl: source.url,
          MessageBody: body,
          MessageAttributes: {
            [Attr.provider]: { DataType: "String", StringValue: provider },
            [Attr.depth]: { DataType: "Number", StringValue: depth },
          },
        }),
      );
    await send('{"target":"a"}', "nmap", "1");
    await send('{"target":"b"}', "ssl", "1");
    await send('{"target":"c"}', "nmap", "5");
    const received = await drain(c.sqs, source.url, 3);
    expect(received).toHaveLength(3);
    const res = await glue(sqsEvent(received.map((m) => toSqsRecord(m, source.arn))), lambdaContext());
    expect(res.batchItemFailures).toEqual([]);
    const delivered = await drain(c.sqs, queue.url, 2, 2);
    expect(delivered.map((m) => m.Body)).toEqual(['{"target":"a"}']);
    expect(delivered[0].MessageAttributes?.[Attr.provider]?.StringValue).toBe("nmap");
  });

  it("dead-letters records SNS could never accept with their reason; good siblings are forwarded", async () => {
    const source = await createQueue(c.sqs, "delay");
    const dlq = await createQueue(c.sqs, "delay-dlq");
    const { topicArn, queue } = await topicWithQueue(c, { raw: true });
    process.env[GLUE_TOPIC_ENV] = topicArn;
    process.env[Env.deadLetterQueueUrl] = dlq.url;
    const attr = (DataType: string, StringValue: string) => ({ DataType, StringValue });
    await c.sqs.send(
      new SendMessageCommand({
        QueueUrl: source.url,
        MessageBody: "bad-number",
        MessageAttributes: { Depth: attr("Number", "1") },
      }),
    );
    await c.sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: "good" }));
    const received = await drain(c.sqs, source.url, 2);
    const records = received.map((m) => toSqsRecord(m, source.arn));
    // What SQS could deliver but SNS would refuse or misroute: a Number that is not one, an unknown type.
    const badNumber = records.find((r) => r.body === "bad-number")!;
    badNumber.messageAttributes.Depth.stringValue = "deep";
    const badType = { ...records.find((r) => r.body === "good")!, messageId: "m-type", body: "bad-type" };
    badType.messageAttributes = {
      X: { dataType: "Weird", stringValue: "1", stringListValues: [], binaryListValues: [] },
    };
    const res = await glue(sqsEvent([...records, badType]), lambdaContext());
    expect(res.batchItemFailures).toEqual([]);
    expect((await drain(c.sqs, queue.url, 2, 2)).map((m) => m.Body)).toEqual(["good"]);
    const dead = await drain(c.sqs, dlq.url, 2);
    const why = Object.fromEntries(
      dead.map((m) => [
        m.Body!,
        [
          m.MessageAttributes![Attr.errorCode].StringValue,
          m.MessageAttributes![Attr.errorMessage].StringValue,
        ],
      ]),
    );
    expect(why).toEqual({
      "bad-number": ["malformed", 'message attribute "Depth": "deep" is not a number'],
      "bad-type": ["malformed", 'message attribute "X": unsupported data type "Weird"'],
    });
  });

  it("dead-letters a message SNS refuses as unpublishable; a throttled publish is retried", async () => {
    const dlq = await createQueue(c.sqs, "delay-dlq");
    const { topicArn } = await topicWithQueue(c, { raw: true });
    const proxy = await FaultProxy.start(emulatorEndpoints().aws);
    try {
      setClients({ s3: c.s3, sqs: c.sqs, sns: new SNSClient(awsClientConfig(proxy.url)) });
      process.env[GLUE_TOPIC_ENV] = topicArn;
      process.env[Env.deadLetterQueueUrl] = dlq.url;
      const xmlError = (code: string) =>
        `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${code} here</Message></Error><RequestId>r</RequestId></ErrorResponse>`;
      proxy.script([
        {
          match: { body: /refused/ },
          fault: { kind: "status", status: 400, body: xmlError("InvalidParameter") },
        },
        {
          match: { body: /throttled/ },
          fault: { kind: "status", status: 400, body: xmlError("Throttling") },
        },
      ]);
      const res = await glue(
        sqsEvent([fakeRecord("refused", "m-refused"), fakeRecord("throttled", "m-throttled")]),
        lambdaContext(),
      );
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: "m-throttled" }]);
      const [m] = await drain(c.sqs, dlq.url, 1);
      expect(m.Body).toBe("refused");
      expect(m.MessageAttributes![Attr.errorCode].StringValue).toBe("unpublishable");
      expect(m.MessageAttributes![Attr.errorMessage].StringValue).toMatch(
        /^SNS refused the message: InvalidParameterException: InvalidParameter here/,
      );
    } finally {
      await proxy.close();
    }
  });

  it("fails the batch clearly when the topic is not configured", async () => {
    delete process.env[GLUE_TOPIC_ENV];
    const res = await glue(sqsEvent([fakeRecord("x", "m1")]), lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
  });
});
