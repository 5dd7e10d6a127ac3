import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Attr, CtsEnv, Env, OPENSEARCH_URL_ENV, Params, paramName, type SearchJob } from "@sec-an/contracts";
import { resetClients, setClients, setParamOverrides } from "@sec-an/runtime";
import { awsClientConfig, dynamoClientConfig, restoreEnvAfterAll, uniqueName } from "@sec-an/testing";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { handler } from "../src/handlers/search";
import { searchId } from "../src/id";
import { SearchState } from "../src/state";
import { createDnsTables, dynamo, stateOnDynalite } from "./helpers";
import { snapshotStore } from "./store";

const sqs = new SQSClient(awsClientConfig());
const stage = { app: "sec-an", stage: "handlertest" };

const record = (body: string, n: number): SQSRecord =>
  ({
    messageId: `m${n}`,
    receiptHandle: `r${n}`,
    body,
    attributes: { ApproximateReceiveCount: "1" },
    messageAttributes: {},
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:cts-searches",
  }) as unknown as SQSRecord;

describe("the search worker's SQS handler", () => {
  restoreEnvAfterAll([
    CtsEnv.activeTable,
    CtsEnv.resultsTable,
    CtsEnv.searchQueueUrl,
    OPENSEARCH_URL_ENV,
    Env.stage,
    Env.deadLetterQueueUrl,
    Env.maxReceiveCount,
  ]);
  let store: Awaited<ReturnType<typeof snapshotStore>>;
  let dlq: string;
  let state: SearchState;
  beforeAll(async () => {
    store = await snapshotStore();
    const s = await stateOnDynalite();
    state = s.state;
    const dns = await createDnsTables(dynamo().client);
    dlq = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("cts-searches-dlq") }))).QueueUrl!;
    const queue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("cts-searches") })))
      .QueueUrl!;
    Object.assign(process.env, {
      [CtsEnv.activeTable]: s.tables.active,
      [CtsEnv.resultsTable]: s.tables.results,
      [CtsEnv.searchQueueUrl]: queue,
      [OPENSEARCH_URL_ENV]: store.os.url,
      [Env.stage]: stage.stage,
      [Env.deadLetterQueueUrl]: dlq,
      [Env.maxReceiveCount]: "3",
    });
    setParamOverrides({
      [paramName(stage, Params.resolvedHostsTableId)]: dns.resolvedHosts,
      [paramName(stage, Params.resolvedAddressesTableId)]: dns.resolvedAddresses,
      [paramName(stage, Params.scanInitiatorTopicArn)]: "arn:aws:sns:us-east-1:000000000000:unused",
    });
    setClients({ sqs, dynamo: new DynamoDBClient(dynamoClientConfig()) });
  });
  afterAll(async () => {
    await store.close();
    setParamOverrides(undefined);
    resetClients();
  });

  test("a bad job goes to the DLQ with its code; the good job beside it completes", async () => {
    const artifact = { type: "net.ip", value: "127.0.0.3" };
    const id = searchId(artifact);
    const now = Math.floor(Date.now() / 1000);
    expect(await state.claim(id, artifact, now, now + 3600)).toBe(true);
    const good: SearchJob = { id, artifact, startedAt: now, attempt: 1 };
    const unsupported: SearchJob = {
      ...good,
      id: searchId({ type: "hash.md5", value: "x" }),
      artifact: { type: "hash.md5", value: "x" },
    };
    const event: SQSEvent = {
      Records: [
        record("{not json", 1),
        record(JSON.stringify(good), 2),
        record(JSON.stringify(unsupported), 3),
      ],
    };
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect((await state.result(id, now))?.hits).toEqual([]);
    const letters = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"] }),
    );
    const codes = (letters.Messages ?? []).map((m) => [
      m.Body,
      m.MessageAttributes?.[Attr.errorCode]?.StringValue,
    ]);
    expect(codes.sort()).toEqual(
      [
        ["{not json", "malformed"],
        [JSON.stringify(unsupported), "unsupported-artifact"],
      ].sort(),
    );
  });
});
