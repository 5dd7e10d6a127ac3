import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { AddressInfo } from "@sec-an/contracts";
import type { NmapRun } from "./parser";

/**
 * Records, per scanned address, when its latest nmap results were parsed (epoch seconds of the scan's
 * end, like the planner's times): the "Recently Scanned" view reads `LastScanResultsParsed`. The
 * condition keeps a re-ingested old result from moving the time backwards.
 */
export async function recordResultsParsed(
  doc: DynamoDBDocumentClient,
  table: string,
  run: NmapRun,
  scanEnd: Date,
): Promise<number> {
  const t = Math.floor(scanEnd.getTime() / 1000);
  let updated = 0;
  for (const address of new Set(run.hosts.map((h) => h.address))) {
    try {
      await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { [AddressInfo.address]: address },
          UpdateExpression: "SET #p = :t",
          ConditionExpression: "attribute_not_exists(#p) OR #p < :t",
          ExpressionAttributeNames: { "#p": AddressInfo.lastScanResultsParsed },
          ExpressionAttributeValues: { ":t": t },
        }),
      );
      updated += 1;
    } catch (e) {
      if ((e as Error).name !== "ConditionalCheckFailedException") throw e;
    }
  }
  return updated;
}
