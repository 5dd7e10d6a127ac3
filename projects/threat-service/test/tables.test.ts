import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { CtsTables } from "@sec-an/contracts";
import { dynamoClientConfig } from "@sec-an/testing";
import { createStateTables } from "./helpers";

describe("test tables", () => {
  // A dynalite of its own on loopback whose tables stay CREATING for a while, as DynamoDB's do.
  let server: Server;
  let endpoint: string;
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    server = require("dynalite")({ createTableMs: 300 }) as Server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  test("createStateTables returns the tables once they can be written", async () => {
    const client = new DynamoDBClient({ ...dynamoClientConfig(), endpoint });
    const doc = DynamoDBDocumentClient.from(client);
    const tables = await createStateTables(client);
    for (const name of Object.values(tables))
      await doc.send(new PutCommand({ TableName: name, Item: { [CtsTables.id]: "x" } }));
    client.destroy();
  });
});
