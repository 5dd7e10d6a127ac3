import { logger, reportFailure, s3Client } from "@sec-an/runtime";
import type { Context, S3Event } from "aws-lambda";
import { reportDeadLetters } from "../reporter";
import { openSearchStore } from "../store/resolve";

/** Dead-letter bucket ObjectCreated → `dead_letter_data` in OpenSearch (directly, never via the ingest queue). */
export const handler = async (event: S3Event, context?: Pick<Context, "awsRequestId">) => {
  try {
    const result = await reportDeadLetters(event, { s3: s3Client(), store: await openSearchStore() });
    logger.info("dead letters reported", result);
    return result;
  } catch (e) {
    // Rethrown so Lambda retries and finally dead-letters the event; reported now because that async
    // dead letter only reaches the channel once the recorder files it, and this is the first sign.
    await reportFailure({
      code: "report-failed",
      message: (e as Error).message,
      requestId: context?.awsRequestId ?? "unknown",
    });
    throw e;
  }
};
