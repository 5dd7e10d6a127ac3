import { Logger } from "@aws-lambda-powertools/logger";
import { s3EventKey } from "@sec-an/runtime";
import type { Context, S3Event } from "aws-lambda";
import { processRawResult, type ProcessOutcome } from "./process";

const logger = new Logger({ serviceName: "nmap-results-parser" });

/**
 * Results parser Lambda (S3 ObjectCreated on `nmap/…`, invoked asynchronously). The runtime's
 * makeParseHandler publishes collections only; nmap also publishes port-detected events and records
 * address-info, so it composes the same runtime pieces (see process.ts). Every record is attempted;
 * failures are thrown together, so Lambda retries and then dead-letters the event with the reasons.
 */
export const handler = async (event: S3Event, context?: Context): Promise<ProcessOutcome[]> => {
  if (context) logger.addContext(context);
  const outcomes: ProcessOutcome[] = [];
  const failures: string[] = [];
  for (const record of event.Records ?? []) {
    const bucket = record.s3.bucket.name;
    const key = s3EventKey(record.s3.object.key);
    try {
      const outcome = await processRawResult(bucket, key, { log: (m, x) => logger.info(m, x ?? {}) });
      logger.info("nmap result parsed", { ...outcome });
      outcomes.push(outcome);
    } catch (e) {
      logger.error("nmap result failed to parse", { bucket, key, error: e as Error });
      failures.push(`s3://${bucket}/${key}: ${(e as Error).message}`);
    }
  }
  if (failures.length) throw new Error(`${failures.length} nmap result(s) failed: ${failures.join("; ")}`);
  return outcomes;
};
