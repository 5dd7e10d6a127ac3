import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DocumentCollection, Limits, validate } from "@sec-an/contracts";
import { SnsPublisher, createParseTools, messageBytes } from "@sec-an/runtime";
import { awsClientConfig, uniqueName } from "@sec-an/testing";
import { PARSER_VERSION, parseNmapResult } from "../src/parser";
import { rawResult } from "./helpers";
import { syntheticNmapXml } from "./synthetic";

/** One host with thousands of ports and CVEs: its collection is split so no SNS message passes 256 KB. */
jest.setTimeout(120_000);

const sns = new SNSClient(awsClientConfig());
const sqs = new SQSClient(awsClientConfig());
afterAll(() => {
  sns.destroy();
  sqs.destroy();
});

it("splits a huge host into parts that each fit an SNS message, and every part is delivered", async () => {
  const xml = syntheticNmapXml({ hosts: 1, portsPerHost: 1200, cvesPerPort: 10, tlsEvery: 50 });
  const raw = rawResult(xml, { request: { target: "10.0.0.0", requestedAt: "2026-11-23T09:00:00Z" } });

  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("results") }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("ingest") }));
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: a.Attributes!.QueueArn,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );

  const tools = createParseTools({
    task: "nmap",
    metadata: raw.metadata,
    rawKey: raw.key,
    parserVersion: PARSER_VERSION,
    publisher: new SnsPublisher(TopicArn!, () => sns),
  });
  parseNmapResult(raw, tools);
  const sent = await tools.publishAll();

  const posted = sent.reduce(
    (n, m) => n + Object.values(m.message.docs).reduce((k, d) => k + d.length, 0),
    0,
  );
  // 1200 ports + 12 000 CVEs + 24 TLS ports × (1 proto + 2 ciphers + 1 cert) + 1 data document.
  expect(posted).toBe(1200 + 12_000 + 24 * 4 + 1);
  expect(sent.length).toBeGreaterThan(10);
  for (const m of sent)
    expect(messageBytes(m.body, m.attributes)).toBeLessThanOrEqual(Limits.snsMessageBytes);

  const received: DocumentCollection[] = [];
  for (let i = 0; i < 60 && received.length < sent.length; i++) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const msg of r.Messages ?? []) received.push(validate(DocumentCollection, JSON.parse(msg.Body!)));
    if (r.Messages?.length) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: r.Messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }
  expect(received).toHaveLength(sent.length);
  expect(new Set(received.map((c) => c.part?.index))).toEqual(new Set(sent.map((_, i) => i)));
  const delivered = received.reduce((n, c) => n + Object.values(c.docs).reduce((k, d) => k + d.length, 0), 0);
  expect(delivered).toBe(posted);
  // Every part carries the same parent and temporal keys, so the ingestor treats them as one collection.
  expect(new Set(received.map((c) => `${c.parentKey}/${c.temporalKey}`)).size).toBe(1);
});
