import type { SQSRecord } from "aws-lambda";

export const QUEUE_ARN = "arn:aws:sqs:eu-west-2:111122223333:dev-sec-an-nmap-task-queue";

let seq = 0;
/** The SQS record Lambda hands the launcher: `body` as given (a request object is serialised), string attributes. */
export function record(body: unknown, attrs: Record<string, string> = {}): SQSRecord {
  seq += 1;
  return {
    messageId: `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
    receiptHandle: `rh-${seq}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1700000000000",
      SenderId: "AIDA",
      ApproximateFirstReceiveTimestamp: "1700000000000",
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attrs).map(([k, v]) => [
        k,
        { dataType: "String", stringValue: v, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: QUEUE_ARN,
    awsRegion: "eu-west-2",
  };
}
