import { logger, s3Client } from "@sec-an/runtime";
import type { S3Event } from "aws-lambda";
import { reportDeadLetters } from "../reporter";
import { openSearchStore } from "../store/resolve";

/** Dead-letter bucket ObjectCreated → `dead_letter_data` in OpenSearch (directly, never via the ingest queue). */
export const handler = async (event: S3Event) => {
  const result = await reportDeadLetters(event, { s3: s3Client(), store: await openSearchStore() });
  logger.info("dead letters reported", result);
  return result;
};
