import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { ErrorChannelEnv } from "@sec-an/contracts";
import { logger, recordDeadLetter, resetClients, setClients } from "@sec-an/runtime";
import { awsClientConfig, captureErrorsTopic, createTestBucket, s3ClientConfig } from "@sec-an/testing";
import type { S3Event, SQSRecord } from "aws-lambda";
import { handler } from "../src/handlers/dead-letter-reporter";
import { setStoreOverride, type AnalyticsStore } from "../src/store/resolve";

logger.setLogLevel("SILENT");
const sqs = new SQSClient(awsClientConfig());
const sns = new SNSClient(awsClientConfig());
const s3 = new S3Client(s3ClientConfig());

afterAll(() => {
  setStoreOverride(undefined);
  resetClients();
  delete process.env[ErrorChannelEnv.topicArn];
  for (const c of [sqs, sns, s3]) c.destroy();
});

test("a dead letter the reporter cannot index is reported as report-failed and rethrown for Lambda to retry", async () => {
  const errors = await captureErrorsTopic({ sqs, sns });
  setClients({ sns, s3 });
  const bucket = await createTestBucket(s3, "dead-letters");
  const filed = await recordDeadLetter(
    {
      messageId: "m-1",
      body: "{}",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:some-dlq",
      attributes: { SentTimestamp: String(Date.now()) },
      messageAttributes: {},
    } as unknown as SQSRecord,
    bucket,
    s3,
  );
  // Every call on the cluster fails, as when OpenSearch is unreachable.
  const down = new Error("cluster unreachable");
  // (Not a thenable: the store is awaited.)
  const fail = (_: object, p: string | symbol) => (p === "then" ? undefined : () => Promise.reject(down));
  setStoreOverride(new Proxy({}, { get: fail }) as unknown as AnalyticsStore);
  const event = {
    Records: [
      {
        eventName: "ObjectCreated:Put",
        s3: { bucket: { name: bucket }, object: { key: filed.deadLetterKey } },
      },
    ],
  } as unknown as S3Event;

  await expect(handler(event, { awsRequestId: "lambda-req-1" })).rejects.toBeDefined();
  expect(await errors.events()).toEqual([
    expect.objectContaining({ code: "report-failed", requestId: "lambda-req-1" }),
  ]);
});
