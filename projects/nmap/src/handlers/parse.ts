import { Logger } from "@aws-lambda-powertools/logger";
import type { S3Event } from "aws-lambda";
import { processRawResult, s3EventKey } from "./process";

const logger = new Logger({ serviceName: "nmap-results-parser" });

/**
 * Results parser Lambda (S3 ObjectCreated on `nmap/…`, invoked asynchronously). A failure throws, so
 * Lambda retries and then sends the event to the parser's dead-letter recorder with the reason.
 */
export const handler = async (event: S3Event) => {
  const outcomes = [];
  for (const record of event.Records ?? []) {
    const bucket = record.s3.bucket.name;
    const key = s3EventKey(record.s3.object.key);
    const outcome = await processRawResult(bucket, key, { log: (m, x) => logger.info(m, x ?? {}) });
    logger.info("parsed nmap result", { ...outcome });
    outcomes.push(outcome);
  }
  return outcomes;
};
