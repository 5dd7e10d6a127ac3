import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Attr, Env, ErrorChannelEnv } from "@sec-an/contracts";
import { deadLetterRecord, resetClients, setClients } from "@sec-an/runtime";
import { awsClientConfig, emulatorEndpoints, s3ClientConfig, uniqueName } from "@sec-an/testing";
import type { SQSRecord } from "aws-lambda";
import {
  MALFORMED_STOP_EVENT,
  TASK_FAILED_TO_START,
  TASK_STOPPED,
  handleTaskStop,
  resultDays,
  stopToDeadLetter,
  storedInBucket,
} from "../../src/task/task-stop-handler";
import { TASK_FAILED_LOG, TaskStopEnv, taskStopHandlerEntry } from "../../src/task";
import { matchesJsonLogPattern } from "../../src/core";
import { loadBundle } from "./helpers";

const ACCOUNT = "123456789012";
const CLUSTER = `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/test-sec-an-scanning-cluster`;
const TASK_ARN = `arn:aws:ecs:us-east-1:${ACCOUNT}:task/test-sec-an-scanning-cluster/c13b4cb40f1f4fe4a2971f76ae5a47ad`;
const TASK_QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:test-sec-an-nmap-task-queue`;
const REQUEST = JSON.stringify({ target: "127.0.0.1", scanId: "scan-42" });

type Container = { name: string; exitCode?: number; reason?: string };

/** An "ECS Task State Change" event as EventBridge delivers it for a stopped Fargate task. */
function stopped(opts: {
  containers: Container[];
  stopCode?: string;
  stoppedReason?: string;
  request?: string | null;
}) {
  const env =
    opts.request === null
      ? []
      : [
          { name: Env.task, value: "nmap" },
          { name: Env.scanRequestId, value: "scan-42" },
          { name: Env.resultsBucket, value: "test-sec-an-nmap-results" },
          { name: Env.scanRequest, value: opts.request ?? REQUEST },
        ];
  return {
    version: "0",
    id: "3317b2af-7005-947d-b652-f55e762e571a",
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    account: ACCOUNT,
    time: "2026-11-27T12:00:00Z",
    region: "us-east-1",
    resources: [TASK_ARN],
    detail: {
      attachments: [{ id: "1789bcae", type: "eni", status: "DELETED", details: [] }],
      availabilityZone: "us-east-1a",
      clusterArn: CLUSTER,
      connectivity: "CONNECTED",
      containers: opts.containers.map((c) => ({
        containerArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:container/${c.name}`,
        lastStatus: "STOPPED",
        image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/test-sec-an-nmap:3f2a1b`,
        taskArn: TASK_ARN,
        cpu: "0",
        ...c,
      })),
      cpu: "512",
      memory: "1024",
      createdAt: "2026-11-27T11:58:00Z",
      desiredStatus: "STOPPED",
      group: "family:test-sec-an-nmap",
      launchType: "FARGATE",
      lastStatus: "STOPPED",
      overrides: { containerOverrides: [{ name: "nmap", environment: env }] },
      platformVersion: "1.4.0",
      startedBy: "sec-an/nmap/scan-42",
      stopCode: opts.stopCode ?? "EssentialContainerExited",
      stoppedAt: "2026-11-27T12:00:00Z",
      stoppedReason: opts.stoppedReason ?? "Essential container in task exited",
      stoppingAt: "2026-11-27T11:59:59Z",
      taskArn: TASK_ARN,
      taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/test-sec-an-nmap:3`,
      version: 5,
    },
  };
}

describe("the ECS task-stop handler, against SQS (fauxqs)", () => {
  const sqs = new SQSClient(awsClientConfig());
  let dlq: { url: string; arn: string };

  beforeEach(async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("stops-dlq") }));
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    dlq = { url: QueueUrl!, arn: a.Attributes!.QueueArn! };
  });
  afterEach(() => sqs.send(new DeleteQueueCommand({ QueueUrl: dlq.url })));
  afterAll(() => sqs.destroy());

  const deps = () => ({ sqs, deadLetterQueueUrl: dlq.url, taskQueueArn: TASK_QUEUE });

  /** Every message in the DLQ (bounded: stops after one empty poll). */
  async function dead(): Promise<Message[]> {
    const out: Message[] = [];
    for (;;) {
      const r = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ["All"],
        }),
      );
      if (!r.Messages?.length) return out;
      out.push(...r.Messages);
    }
  }
  const attrs = (m: Message) =>
    Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));

  it("sends nothing when every container exited 0", async () => {
    await expect(
      handleTaskStop(stopped({ containers: [{ name: "nmap", exitCode: 0 }] }), deps()),
    ).resolves.toBe(undefined);
    expect(await dead()).toEqual([]);
  });

  it("logs each failed task on the one line the failed-tasks alarm counts, and nothing for a clean exit", async () => {
    const lines: string[] = [];
    // Powertools writes warnings to stderr, the rest to stdout.
    const spies = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        return true;
      }),
    );
    try {
      await handleTaskStop(stopped({ containers: [{ name: "nmap", exitCode: 0 }] }), deps());
      await handleTaskStop(stopped({ containers: [{ name: "nmap", exitCode: 3 }] }), deps());
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const counted = lines.filter((l) => matchesJsonLogPattern(TASK_FAILED_LOG, l)).map((l) => JSON.parse(l));
    expect(counted).toEqual([expect.objectContaining({ code: TASK_STOPPED, requestId: TASK_ARN })]);
    expect(await dead()).toHaveLength(1);
  });

  it("dead-letters a non-zero exit with the request as body and the stop reason as attributes", async () => {
    await handleTaskStop(
      stopped({ containers: [{ name: "nmap", exitCode: 3, reason: "upload-failed" }] }),
      deps(),
    );
    const [m, ...rest] = await dead();
    expect(rest).toEqual([]);
    // The body is the scan request itself, so a redrive to the task queue runs the scan again.
    expect(m.Body).toBe(REQUEST);
    expect(attrs(m)).toEqual({
      [Attr.errorCode]: TASK_STOPPED,
      [Attr.errorMessage]:
        "EssentialContainerExited: Essential container in task exited; container nmap exit 3 (upload-failed)",
      [Attr.requestId]: TASK_ARN,
      [Attr.sourceQueue]: TASK_QUEUE,
      [Attr.scanId]: "scan-42",
      [Attr.provider]: "nmap",
    });
    // …and the dead-letter recorder files exactly that code and reason.
    const record: SQSRecord = {
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(Date.now()),
        SenderId: "test",
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
          k,
          { dataType: v.DataType!, stringValue: v.StringValue, stringListValues: [], binaryListValues: [] },
        ]),
      ),
      md5OfBody: m.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: dlq.arn,
      awsRegion: "us-east-1",
    };
    expect(deadLetterRecord(record)).toMatchObject({
      errorCode: TASK_STOPPED,
      reason: expect.stringContaining("container nmap exit 3 (upload-failed)"),
      requestId: TASK_ARN,
      sourceQueue: TASK_QUEUE,
    });
  });

  it("reports a failed scan task on the error channel with its task, scan id and container", async () => {
    const sns = new SNSClient(awsClientConfig());
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("errors") }));
    const { QueueUrl: feed } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("feed") }));
    const feedArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: feed, AttributeNames: ["QueueArn"] }))
    ).Attributes!.QueueArn!;
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "sqs",
        Endpoint: feedArn,
        Attributes: { RawMessageDelivery: "true" },
      }),
    );
    setClients({ sns });
    process.env[ErrorChannelEnv.topicArn] = TopicArn;
    process.env.AWS_LAMBDA_FUNCTION_NAME = "test-sec-an-nmap-task-stops";
    process.env[Env.task] = "nmap"; // as TaskStopRecorder sets it
    try {
      await handleTaskStop(stopped({ containers: [{ name: "nmap", exitCode: 3 }] }), deps());
    } finally {
      delete process.env[ErrorChannelEnv.topicArn];
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      delete process.env[Env.task];
      resetClients();
    }
    expect(await dead()).toHaveLength(1);
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: feed, WaitTimeSeconds: 2 }));
    expect(JSON.parse(r.Messages![0].Body!)).toMatchObject({
      service: "test-sec-an-nmap-task-stops",
      task: "nmap",
      code: TASK_STOPPED,
      requestId: TASK_ARN,
      scanId: "scan-42",
      container: "nmap",
      dlq: dlq.url,
      source: TASK_QUEUE,
    });
    await sqs.send(new DeleteQueueCommand({ QueueUrl: feed }));
    sns.destroy();
  });

  it("dead-letters a task that failed to start (no exit code at all)", async () => {
    await handleTaskStop(
      stopped({
        stopCode: "TaskFailedToStart",
        stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
        containers: [{ name: "nmap", reason: "CannotPullContainerError: ref not found" }],
      }),
      deps(),
    );
    const [m] = await dead();
    expect(m.Body).toBe(REQUEST);
    expect(attrs(m)[Attr.errorCode]).toBe(TASK_FAILED_TO_START);
    expect(attrs(m)[Attr.errorMessage]).toBe(
      "TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 5 time(s); container nmap no exit code (CannotPullContainerError: ref not found)",
    );
  });

  it("dead-letters a task stopped before its container exited, and one with a sidecar that failed", async () => {
    await handleTaskStop(
      stopped({
        stopCode: "UserInitiated",
        stoppedReason: "Task stopped by user",
        containers: [{ name: "nmap" }],
      }),
      deps(),
    );
    await handleTaskStop(
      stopped({
        containers: [
          { name: "nmap", exitCode: 0 },
          { name: "helper", exitCode: 137 },
        ],
      }),
      deps(),
    );
    expect((await dead()).map((m) => attrs(m)[Attr.errorMessage]).sort()).toEqual([
      "EssentialContainerExited: Essential container in task exited; container nmap exit 0; container helper exit 137",
      "UserInitiated: Task stopped by user; container nmap no exit code",
    ]);
  });

  it("without the request in the overrides, the body says which task failed and how", async () => {
    await handleTaskStop(stopped({ request: null, containers: [{ name: "nmap", exitCode: 1 }] }), deps());
    const [m] = await dead();
    expect(JSON.parse(m.Body!)).toEqual({
      taskArn: TASK_ARN,
      taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/test-sec-an-nmap:3`,
      startedBy: "sec-an/nmap/scan-42",
      stopCode: "EssentialContainerExited",
      stoppedReason: "Essential container in task exited",
      containers: [{ name: "nmap", exitCode: 1 }],
    });
    expect(attrs(m)[Attr.scanId]).toBeUndefined();
  });

  it("records a malformed event as a dead letter of its own kind, with the event as body", async () => {
    const running = stopped({ containers: [{ name: "nmap" }] });
    running.detail.lastStatus = "RUNNING";
    const cases: [unknown, string][] = [
      [running, 'detail.lastStatus is "RUNNING", not STOPPED'],
      [{ ...running, detail: undefined }, "event has no detail"],
      [
        { source: "aws.s3", "detail-type": "Object Created" },
        'not an ECS Task State Change event (source "aws.s3", detail-type "Object Created")',
      ],
      [
        { ...running, detail: { ...running.detail, lastStatus: "STOPPED", containers: "x" } },
        "detail.containers is not a list of containers",
      ],
      ["not an event", "event is not an object"],
    ];
    for (const [event] of cases) await handleTaskStop(event, deps());
    const got = await dead();
    expect(got.map((m) => attrs(m)[Attr.errorMessage]).sort()).toEqual(cases.map(([, why]) => why).sort());
    expect(got.every((m) => attrs(m)[Attr.errorCode] === MALFORMED_STOP_EVENT)).toBe(true);
    expect(got.map((m) => m.Body)).toContain(JSON.stringify("not an event"));
  });

  it("fails the invocation when the DLQ cannot take the dead letter, so Lambda retries it", async () => {
    const missing = { ...deps(), deadLetterQueueUrl: `${dlq.url}-missing` };
    await expect(
      handleTaskStop(stopped({ containers: [{ name: "nmap", exitCode: 1 }] }), missing),
    ).rejects.toThrow();
  });
});

describe("stopToDeadLetter", () => {
  it("treats a stop with no containers as a failure", () => {
    expect(stopToDeadLetter(stopped({ containers: [] }))?.code).toBe(TASK_STOPPED);
  });
  it("survives odd overrides: the failure is still recorded, with a summary body", () => {
    const e = stopped({ containers: [{ name: "nmap", exitCode: 1 }] });
    (e.detail as { overrides: unknown }).overrides = {
      containerOverrides: [{ name: 7, environment: "x" }, null],
    };
    const dl = stopToDeadLetter(e)!;
    expect([dl.code, dl.provider, JSON.parse(dl.body).taskArn]).toEqual([TASK_STOPPED, undefined, TASK_ARN]);
  });
});

describe("bundled task-stop handler", () => {
  it("loads, reads where to send from its environment and dead-letters a failed task", async () => {
    const sqs = new SQSClient(awsClientConfig());
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: uniqueName("stops-bundle-dlq") }),
    );
    const bundle = loadBundle<{ handler: (e: unknown) => Promise<void> }>(taskStopHandlerEntry());
    const saved = { ...bundle.env };
    Object.assign(bundle.env, {
      AWS_ENDPOINT_URL: emulatorEndpoints().aws,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      [TaskStopEnv.deadLetterQueueUrl]: QueueUrl,
      [TaskStopEnv.taskQueueArn]: TASK_QUEUE,
    });
    try {
      await bundle.exports.handler(stopped({ containers: [{ name: "nmap", exitCode: 4 }] }));
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ["All"], WaitTimeSeconds: 0 }),
      );
      expect(got.Messages?.map((m) => [m.Body, m.MessageAttributes?.[Attr.errorCode]?.StringValue])).toEqual([
        [REQUEST, TASK_STOPPED],
      ]);
    } finally {
      for (const k of Object.keys(bundle.env)) if (!(k in saved)) delete bundle.env[k];
      Object.assign(bundle.env, saved);
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
      sqs.destroy();
    }
  });
});

describe("a stopped task that scanned several targets (SCAN_REQUESTS), against SQS and S3 (fauxqs)", () => {
  const sqs = new SQSClient(awsClientConfig());
  const s3 = new S3Client(s3ClientConfig());
  const bucket = uniqueName("stops-results").toLowerCase();
  let dlqUrl: string;
  const entries = [0, 1, 2].map((i) => ({
    scanId: `batch-${i}`,
    request: { target: `127.0.0.${i + 1}`, requestedAt: "2026-11-27T11:57:00Z" },
  }));
  /** The same stop event, carrying the launcher's SCAN_REQUESTS instead of one request. */
  const batchStopped = (exitCode: number) => {
    const e = stopped({ containers: [{ name: "nmap", exitCode }], request: null });
    (e.detail.overrides.containerOverrides[0] as { environment: unknown }).environment = [
      { name: Env.task, value: "nmap" },
      { name: Env.resultsBucket, value: bucket },
      { name: Env.scanRequests, value: JSON.stringify(entries) },
    ];
    return e;
  };

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  beforeEach(async () => {
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("stops-batch-dlq") }))).QueueUrl!;
  });
  afterEach(() => sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl })));
  afterAll(() => {
    sqs.destroy();
    s3.destroy();
  });
  const received = async () =>
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ["All"],
        }),
      )
    ).Messages ?? [];

  it("dead-letters each request whose result is not stored, with its own body and scan id, and not the stored one", async () => {
    // batch-1 finished and stored its raw result (dated by its scan end, the day the task stopped).
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "nmap/2026/11/27/batch-1.xml", Body: "<nmaprun/>" }),
    );
    const deps = {
      sqs,
      deadLetterQueueUrl: dlqUrl,
      taskQueueArn: TASK_QUEUE,
      stored: storedInBucket(s3, bucket, "nmap"),
    };
    await handleTaskStop(batchStopped(137), deps);
    const got = await received();
    const by = new Map(got.map((m) => [m.MessageAttributes?.[Attr.scanId]?.StringValue, m]));
    expect([...by.keys()].sort()).toEqual(["batch-0", "batch-2"]);
    for (const id of ["batch-0", "batch-2"]) {
      const m = by.get(id)!;
      expect(JSON.parse(m.Body!)).toEqual(entries.find((e) => e.scanId === id)!.request);
      expect(m.MessageAttributes?.[Attr.errorCode]?.StringValue).toBe(TASK_STOPPED);
      expect(m.MessageAttributes?.[Attr.requestId]?.StringValue).toBe(id);
      expect(m.MessageAttributes?.[Attr.errorMessage]?.StringValue).toContain("exit 137");
      expect(m.MessageAttributes?.[Attr.provider]?.StringValue).toBe("nmap");
    }
  });

  it("sends nothing when the task exited cleanly", async () => {
    await handleTaskStop(batchStopped(0), {
      sqs,
      deadLetterQueueUrl: dlqUrl,
      stored: storedInBucket(s3, bucket, "nmap"),
    });
    expect(await received()).toEqual([]);
  });

  it("looks on every day the scans may have ended, and no more than three", () => {
    expect(resultDays(new Date("2026-11-27T23:50:00Z"), new Date("2026-11-28T00:10:00Z"))).toEqual([
      "2026/11/27",
      "2026/11/28",
    ]);
    expect(resultDays(new Date("2026-11-01T00:00:00Z"), new Date("2026-11-20T00:00:00Z"))).toHaveLength(3);
  });
});
