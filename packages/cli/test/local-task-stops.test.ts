import { gunzipSync } from "node:zlib";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { Params, paramName } from "@sec-an/contracts";
import { setClients, setParamOverrides } from "@sec-an/runtime";
import { awsClientConfig, dynamoClientConfig, emulatorEndpoints, s3ClientConfig } from "@sec-an/testing";
import { asyncDeadLetters, eventBus, sqsPoller, type EventDelivery, type Loop } from "../src/local/bridges";
import { LocalEcs } from "../src/local/ecs";
import { LocalInvoker } from "../src/local/invoker";
import { runPrograms } from "../src/local/programs";
import { provision, type LocalClients, type Translation } from "../src/local/provision";
import { repoRoot } from "../src/local/run";
import { emptyTopology, readTopology, type LocalTopology } from "../src/local/topology";

/**
 * The local run does what AWS does when a scan task stops: the ECS stand-in sends the "ECS Task State
 * Change" event to the stop rule the nmap program deploys, the real task-stop Lambda dead-letters a
 * failed scan into the task DLQ, and the real dead-letter recorder stores it. The topology comes from
 * the real programs; only the container is a fixture, so its exit code is the test's to choose. Every
 * scan request names 127.0.0.1.
 */
jest.setTimeout(180_000);
const root = repoRoot();
const scratch = mkdtempSync(join(tmpdir(), "sec-an-stops-test-"));
const clients: LocalClients = {
  sqs: new SQSClient(awsClientConfig()),
  sns: new SNSClient(awsClientConfig()),
  s3: new S3Client(s3ClientConfig()),
  dynamo: new DynamoDBClient(dynamoClientConfig()),
};
const env: Record<string, string> = {
  AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_ENDPOINT_URL: emulatorEndpoints().aws,
  AWS_ENDPOINT_URL_DYNAMODB: emulatorEndpoints().dynamo,
  AWS_EC2_METADATA_DISABLED: "true",
  SEC_AN_APP: "sec-an",
  SEC_AN_STAGE: "local",
  FIXTURE_EXIT: "1",
};
let topology: LocalTopology;
let translation: Translation;
let ecs: LocalEcs;
let taskQueueUrl: string;
let dlqUrl: string;
let bucket: string;
const deliveries: EventDelivery[] = [];
const loops: Loop[] = [];
const logs: string[] = [];

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !(await check());) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs.slice(-20).join("\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const deadLetterKeys = async () =>
  ((await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [])
    .map((o) => o.Key!)
    .filter((k) => k.includes("nmap-task-queue-dlq"));

const scan = (scanId: string) =>
  clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: taskQueueUrl,
      MessageBody: JSON.stringify({ target: "127.0.0.1", scanId, requestedAt: new Date().toISOString() }),
    }),
  );

beforeAll(async () => {
  Object.assign(process.env, env);
  const runs = await runPrograms(root, "local");
  topology = emptyTopology();
  for (const r of runs) readTopology(r.records, topology);
  translation = await provision(topology, clients);
  setParamOverrides(translation.applyAll(topology.parameters));
  bucket = translation.apply(
    topology.parameters[paramName({ app: "sec-an", stage: "local" }, Params.deadLettersBucketName)],
  );

  // The nmap task definition as the program declares it, but running the fixture as its container.
  const fixture = relative(root, join(__dirname, "fixtures/exit-entry.ts"));
  const defs = topology.taskDefinitions.map((d) => (/nmap/.test(d.family) ? { ...d, entry: fixture } : d));
  ecs = new LocalEcs(defs, root, env, (l) => logs.push(l), { tmpRoot: join(scratch, "tasks") });
  setClients({ ...clients, ecs: ecs as never });
  const invoker = new LocalInvoker(topology.functions, root, translation, env);
  const bus = eventBus(topology.eventRules, invoker, {
    log: (l) => logs.push(l),
    deadLetter: asyncDeadLetters(clients, topology, translation),
  });
  ecs.onTaskStopped(async (e) => deliveries.push(...(await bus(e))));

  const queue = topology.queues.find((q) => /nmap-task-queue$/.test(q.name))!;
  const dlq = topology.queues.find((q) => q.mockArn === queue.redrive?.dlqMockArn)!;
  taskQueueUrl = translation.apply(queue.mockUrl);
  dlqUrl = translation.apply(dlq.mockUrl);
  // The launcher on the task queue and the dead-letter recorder on its DLQ, as the local run polls them.
  for (const q of [queue, dlq]) {
    const es = topology.eventSources.find((s) => s.sourceMockArn === q.mockArn)!;
    const arn = translation.get(q.mockArn)!;
    loops.push(sqsPoller(clients, invoker, es.functionRef, translation.apply(q.mockUrl), arn, es.batchSize));
  }
});

afterAll(async () => {
  await Promise.all(loops.map((l) => l.stop()));
  await ecs?.stop(1000);
  setParamOverrides(undefined);
  rmSync(scratch, { recursive: true, force: true });
});

it("reads the stop rule off the nmap program, with the task-stop Lambda as its target", () => {
  const rule = topology.eventRules.find((r) => /nmap/.test(r.name));
  expect(rule?.pattern).toMatchObject({ source: ["aws.ecs"], "detail-type": ["ECS Task State Change"] });
  expect(rule?.targetMockArns).toHaveLength(1);
  const fn = topology.functions.find((f) => f.mockArn === rule!.targetMockArns[0]);
  expect(fn?.entry).toBe("packages/components/src/task/task-stop-handler.ts");
  // An event the handler still fails on after Lambda's retries lands in the same task DLQ.
  expect(translation.apply(topology.queues.find((q) => q.mockArn === fn?.deadLetterMockArn)!.mockUrl)).toBe(
    dlqUrl,
  );
});

it("a task whose container exits non-zero ends as a recorded dead letter with code task-stopped and the reason", async () => {
  await scan("stop-test-fail");
  await until(() => ecs.runs.length === 1 && ecs.running() === 0, 60_000, "the failing task to stop");
  expect(ecs.runs[0].exitCode).toBe(1);
  expect(deliveries).toEqual([expect.objectContaining({ ok: true })]);

  await until(async () => (await deadLetterKeys()).length === 1, 30_000, "the dead letter to be recorded");
  const [key] = await deadLetterKeys();
  const obj = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const { record, body } = JSON.parse(
    gunzipSync(Buffer.from(await obj.Body!.transformToByteArray())).toString(),
  );
  expect(record.errorCode).toBe("task-stopped");
  expect(record.reason).toMatch(/^EssentialContainerExited: Essential container in task exited/);
  expect(record.reason).toMatch(/exit 1 \(scan failed: the results upload was refused \(simulated\)\)/);
  expect(record.requestId).toBe(ecs.runs[0].taskArn);
  expect(record.attributes.ScanId).toBe("stop-test-fail");
  // The body is the request the launcher handed the task, so the dead letter can be redriven as is.
  expect(JSON.parse(body)).toMatchObject({ target: "127.0.0.1", scanId: "stop-test-fail" });
});

it("a task whose container exits 0 produces no dead letter", async () => {
  env.FIXTURE_EXIT = "0";
  await scan("stop-test-ok");
  await until(() => ecs.runs.length === 2 && ecs.running() === 0, 60_000, "the clean task to stop");
  expect(ecs.runs[1].exitCode).toBe(0);
  // Its stop event was delivered to the rule's target, which found nothing to dead-letter.
  expect(deliveries).toHaveLength(2);
  expect(deliveries[1].ok).toBe(true);
  await new Promise((r) => setTimeout(r, 3000));
  const depth = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  expect(Number(depth.Attributes?.ApproximateNumberOfMessages)).toBe(0);
  expect(Number(depth.Attributes?.ApproximateNumberOfMessagesNotVisible)).toBe(0);
  expect(await deadLetterKeys()).toHaveLength(1);
});
