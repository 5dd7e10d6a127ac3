import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Fields of task-execution's resolved-addresses table the ssl scanner reads. */
export const ResolvedAddress = { address: "Address", dnsIngestTime: "DnsIngestTime", hosts: "Hosts" } as const;

const MAX_PAGES = 10;

function asNames(v: unknown): string[] {
  if (v instanceof Set) return [...v].filter((x): x is string => typeof x === "string");
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  if (typeof v === "string") return [v];
  return [];
}

const asTime = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" ? Date.parse(v) || Number(v) || 0 : 0);

/**
 * DNS names that resolved to `address` in the latest DNS ingest: the `Hosts` of the item with the
 * greatest `DnsIngestTime` (older items are addresses names used to resolve to). Unvalidated: the
 * caller validates every name before use.
 */
export async function hostsForAddress(client: DynamoDBDocumentClient, table: string, address: string): Promise<string[]> {
  let latest: Record<string, unknown> | undefined;
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "#a = :a",
        ExpressionAttributeNames: { "#a": ResolvedAddress.address },
        ExpressionAttributeValues: { ":a": address },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of r.Items ?? []) {
      if (!latest || asTime(item[ResolvedAddress.dnsIngestTime]) > asTime(latest[ResolvedAddress.dnsIngestTime])) latest = item;
    }
    startKey = r.LastEvaluatedKey;
    if (!startKey) break;
  }
  return latest ? asNames(latest[ResolvedAddress.hosts]) : [];
}
