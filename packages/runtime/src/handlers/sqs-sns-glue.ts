import { PublishCommand, type MessageAttributeValue, type SNSClient } from "@aws-sdk/client-sns";
import type { SQSRecord } from "aws-lambda";
import { snsClient } from "../aws";
import { sqsBatchHandler } from "../batch";
import { PermanentFailure } from "../errors";

/**
 * SQS → SNS glue: SQS cannot fan out to a topic itself, so this forwards each record (e.g. from the scan
 * delay queue) to one topic, message attributes included so subscribers' filter policies still apply.
 * A record SNS can never accept (empty body, an attribute that does not convert, a parameter SNS
 * rejects) goes to the queue's DLQ at once with code "malformed" or "unpublishable" and the reason;
 * any other failure is retried, and on its last attempt dead-lettered as "retries-exhausted".
 *
 * The topic ARN comes from `SEC_AN_GLUE_TOPIC_ARN`, set by the glue component at deploy time: an ARN is
 * not a secret, and the glue is created together with (and only for) that topic, so a late SSM lookup
 * would add a call per batch for nothing.
 */
export const GLUE_TOPIC_ENV = "SEC_AN_GLUE_TOPIC_ARN";

/** SNS's attribute types: String, Number or Binary, optionally with a custom suffix (`String.Array`). */
const DATA_TYPE = /^(String|Number|Binary)(\.[A-Za-z0-9_.-]{1,100})?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const malformed = (name: string, why: string) =>
  new PermanentFailure("malformed", `message attribute ${JSON.stringify(name)}: ${why}`);

/**
 * Convert attributes from the SQS event shape (`{ dataType, stringValue, binaryValue: base64 }`) to the
 * SNS Publish shape (`{ DataType, StringValue | BinaryValue }`): SNS rejects them forwarded unchanged.
 * Throws a PermanentFailure ("malformed") for one that SNS would refuse or that would lose its value,
 * since dropping it could change which subscribers' filter policies match.
 */
export function toSnsAttributes(
  attrs: SQSRecord["messageAttributes"] | undefined,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, v] of Object.entries(attrs ?? {})) {
    const base = DATA_TYPE.exec(v.dataType ?? "")?.[1];
    if (!base) throw malformed(name, `unsupported data type ${JSON.stringify(v.dataType)}`);
    if (base === "Binary") {
      if (typeof v.binaryValue !== "string" || !BASE64.test(v.binaryValue))
        throw malformed(name, "a Binary attribute needs a base64 value");
      out[name] = { DataType: v.dataType, BinaryValue: Buffer.from(v.binaryValue, "base64") };
      continue;
    }
    if (typeof v.stringValue !== "string") throw malformed(name, `a ${base} attribute needs a string value`);
    if (base === "Number" && !Number.isFinite(Number(v.stringValue)))
      throw malformed(name, `${JSON.stringify(v.stringValue.slice(0, 40))} is not a number`);
    out[name] = { DataType: v.dataType, StringValue: v.stringValue };
  }
  return out;
}

/** SNS errors that mean this message can never be published, whatever the retry. */
const REFUSED = new Set([
  "InvalidParameterException",
  "InvalidParameterValueException",
  "ValidationException",
]);

export async function forwardRecord(
  record: SQSRecord,
  topicArn: string,
  sns: SNSClient = snsClient(),
): Promise<string | undefined> {
  if (!record.body) throw new PermanentFailure("malformed", "empty message body: SNS requires a message");
  const input = new PublishCommand({
    TopicArn: topicArn,
    Message: record.body,
    MessageAttributes: toSnsAttributes(record.messageAttributes),
  });
  try {
    return (await sns.send(input)).MessageId;
  } catch (e) {
    const err = e as Error;
    if (REFUSED.has(err?.name))
      throw new PermanentFailure("unpublishable", `SNS refused the message: ${err.name}: ${err.message}`, {
        cause: e,
      });
    throw e;
  }
}

function topicArn(): string {
  const arn = process.env[GLUE_TOPIC_ENV];
  if (!arn || !arn.startsWith("arn:"))
    throw new Error(`${GLUE_TOPIC_ENV} must be set to the target SNS topic ARN`);
  return arn;
}

// Failures go to the queue's DLQ named by the glue component's environment (sqsBatchHandler's default).
export const handler = sqsBatchHandler(async (record) => {
  await forwardRecord(record, topicArn());
});
