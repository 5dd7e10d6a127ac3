import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDnsTables, dynamoClientConfig, uniqueName } from "@sec-an/testing";
import type { SchedulerTables } from "../src/util";

// dns2 ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dns2 = require("dns2");

export function dynamo() {
  const client = new DynamoDBClient(dynamoClientConfig());
  return { client, doc: DynamoDBDocumentClient.from(client) };
}

/** The four scheduler tables on dynalite, keyed as the program declares them. */
export async function createTables(client: DynamoDBClient): Promise<SchedulerTables> {
  const t: SchedulerTables = {
    scanPlan: uniqueName("scan-plan"),
    resolvedHosts: uniqueName("resolved-hosts"),
    resolvedAddresses: uniqueName("resolved-addresses"),
    addressInfo: uniqueName("address-info"),
  };
  await client.send(
    new CreateTableCommand({
      TableName: t.scanPlan,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "Address", AttributeType: "S" },
        { AttributeName: "PlannedScanTime", AttributeType: "N" },
      ],
      KeySchema: [{ AttributeName: "Address", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: "ToScan",
          KeySchema: [
            { AttributeName: "Address", KeyType: "HASH" },
            { AttributeName: "PlannedScanTime", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["DnsIngestTime"] },
        },
      ],
    }),
  );
  await createDnsTables(client, t);
  await client.send(
    new CreateTableCommand({
      TableName: t.addressInfo,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "Address", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "Address", KeyType: "HASH" }],
    }),
  );
  return t;
}

export async function dropTables(client: DynamoDBClient, t: SchedulerTables): Promise<void> {
  for (const name of Object.values(t))
    await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
}

export type Zone = Record<string, { A?: string[]; AAAA?: string[]; CNAME?: string }>;

/** A real DNS server on 127.0.0.1 (random UDP port) answering from `zone`; answers CNAMEs without chasing them. */
export async function startDnsServer(
  zone: Zone,
): Promise<{ server: string; queries: string[]; close: () => Promise<void> }> {
  const { Packet } = dns2;
  const queries: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request: { questions: { name: string; type: number }[] }, send: (r: unknown) => void) => {
      const response = Packet.createResponseFromRequest(request);
      const [q] = request.questions;
      const name = q.name.toLowerCase();
      queries.push(`${name}/${q.type}`);
      const entry = zone[name];
      if (!entry) {
        response.header.rcode = Packet.RCODE.NXDOMAIN;
        return send(response);
      }
      const base = { name: q.name, class: Packet.CLASS.IN, ttl: 60 };
      if (entry.CNAME) response.answers.push({ ...base, type: Packet.TYPE.CNAME, domain: entry.CNAME });
      else if (q.type === Packet.TYPE.A)
        for (const a of entry.A ?? []) response.answers.push({ ...base, type: Packet.TYPE.A, address: a });
      else if (q.type === Packet.TYPE.AAAA)
        for (const a of entry.AAAA ?? [])
          response.answers.push({ ...base, type: Packet.TYPE.AAAA, address: a });
      send(response);
    },
  });
  await server.listen({ udp: { port: 0, address: "127.0.0.1" } });
  const { port } = server.addresses().udp;
  return { server: `127.0.0.1:${port}`, queries, close: () => server.close() };
}
