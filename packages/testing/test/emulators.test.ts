import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { awsClientConfig, dynamoClientConfig, uniqueName } from "../src";

/**
 * Start the emulators in a child process (fauxqs is ESM-only) and report every listening socket the
 * process holds, read from its live handles rather than from what startEmulators says about itself.
 */
async function inChild(script: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    cwd: join(__dirname, ".."),
    timeout: 30_000,
  });
  return stdout.trim();
}

describe("emulators started by the global setup", () => {
  it("speaks SQS over the AWS wire protocol", async () => {
    const sqs = new SQSClient(awsClientConfig());
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("q") }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello" }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["hello"]);
  });

  it("speaks DynamoDB", async () => {
    const ddb = new DynamoDBClient(dynamoClientConfig());
    const TableName = uniqueName("t");
    await ddb.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: "Address", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "Address", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const d = await ddb.send(new DescribeTableCommand({ TableName }));
    expect(d.Table?.TableStatus).toBe("ACTIVE");
  });
});

describe("emulators bind loopback only", () => {
  it("listens on 127.0.0.1 with every socket, SQS/SNS/S3 and DynamoDB alike", async () => {
    const out = await inChild(`
      import { startEmulators } from "./emulators.mjs";
      const e = await startEmulators();
      const servers = process._getActiveHandles().filter((h) => typeof h.address === "function" && h.listening);
      console.log(JSON.stringify({ sockets: servers.map((s) => s.address().address), endpoints: [e.awsEndpoint, e.dynamoEndpoint] }));
      await e.stop();
    `);
    const { sockets, endpoints } = JSON.parse(out) as { sockets: string[]; endpoints: string[] };
    expect(sockets).toHaveLength(2);
    expect(sockets).toEqual(["127.0.0.1", "127.0.0.1"]);
    for (const e of endpoints) expect(new URL(e).hostname).toBe("127.0.0.1");
  });

  it("refuses a non-loopback host before listening", async () => {
    const out = await inChild(`
      import { startEmulators } from "./emulators.mjs";
      try { await startEmulators({ host: "0.0.0.0" }); console.log("started"); }
      catch (e) { console.log(e.message); }
      console.log(process._getActiveHandles().filter((h) => typeof h.address === "function" && h.listening).length);
    `);
    expect(out).toBe('emulators bind loopback only, not "0.0.0.0"\n0');
  });

  it("tells loopback from everything else, however it is written", async () => {
    const out = await inChild(`
      import { isLoopbackAddress } from "./emulators.mjs";
      const a = ["127.0.0.1", "127.9.8.7", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "0.0.0.0", "::", "10.0.0.1", "::ffff:10.0.0.1", "fe80::1"];
      console.log(JSON.stringify(a.filter(isLoopbackAddress)));
    `);
    expect(JSON.parse(out)).toEqual(["127.0.0.1", "127.9.8.7", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"]);
  });
});
