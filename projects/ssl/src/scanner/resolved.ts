import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ResolvedAddresses } from "@sec-an/contracts";

function asNames(v: unknown): string[] {
  if (v instanceof Set || Array.isArray(v)) return [...v].filter((x): x is string => typeof x === "string");
  return typeof v === "string" ? [v] : [];
}

/**
 * DNS names that resolved to `address` at the latest DNS ingest: `Hosts` of the item with the greatest
 * `DnsIngestTime` (the table's range key, so one descending query of one item). Unvalidated: the caller
 * validates every name before use.
 */
export async function hostsForAddress(
  client: DynamoDBDocumentClient,
  table: string,
  address: string,
): Promise<string[]> {
  const r = await client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: "#a = :a",
      ExpressionAttributeNames: { "#a": ResolvedAddresses.address },
      ExpressionAttributeValues: { ":a": address },
      ScanIndexForward: false,
      Limit: 1,
    }),
  );
  const latest = r.Items?.[0];
  return latest ? asNames(latest[ResolvedAddresses.hosts]) : [];
}
