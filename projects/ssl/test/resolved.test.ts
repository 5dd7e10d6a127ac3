import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { dnsTableInput, dynamoClientConfig, uniqueName } from "@sec-an/testing";
import { hostsForAddress } from "../src/scanner/resolved";

describe("hostsForAddress against dynalite", () => {
  const table = uniqueName("ssl-resolved");
  const raw = new DynamoDBClient(dynamoClientConfig());
  const doc = DynamoDBDocumentClient.from(raw);

  beforeAll(async () => {
    // The task-execution table's key schema: hash Address, range DnsIngestTime.
    await raw.send(new CreateTableCommand(dnsTableInput("resolvedAddresses", table)));
    const put = (Address: string, DnsIngestTime: number, hosts: string[]) =>
      doc.send(new PutCommand({ TableName: table, Item: { Address, DnsIngestTime, Hosts: new Set(hosts) } }));
    await put("127.0.0.1", 1000, ["old.example.com."]);
    await put("127.0.0.1", 3000, ["www.example.com.", "example.com."]);
    await put("127.0.0.1", 2000, ["middle.example.com."]);
    await put("127.0.0.2", 5000, ["other.example.com."]);
  });
  afterAll(async () => {
    await raw.send(new DeleteTableCommand({ TableName: table }));
    raw.destroy();
  });

  it("returns the Hosts of the latest ingest only", async () => {
    expect((await hostsForAddress(doc, table, "127.0.0.1")).sort()).toEqual([
      "example.com.",
      "www.example.com.",
    ]);
  });

  it("returns nothing for an address no DNS name resolves to", async () => {
    expect(await hostsForAddress(doc, table, "127.9.9.9")).toEqual([]);
  });
});
