/**
 * `POST /scans` against the emulators: dynalite holds the DNS tables, fauxqs the scan-initiator topic
 * with a queue subscribed to it, so what the handler publishes is read back off the queue. Accepted
 * targets are loopback only; nothing here is scanned.
 */
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { DeleteQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { PutCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { ErrorChannelEnv, ScanRequest, isValid } from "@sec-an/contracts";
import { resetClients, setClients } from "@sec-an/runtime";
import {
  awsClientConfig,
  captureErrorsTopic,
  createDnsTables,
  drainQueue,
  dynamoClientConfig,
  subscribedQueue,
  uniqueName,
  type CapturedErrors,
} from "@sec-an/testing";
import { handler } from "../src/scans/handler";
import { ScansEnv } from "../src/scans/logic";

const dynamo = new DynamoDBClient(dynamoClientConfig());
const doc = DynamoDBDocumentClient.from(dynamo);
const sqs = new SQSClient(awsClientConfig());
const sns = new SNSClient(awsClientConfig());
const tables = { addresses: uniqueName("resolved-addresses"), hosts: uniqueName("resolved-hosts") };
let topicArn: string;
const queues: string[] = [];
let all: string;

async function queueOn(topic = topicArn): Promise<string> {
  const { url } = await subscribedQueue({ sqs, sns }, topic, { queuePrefix: "scans" });
  queues.push(url);
  return url;
}

/** Everything on the queue now (short polls until one comes back empty). */
const NOW = { waitSeconds: 0, maxEmptyPolls: 1 };
const drain = (url: string) => drainQueue(sqs, url, NOW);

const post = (body: unknown, extra: Partial<APIGatewayProxyEvent> = {}) =>
  handler({
    body: typeof body === "string" ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { authorizer: { claims: { sub: "user-1" } } },
    ...extra,
  } as unknown as APIGatewayProxyEvent).then((r) => ({ status: r.statusCode, body: JSON.parse(r.body) }));

function names(o: { topic?: string; addresses?: string } = {}) {
  process.env[ScansEnv.addressesTable] = o.addresses ?? tables.addresses;
  process.env[ScansEnv.hostsTable] = tables.hosts;
  process.env[ScansEnv.topicArn] = o.topic ?? topicArn;
}

beforeAll(async () => {
  await createDnsTables(dynamo, { resolvedAddresses: tables.addresses, resolvedHosts: tables.hosts });
  await doc.send(
    new PutCommand({ TableName: tables.addresses, Item: { Address: "127.0.0.5", DnsIngestTime: 1 } }),
  );
  await doc.send(new PutCommand({ TableName: tables.addresses, Item: { Address: "::1", DnsIngestTime: 1 } }));
  await doc.send(
    new PutCommand({ TableName: tables.hosts, Item: { Host: "app.corp.test", DnsIngestTime: 1 } }),
  );
  topicArn = (await sns.send(new CreateTopicCommand({ Name: uniqueName("scan-initiator") }))).TopicArn!;
  all = await queueOn();
  process.env[ScansEnv.allowList] = "127.0.0.64/28";
  process.env[ScansEnv.scanners] = "nmap,ssl";
  setClients({ dynamo, sns });
  names();
});
afterEach(async () => {
  names();
  // Every test leaves the topic's queue as it found it: a test that publishes drains what it expects.
  expect(await drain(all)).toEqual([]);
});
afterAll(async () => {
  for (const key of Object.values(ScansEnv)) delete process.env[key];
  resetClients();
  for (const t of Object.values(tables))
    await dynamo.send(new DeleteTableCommand({ TableName: t })).catch(() => undefined);
  for (const q of queues) await sqs.send(new DeleteQueueCommand({ QueueUrl: q })).catch(() => undefined);
  for (const c of [dynamo, sqs, sns]) c.destroy();
});

describe("POST /scans accepts only what we own", () => {
  test("an address and a host name from the DNS tables, and an allow-listed network: published, 202", async () => {
    const res = await post({ targets: ["127.0.0.5", "app.corp.test", "127.0.0.64/29", "::1"] });
    expect(res.status).toBe(202);
    expect(res.body.scanners).toEqual(["nmap", "ssl"]);
    expect(res.body.scans.map((s: { target: string }) => s.target)).toEqual([
      "127.0.0.5",
      "app.corp.test",
      "127.0.0.64/29",
      "::1",
    ]);
    const messages = await drain(all);
    expect(messages).toHaveLength(4);
    const byTarget = new Map(messages.map((m) => [JSON.parse(m.Body!).target as string, m]));
    for (const { target, scanId } of res.body.scans) {
      const m = byTarget.get(target)!;
      const request = JSON.parse(m.Body!);
      expect(isValid(ScanRequest, request)).toBe(true);
      expect(request).toMatchObject({
        scanId,
        requestedBy: "user-1",
        lineage: { rootScanId: scanId, depth: 0, rule: "on-demand" },
      });
      expect(m.MessageAttributes!.Depth.StringValue).toBe("0");
      expect(m.MessageAttributes!.ScanId.StringValue).toBe(scanId);
      expect(JSON.parse(m.MessageAttributes!.Task.StringValue!)).toEqual(["nmap", "ssl"]);
    }
    expect(JSON.parse(byTarget.get("app.corp.test")!.Body!).targetType).toBe("hostname");
  });

  test("host names match the tables case-insensitively, and a trailing dot is dropped", async () => {
    const res = await post({ targets: ["App.Corp.Test."] });
    expect(res.status).toBe(202);
    expect(await drain(all)).toHaveLength(1);
  });

  test("an address that is neither in the DNS tables nor allow-listed: 403 with the reason, nothing published", async () => {
    const res = await post({ targets: ["127.0.0.9"] });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      error: "not-owned",
      targets: [{ target: "127.0.0.9", reason: expect.stringMatching(/no DNS record resolves to it/) }],
    });
  });

  test("one foreign target refuses the whole request: the owned one is not published either", async () => {
    const res = await post({ targets: ["127.0.0.5", "127.0.0.9", "other.example.test", "127.0.0.64/27"] });
    expect(res.status).toBe(403);
    expect(res.body.targets.map((t: { target: string }) => t.target)).toEqual([
      "127.0.0.9",
      "other.example.test",
      "127.0.0.64/27", // larger than the allow-listed /28
    ]);
  });

  test("scanners asked for travel in the Task attribute (String.Array, which SNS filter policies match by element)", async () => {
    expect((await post({ targets: ["127.0.0.70"], scanners: ["ssl"] })).status).toBe(202);
    const [m] = await drain(all);
    expect(m.MessageAttributes!.Task).toMatchObject({ DataType: "String.Array", StringValue: '["ssl"]' });
  });

  test("a base64-encoded body is read like a plain one", async () => {
    const body = Buffer.from(JSON.stringify({ targets: ["127.0.0.5"] })).toString("base64");
    expect((await post(body, { isBase64Encoded: true })).status).toBe(202);
    expect(await drain(all)).toHaveLength(1);
  });
});

describe("POST /scans refuses bad input with a 400 and publishes nothing", () => {
  test.each([
    "127.0.0.5; rm -rf /",
    "$(reboot)",
    "`id`",
    "127.0.0.5 && curl x",
    "-oX/tmp/x",
    "--script=evil",
    "127.0.0.1-5",
    "127.0.0.5,127.0.0.6",
    "169.254.169.254",
    "0x7f000001",
    "host\nname.test",
    "a|b.test",
  ])("hostile target %j", async (target) => {
    const res = await post({ targets: ["127.0.0.5", target] });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid-target");
    expect(res.body.targets).toEqual([{ target, reason: expect.stringContaining("invalid scan target") }]);
  });

  test.each([
    ["not JSON", "{targets:", /not valid JSON/],
    ["JSON null", null, /Expected object/],
    ["no targets", { scanners: ["nmap"] }, /targets/],
    ["empty targets", { targets: [] }, /targets/],
    ["a number as target", { targets: [1] }, /targets\/0/],
    ["an unknown field", { targets: ["127.0.0.5"], target: "x" }, /target Unexpected property/],
    ["too many targets", { targets: Array.from({ length: 11 }, (_, i) => `127.0.0.${i + 1}`) }, /targets/],
    ["duplicate targets", { targets: ["127.0.0.5", "127.0.0.5"] }, /targets/],
    ["bad ports", { targets: ["127.0.0.5"], ports: "22;id" }, /ports/],
  ])("%s", async (_what, body, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "malformed", message: expect.stringMatching(message) });
  });

  test("a scanner not configured for on-demand scans", async () => {
    const res = await post({ targets: ["127.0.0.5"], scanners: ["http-headers"] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: "unknown-scanner",
      message: expect.stringContaining("nmap, ssl"),
    });
  });
});

describe("POST /scans when our side fails: 503, reported on the error channel", () => {
  let errors: CapturedErrors;
  beforeAll(async () => {
    errors = await captureErrorsTopic({ sqs, sns });
    queues.push(errors.queue.url);
  });
  afterAll(() => {
    delete process.env[ErrorChannelEnv.topicArn];
  });
  const reported = () => errors.events(NOW);
  const withRequestId = { requestContext: { requestId: "api-req-1", authorizer: { claims: { sub: "u" } } } };

  test("a topic that cannot be published to: 503 to retry, never a 2xx", async () => {
    names({ topic: topicArn.replace(/[^:]+$/, uniqueName("missing-topic")) });
    const res = await post(
      { targets: ["127.0.0.5"] },
      withRequestId as unknown as Partial<APIGatewayProxyEvent>,
    );
    expect(res.status).toBe(503);
    expect(res.body.error).toMatch(/unavailable|partly-queued/);
    expect(await reported()).toEqual([
      expect.objectContaining({ code: res.body.error, requestId: "api-req-1" }),
    ]);
  });

  test("a DNS table that is missing: 503, nothing published", async () => {
    names({ addresses: uniqueName("no-such-table") });
    const res = await post({ targets: ["127.0.0.5"] });
    expect(res.status).toBe(503);
    expect(await reported()).toEqual([expect.objectContaining({ code: "unavailable" })]);
  });

  test("a broken allow-list in the environment: 503 and reported, not a crash", async () => {
    const saved = process.env[ScansEnv.allowList];
    process.env[ScansEnv.allowList] = "127.0.0.64/28,not-a-network";
    try {
      const res = await post({ targets: ["127.0.0.5"] });
      expect(res).toMatchObject({ status: 503, body: { error: "unavailable" } });
      expect(await reported()).toEqual([
        expect.objectContaining({ code: "unavailable", message: expect.stringContaining("not-a-network") }),
      ]);
    } finally {
      process.env[ScansEnv.allowList] = saved;
    }
  });
});
