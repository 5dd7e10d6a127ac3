import { CreateTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import {
  AddressInfo,
  DocumentCollection,
  Env,
  Params,
  PortDetected,
  paramName,
  taskParams,
  validate,
} from "@sec-an/contracts";
import {
  clearParamCache,
  logger,
  putRawResult,
  resetClients,
  setClients,
  setParamOverrides,
} from "@sec-an/runtime";
import { awsClientConfig, dynamoClientConfig, s3ClientConfig, uniqueName } from "@sec-an/testing";
import type { S3Event } from "aws-lambda";
import { handler, processRawResult } from "../src/handlers/parse";
import { fixture } from "./helpers";
import { hostileNmapXml } from "./hostile";

/** The results parser end to end on the emulators: S3 object → results topic, ports topic, address-info table. */
const s3 = new S3Client(s3ClientConfig());
const sns = new SNSClient(awsClientConfig());
const sqs = new SQSClient(awsClientConfig());
const dynamo = new DynamoDBClient(dynamoClientConfig());
// No SSM emulator: parameters come from overrides, and anything else is "not found", as in an empty account.
const ssm = new SSMClient({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
mockClient(ssm)
  .on(GetParameterCommand)
  .rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
const deployment = { app: "sec-an", stage: uniqueName("t").replace(/[^a-zA-Z0-9_.-]/g, "") };
const bucket = uniqueName("nmap-raw").toLowerCase();
const table = uniqueName("address-info");
let resultsQueue: string;
let portsQueue: string;
const savedStage = process.env[Env.stage];

async function topicWithQueue() {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("topic") }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("q") }));
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: a.Attributes!.QueueArn,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );
  return { topicArn: TopicArn!, queueUrl: QueueUrl! };
}

async function drain(QueueUrl: string, atLeast: number): Promise<Message[]> {
  const got: Message[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    got.push(...(r.Messages ?? []));
    if (!r.Messages?.length && got.length >= atLeast) break;
  }
  return got;
}

const overrides = (extra: Record<string, string> = {}) => ({
  [paramName(deployment, taskParams("nmap").resultsTopicArn)]: resultsTopicArn,
  [paramName(deployment, Params.portsTopicArn)]: portsTopicArn,
  ...extra,
});
let resultsTopicArn: string;
let portsTopicArn: string;

beforeAll(async () => {
  process.env[Env.stage] = deployment.stage;
  setClients({ s3, sns, sqs, dynamo, ssm });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const results = await topicWithQueue();
  const ports = await topicWithQueue();
  resultsTopicArn = results.topicArn;
  portsTopicArn = ports.topicArn;
  resultsQueue = results.queueUrl;
  portsQueue = ports.queueUrl;
  await dynamo.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: AddressInfo.address, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: AddressInfo.address, AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
});
/** What the handler logged (info and warn), by message. */
const logged: { m: string; x: Record<string, unknown> }[] = [];
beforeEach(() => {
  logged.length = 0;
  for (const level of ["info", "warn"] as const)
    jest
      .spyOn(logger, level)
      .mockImplementation(((m: string, x: Record<string, unknown>) => void logged.push({ m, x })) as never);
});
afterEach(() => {
  jest.restoreAllMocks();
  setParamOverrides(undefined);
  clearParamCache();
});
afterAll(() => {
  if (savedStage === undefined) delete process.env[Env.stage];
  else process.env[Env.stage] = savedStage;
  resetClients();
  for (const c of [s3, sns, sqs, dynamo]) c.destroy();
});

const store = (scanId: string, body: Buffer, end: Date) =>
  putRawResult({
    bucket,
    task: "nmap",
    scanId,
    request: { target: "203.0.113.0/29", requestedAt: "2023-11-14T22:00:00.000Z" },
    output: {
      body,
      extension: "xml",
      contentType: "application/xml",
      startTime: new Date(end.getTime() - 60_000),
      endTime: end,
    },
    s3,
  });

const s3Event = (key: string): S3Event =>
  ({
    Records: [
      { s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%2F/g, "/") } } },
    ],
  }) as unknown as S3Event;

const lastParsed = async (address: string) => {
  const r = await dynamo.send(
    new GetItemCommand({ TableName: table, Key: { [AddressInfo.address]: { S: address } } }),
  );
  return r.Item?.[AddressInfo.lastScanResultsParsed]?.N;
};

describe("nmap results parser handler (fauxqs + dynalite)", () => {
  it("publishes collections and port events and records the parse per address", async () => {
    setParamOverrides(overrides({ [paramName(deployment, Params.addressInfoTableId)]: table }));
    const key = await store("scan-a", fixture("os-down-unknown.xml"), new Date("2023-11-14T22:16:40Z"));
    const [outcome] = await handler(s3Event(key));
    expect(outcome).toEqual({ key, messages: 3, cascades: 2 });
    expect(logged).toContainEqual({
      m: "address-info recorded",
      x: { key, hosts: 3, addressesRecorded: 3 },
    });

    const collections = (await drain(resultsQueue, 3)).map((m) =>
      validate(DocumentCollection, JSON.parse(m.Body!)),
    );
    expect(collections).toHaveLength(3);
    expect(new Set(collections.map((c) => c.lineage.rawKey))).toEqual(new Set([key]));
    expect(
      collections
        .flatMap((c) => c.docs.ports ?? [])
        .map((d) => d.data.port_id)
        .sort(),
    ).toEqual([161, 443, 8443]);

    const events = (await drain(portsQueue, 2)).map((m) => validate(PortDetected, JSON.parse(m.Body!)));
    expect(events.map((e) => e.port).sort()).toEqual([443, 8443]);
    expect(events[0].lineage).toMatchObject({ parentScanId: "scan-a", rawKey: key, depth: 1 });

    // Scan end from the XML's runstats (1700000200), in epoch seconds like the planner's times.
    expect(await lastParsed("203.0.113.1")).toBe("1700000200");
    expect(await lastParsed("2001:db8::5")).toBe("1700000200");
  });

  it("never moves LastScanResultsParsed backwards when an older result is re-parsed", async () => {
    setParamOverrides(overrides({ [paramName(deployment, Params.addressInfoTableId)]: table }));
    const xml = fixture("os-down-unknown.xml")
      .toString("utf8")
      .replace('<finished time="1700000200"', '<finished time="1600000000"');
    const key = await store("scan-old", Buffer.from(xml), new Date("2020-09-13T12:26:40Z"));
    await processRawResult(bucket, key);
    expect(logged).toContainEqual({ m: "address-info recorded", x: { key, hosts: 3, addressesRecorded: 0 } });
    expect(await lastParsed("203.0.113.1")).toBe("1700000200");
    await drain(resultsQueue, 3);
    await drain(portsQueue, 2);
  });

  it("works without an address-info table (standalone nmap), saying so", async () => {
    setParamOverrides(overrides());
    const key = await store("scan-b", fixture("vulners-formats.xml"), new Date("2023-11-14T22:15:00Z"));
    const outcome = await processRawResult(bucket, key);
    expect(outcome).toMatchObject({ messages: 1, cascades: 2 });
    expect(logged.map((l) => l.m)).toContain(
      "address-info table not configured; LastScanResultsParsed not recorded",
    );
    expect(logged.map((l) => l.m)).not.toContain("address-info recorded");
    expect(await lastParsed("198.51.100.7")).toBeUndefined();
    await drain(resultsQueue, 1);
    await drain(portsQueue, 2);
  });

  it("publishes every good host of a result with one host that cannot be built, and counts that one", async () => {
    setParamOverrides(overrides());
    const xml = hostileNmapXml({ bannerBytes: 300 * 1024, hostnames: 2000 });
    const key = await store("scan-hostile", Buffer.from(xml), new Date("2026-11-23T10:05:00Z"));
    const outcome = await processRawResult(bucket, key);
    expect(outcome).toMatchObject({ messages: 3 });
    expect(logged).toContainEqual({
      m: expect.stringMatching(/host skipped/),
      x: expect.objectContaining({ address: "10.0.0.66", reason: expect.stringMatching(/bytes/) }),
    });
    const got = (await drain(resultsQueue, 3)).map((m) => validate(DocumentCollection, JSON.parse(m.Body!)));
    expect(got.map((c) => c.docs.data[0].data.address).sort()).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    // The hostile host's open ports still cascade (its TLS port is worth scanning), with cut attributes.
    const events = (await drain(portsQueue, 5)).map((m) => JSON.parse(m.Body!) as PortDetected);
    expect(
      events
        .filter((e) => e.address === "10.0.0.66")
        .map((e) => e.port)
        .sort(),
    ).toEqual([21, 443]);
  });

  it("fails loudly on a result that is not nmap XML, publishing nothing", async () => {
    setParamOverrides(overrides());
    const key = await store(
      "scan-bad",
      Buffer.from("<html>not nmap</html>"),
      new Date("2023-11-14T22:15:00Z"),
    );
    await expect(handler(s3Event(key))).rejects.toThrow(/not an nmap XML report/);
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: resultsQueue, WaitTimeSeconds: 1 }));
    expect(r.Messages ?? []).toHaveLength(0);
  });
});
