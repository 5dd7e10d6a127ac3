import { PublishCommand, type MessageAttributeValue, type SNSClient } from "@aws-sdk/client-sns";
import type { SQSRecord } from "aws-lambda";
import { snsClient } from "../aws";
import { sqsBatchHandler } from "../batch";
import { toSqsAttributes } from "../dlq";

/**
 * SQS → SNS glue: SQS cannot fan out to a topic itself, so this forwards each record (e.g. from the scan
 * delay queue) to one topic, message attributes included so subscribers' filter policies still apply.
 *
 * The topic ARN comes from `SEC_AN_GLUE_TOPIC_ARN`, set by the glue component at deploy time: an ARN is
 * not a secret, and the glue is created together with (and only for) that topic, so a late SSM lookup
 * would add a call per batch for nothing.
 */
export const GLUE_TOPIC_ENV = "SEC_AN_GLUE_TOPIC_ARN";

/**
 * Convert attributes from the SQS event shape (`{ dataType, stringValue, binaryValue: base64 }`) to the
 * SNS Publish shape (`{ DataType, StringValue | BinaryValue }`, the same as SQS SendMessage's): SNS
 * rejects them forwarded unchanged.
 */
export function toSnsAttributes(
  attrs: SQSRecord["messageAttributes"] | undefined,
): Record<string, MessageAttributeValue> {
  return toSqsAttributes(attrs);
}

export async function forwardRecord(
  record: SQSRecord,
  topicArn: string,
  sns: SNSClient = snsClient(),
): Promise<string | undefined> {
  const out = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: record.body,
      MessageAttributes: toSnsAttributes(record.messageAttributes),
    }),
  );
  return out.MessageId;
}

function topicArn(): string {
  const arn = process.env[GLUE_TOPIC_ENV];
  if (!arn || !arn.startsWith("arn:"))
    throw new Error(`${GLUE_TOPIC_ENV} must be set to the target SNS topic ARN`);
  return arn;
}

export const handler = sqsBatchHandler(async (record) => {
  await forwardRecord(record, topicArn());
});
