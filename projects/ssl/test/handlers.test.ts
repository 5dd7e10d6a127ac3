import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import type { S3Event, SQSEvent, SQSRecord } from "aws-lambda";
import {
  Attr,
  Env,
  tlsPortsFilterPolicy,
  type DocumentCollection,
  type PortDetected,
} from "@sec-an/contracts";
import {
  CollectingPublisher,
  clearParamCache,
  makeParseHandler,
  resetClients,
  setClients,
} from "@sec-an/runtime";
import {
  awsClientConfig,
  restoreEnvAfterAll,
  s3ClientConfig,
  topicWithQueue,
  uniqueName,
} from "@sec-an/testing";
import { issue } from "./pki";
import { startTlsServer, type TestServer } from "./servers";
import { portEvent } from "./fixtures";

/**
 * The cascade end to end on fauxqs: a port-detected event published with message attributes reaches the
 * ssl task queue only through the TLS filter policy; the scan handler stores raw JSON in S3; the parse
 * handler turns it into one collection.
 */
const attributes = (e: PortDetected) => ({
  [Attr.port]: { DataType: "Number", StringValue: String(e.port) },
  [Attr.protocol]: { DataType: "String", StringValue: e.protocol },
  [Attr.depth]: { DataType: "Number", StringValue: String(e.lineage.depth) },
  [Attr.address]: { DataType: "String", StringValue: e.address },
  ...(e.service ? { [Attr.service]: { DataType: "String", StringValue: e.service } } : {}),
});

describe("ssl handlers on fauxqs", () => {
  const sqs = new SQSClient(awsClientConfig());
  const sns = new SNSClient(awsClientConfig());
  const s3 = new S3Client(s3ClientConfig());
  const bucket = uniqueName("ssl-raw").toLowerCase();
  const ssm = mockClient(SSMClient);
  let server: TestServer;
  restoreEnvAfterAll([Env.resultsBucket, Env.stage]);

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    process.env[Env.resultsBucket] = bucket;
    process.env[Env.stage] = "sslhandlers";
    // No resolved-addresses table in this deployment (SSM says so): names come from the event only.
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
    clearParamCache();
    setClients({
      s3,
      ssm: new SSMClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } }),
    });
    server = await startTlsServer({ cert: issue({ cn: "cascade.test", dnsNames: ["cascade.test"] }) });
  });
  afterAll(async () => {
    await server.close();
    resetClients();
    ssm.restore();
    sqs.destroy();
    sns.destroy();
    s3.destroy();
  });

  it("filters, scans, stores and parses one TLS port; a bad record fails alone", async () => {
    const {
      topicArn,
      queue: { url: queueUrl, arn: queueArn },
    } = await topicWithQueue(
      { sqs, sns },
      {
        filterPolicy: tlsPortsFilterPolicy(),
        filterPolicyScope: "MessageAttributes",
        topicPrefix: "ports",
        queuePrefix: "ssl-task",
      },
    );
    const tlsEvent = portEvent(server.port, ["cascade.test"], { service: "https" });
    const sshEvent = portEvent(22, [], { service: "ssh" });
    for (const e of [sshEvent, tlsEvent]) {
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(e),
          MessageAttributes: attributes(e),
        }),
      );
    }
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    expect(received.Messages?.map((m) => JSON.parse(m.Body!).port)).toEqual([server.port]);

    const record = (messageId: string, body: string) =>
      ({
        messageId,
        body,
        eventSourceARN: queueArn,
        attributes: {},
        messageAttributes: {},
      }) as unknown as SQSRecord;
    // Imported here, after the environment is set: the scan reads its tuning from the environment at load.
    const { handler: scanHandler } = await import("../src/handlers/scan");
    const response = await scanHandler({
      Records: [record("good-1", received.Messages![0].Body!), record("bad-1", '{"kind":"port-detected"')],
    } as SQSEvent);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "bad-1" }]);

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "ssl/" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([
      expect.stringMatching(/^ssl\/\d{4}\/\d{2}\/\d{2}\/good-1\.json$/),
    ]);

    const publisher = new CollectingPublisher();
    const parseHandler = makeParseHandler({
      ...(await import("../src/task")).sslTask,
      task: "ssl",
      publisher,
    });
    const key = listed.Contents![0].Key!;
    const s3Event = {
      Records: [{ s3: { bucket: { name: bucket }, object: { key } } }],
    } as unknown as S3Event;
    expect(await parseHandler(s3Event)).toEqual({ published: 1 });
    const collection = publisher.messages[0].message as DocumentCollection;
    expect(collection).toMatchObject({
      task: "ssl",
      scanId: "good-1",
      lineage: { rawKey: key, rootScanId: "root-1", depth: 1 },
    });
    const endpoint = collection.docs.endpoint[0].data;
    expect(endpoint).toMatchObject({
      hostname: "cascade.test",
      port: server.port,
      chain_status: "invalid",
      verify_error: "DEPTH_ZERO_SELF_SIGNED_CERT",
      self_signed: true,
    });
  });
});
