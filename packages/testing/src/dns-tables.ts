import {
  CreateTableCommand,
  DeleteTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { ResolvedAddresses, ResolvedHosts } from "@sec-an/contracts";
import { uniqueName } from "./aws";

/** Physical names of task-execution's two DNS ingest tables. */
export interface DnsTableNames {
  readonly resolvedHosts: string;
  readonly resolvedAddresses: string;
}

/**
 * Each DNS table's keys, from the contracts' attribute names that task-execution's `DnsTables` keys its
 * tables by: the host or address (string), then the ingest time (number), so rows of one name are
 * ordered by ingest.
 */
export const DNS_TABLE_KEYS = {
  resolvedHosts: { hash: ResolvedHosts.host, range: ResolvedHosts.dnsIngestTime },
  resolvedAddresses: { hash: ResolvedAddresses.address, range: ResolvedAddresses.dnsIngestTime },
} as const satisfies Record<keyof DnsTableNames, { hash: string; range: string }>;

/** The CreateTable input of one DNS table, on demand. */
export function dnsTableInput(table: keyof DnsTableNames, name: string): CreateTableCommandInput {
  const { hash, range } = DNS_TABLE_KEYS[table];
  return {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: hash, AttributeType: "S" },
      { AttributeName: range, AttributeType: "N" },
    ],
    KeySchema: [
      { AttributeName: hash, KeyType: "HASH" },
      { AttributeName: range, KeyType: "RANGE" },
    ],
  };
}

/** Creates both DNS tables (on dynalite in tests) under fresh unique names, or the names given. */
export async function createDnsTables(
  client: DynamoDBClient,
  names: Partial<DnsTableNames> = {},
): Promise<DnsTableNames> {
  const t: DnsTableNames = {
    resolvedHosts: names.resolvedHosts ?? uniqueName(ResolvedHosts.table),
    resolvedAddresses: names.resolvedAddresses ?? uniqueName(ResolvedAddresses.table),
  };
  for (const table of Object.keys(DNS_TABLE_KEYS) as (keyof DnsTableNames)[])
    await client.send(new CreateTableCommand(dnsTableInput(table, t[table])));
  return t;
}

/** Deletes the DNS tables; a table already gone is not an error. */
export async function dropDnsTables(client: DynamoDBClient, t: DnsTableNames): Promise<void> {
  for (const name of [t.resolvedHosts, t.resolvedAddresses])
    await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
}
