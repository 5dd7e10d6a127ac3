import { SendMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import {
  createTestBucket,
  createTestQueue,
  drainQueue,
  emulatorClients,
  toSqsRecord,
  topicWithQueue,
  uniqueName,
} from "@sec-an/testing";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";

export { createTestBucket as createBucket, createTestQueue as createQueue, emulatorClients, topicWithQueue };

/** Receive until `count` messages arrived or `maxPolls` empty polls passed (bounded in time). */
export const drain = (sqs: SQSClient, url: string, count: number, maxPolls = 3): Promise<Message[]> =>
  drainQueue(sqs, url, { count, maxEmptyPolls: maxPolls });

export { toSqsRecord };

/** Send `bodies` to a fresh queue and receive them back as Lambda records (real ids, attributes, ARN). */
export async function receivedRecords(
  sqs: SQSClient,
  bodies: string[],
  attrs: Record<string, string> = {},
  prefix = "src",
): Promise<SQSRecord[]> {
  const q = await createTestQueue(sqs, prefix);
  for (const MessageBody of bodies)
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody,
        MessageAttributes: Object.fromEntries(
          Object.entries(attrs).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
        ),
      }),
    );
  return (await drain(sqs, q.url, bodies.length)).map((m) => toSqsRecord(m, q.arn));
}

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A synthetic record for pure tests (no emulator). */
export function fakeRecord(
  body: string,
  messageId = uniqueName("m"),
  extra: Partial<SQSRecord> = {},
): SQSRecord {
  return {
    ...toSqsRecord(
      { MessageId: messageId, ReceiptHandle: "rh", Body: body },
      "arn:aws:sqs:us-east-1:000000000000:test-queue",
    ),
    ...extra,
  };
}

export const lambdaContext = (awsRequestId = "req-1"): Context =>
  ({
    awsRequestId,
    functionName: "test-fn",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:test-fn",
    memoryLimitInMB: "128",
    logGroupName: "/aws/lambda/test-fn",
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 30000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;
