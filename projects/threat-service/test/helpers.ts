import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SNSClient } from "@aws-sdk/client-sns";
import { CtsTables, ResolvedAddresses, ResolvedHosts, ScanRequest, validate } from "@sec-an/contracts";
import { awsClientConfig, dynamoClientConfig, topicWithQueue, uniqueName } from "@sec-an/testing";
import { SearchState } from "../src/state";

export function dynamo() {
  const client = new DynamoDBClient(dynamoClientConfig());
  return {
    client,
    doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
  };
}

/**
 * The service's two tables on dynalite, keyed as the program declares them, returned once ACTIVE: a
 * table is CREATING for a while after CreateTable, and reads or writes on it fail until then.
 */
export async function createStateTables(client: DynamoDBClient) {
  const tables = { active: uniqueName("cts-active"), results: uniqueName("cts-results") };
  for (const name of Object.values(tables)) {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: CtsTables.id, AttributeType: "S" }],
        KeySchema: [{ AttributeName: CtsTables.id, KeyType: "HASH" }],
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: name });
  }
  return tables;
}

/** task-execution's DNS tables, from the one helper every project's tests share. */
export { createDnsTables } from "@sec-an/testing";

/** Records one DNS ingest: `host` resolving to `addresses`, as the plan writer stores it. */
export async function ingestName(
  doc: DynamoDBDocumentClient,
  t: { resolvedHosts: string; resolvedAddresses: string },
  host: string,
  addresses: string[],
  at = 1_700_000_000,
) {
  await doc.send(
    new PutCommand({
      TableName: t.resolvedHosts,
      Item: {
        [ResolvedHosts.host]: host,
        [ResolvedHosts.dnsIngestTime]: at,
        [ResolvedHosts.addresses]: new Set(addresses),
      },
    }),
  );
  for (const a of addresses)
    await doc.send(
      new PutCommand({
        TableName: t.resolvedAddresses,
        Item: {
          [ResolvedAddresses.address]: a,
          [ResolvedAddresses.dnsIngestTime]: at,
          [ResolvedAddresses.hosts]: new Set([host]),
        },
      }),
    );
}

/** A clock the test moves. */
export function testClock(start = 1_800_000_000) {
  let t = start;
  return { now: () => t, advance: (s: number) => (t += s), set: (s: number) => (t = s) };
}

export async function stateOnDynalite() {
  const { client, doc } = dynamo();
  const tables = await createStateTables(client);
  return { client, doc, tables, state: new SearchState(doc, tables) };
}

/**
 * A scan-initiator topic on fauxqs with a queue subscribed (raw delivery), standing in for the scanners'
 * task queues; `requests(waitSecs)` drains what was published, waiting up to `waitSecs` for the first.
 */
export async function scanInitiatorStandIn() {
  const sqs = new SQSClient(awsClientConfig());
  const sns = new SNSClient(awsClientConfig());
  const {
    topicArn,
    queue: { url: queueUrl },
  } = await topicWithQueue({ sqs, sns }, { topicPrefix: "scan-initiator", queuePrefix: "scans" });
  type Published = { request: ScanRequest; attributes: Record<string, string> };
  const requests = async (waitSecs = 0): Promise<Published[]> => {
    const out: Published[] = [];
    for (;;) {
      const r = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: out.length ? 0 : waitSecs,
          MessageAttributeNames: ["All"],
        }),
      );
      if (!r.Messages?.length) return out;
      for (const m of r.Messages)
        out.push({
          request: validate(ScanRequest, JSON.parse(m.Body!)),
          attributes: Object.fromEntries(
            Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue!]),
          ),
        });
    }
  };
  return { sns, topicArn, requests };
}
