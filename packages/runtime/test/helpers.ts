import { S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import { awsClientConfig, drainQueue, s3ClientConfig, toSqsRecord, uniqueName } from "@sec-an/testing";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";

/** Real clients against fauxqs. */
export function emulatorClients() {
  return {
    sqs: new SQSClient(awsClientConfig()),
    sns: new SNSClient(awsClientConfig()),
    s3: new S3Client(s3ClientConfig()),
  };
}

export async function createQueue(
  sqs: SQSClient,
  prefix = "q",
): Promise<{ url: string; arn: string; name: string }> {
  const name = uniqueName(prefix);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  return { url: QueueUrl!, arn: attrs.Attributes!.QueueArn!, name };
}

export async function createBucket(s3: S3Client, prefix = "b"): Promise<string> {
  const name = uniqueName(prefix).toLowerCase().slice(0, 60);
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/** A topic with one SQS subscription; raw delivery unless told otherwise. */
export async function topicWithQueue(
  c: { sqs: SQSClient; sns: SNSClient },
  opts: { raw?: boolean; filterPolicy?: Record<string, unknown> } = {},
): Promise<{ topicArn: string; queue: { url: string; arn: string; name: string } }> {
  const { TopicArn } = await c.sns.send(new CreateTopicCommand({ Name: uniqueName("t") }));
  const queue = await createQueue(c.sqs);
  const Attributes: Record<string, string> = { RawMessageDelivery: opts.raw === false ? "false" : "true" };
  if (opts.filterPolicy) Attributes.FilterPolicy = JSON.stringify(opts.filterPolicy);
  await c.sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queue.arn, Attributes }));
  return { topicArn: TopicArn!, queue };
}

/** Receive until `count` messages arrived or `maxPolls` empty polls passed (bounded in time). */
export const drain = (sqs: SQSClient, url: string, count: number, maxPolls = 3): Promise<Message[]> =>
  drainQueue(sqs, url, { count, maxEmptyPolls: maxPolls });

export { toSqsRecord };

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
