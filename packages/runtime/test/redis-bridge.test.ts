import { ECSClient } from "@aws-sdk/client-ecs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { createClient } from "redis";
import {
  Attr,
  Env,
  ErrorAttr,
  ErrorChannelEnv,
  PlatformErrorEvent,
  isValid,
  type RedisBridgeSettings,
} from "@sec-an/contracts";
import { restoreEnvAfterEach, startRedis, type LocalRedis } from "@sec-an/testing";
import type { SQSRecord } from "aws-lambda";
import { logger, makeLauncherHandler, resetClients, setClients, type LauncherConfig } from "../src";
import { bridgeMessage, bridgeSettingsFromEnv, makeRedisBridge } from "../src/handlers/redis-bridge";
import {
  createQueue,
  drain,
  emulatorClients,
  fakeRecord,
  lambdaContext,
  sqsEvent,
  toSqsRecord,
  topicWithQueue,
} from "./helpers";

/**
 * The Redis bridge against a real `redis-server` (Debian's, started per test on 127.0.0.1) and the error
 * channel on the fauxqs emulator: a real handler fails, its dead letter is published to the errors topic,
 * the topic delivers to the bridge's queue, the bridge publishes to Redis and a subscriber receives it.
 */

logger.setLogLevel("SILENT");
const c = emulatorClients();
restoreEnvAfterEach([
  ErrorChannelEnv.topicArn,
  Env.deadLetterQueueUrl,
  Env.maxReceiveCount,
  "AWS_LAMBDA_FUNCTION_NAME",
]);
const LAUNCHER = "dev-sec-an-nmap-launcher";

let servers: LocalRedis[] = [];
let closers: (() => void)[] = [];
async function redis(password?: string): Promise<LocalRedis> {
  const r = await startRedis({ password });
  servers.push(r);
  return r;
}

/** A subscriber on `channel`; `next()` resolves with the next message, or rejects after 10 s. */
async function subscribe(r: LocalRedis, channel: string) {
  const sub = createClient({
    socket: { host: r.host, port: r.port, reconnectStrategy: false },
    password: r.password,
  });
  sub.on("error", () => undefined);
  await sub.connect();
  closers.push(() => sub.destroy());
  const got: string[] = [];
  const waiters: ((m: string) => void)[] = [];
  await sub.subscribe(channel, (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else got.push(m);
  });
  return {
    next: () =>
      new Promise<string>((resolve, reject) => {
        const m = got.shift();
        if (m !== undefined) return resolve(m);
        const t = setTimeout(() => reject(new Error(`no message on ${channel} within 10 s`)), 10_000);
        waiters.push((x) => {
          clearTimeout(t);
          resolve(x);
        });
      }),
  };
}

const settings = (r: LocalRedis, extra: Partial<RedisBridgeSettings> = {}): RedisBridgeSettings => ({
  host: r.host,
  port: r.port,
  tls: false,
  container: "sec-an",
  ...extra,
});

const noSecret = () => Promise.reject(new Error("no secret is configured"));

function event(over: Partial<PlatformErrorEvent> = {}): PlatformErrorEvent {
  return {
    service: "dev-sec-an-ingest",
    task: "platform",
    code: "malformed",
    message: "not JSON",
    requestId: "m-1",
    time: "2026-11-27T10:00:00.000Z",
    ...over,
  };
}

beforeEach(() => setClients({ sqs: c.sqs, sns: c.sns }));
afterEach(async () => {
  for (const close of closers) close();
  closers = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  resetClients();
});

describe("bridgeMessage and settings", () => {
  it("publishes on ${container}:${service}, the event's own container first", () => {
    expect(bridgeMessage(event(), "scanner").channel).toBe("scanner:dev-sec-an-ingest");
    expect(bridgeMessage(event({ container: "nmap" }), "scanner").channel).toBe("nmap:dev-sec-an-ingest");
    expect(JSON.parse(bridgeMessage(event(), "x").message)).toEqual(event());
  });

  it("rejects a bridge environment it cannot use, naming the field", () => {
    expect(() =>
      bridgeSettingsFromEnv({
        [ErrorChannelEnv.redisHost]: "redis.internal",
        [ErrorChannelEnv.redisPort]: "6379",
        [ErrorChannelEnv.redisContainer]: "scanner",
      }),
    ).not.toThrow();
    expect(() =>
      bridgeSettingsFromEnv({
        [ErrorChannelEnv.redisHost]: "redis.internal",
        [ErrorChannelEnv.redisPort]: "99999",
        [ErrorChannelEnv.redisContainer]: "scanner",
      }),
    ).toThrow(/port/);
    expect(() =>
      bridgeSettingsFromEnv({
        [ErrorChannelEnv.redisHost]: "redis.internal",
        [ErrorChannelEnv.redisPort]: "6379",
        [ErrorChannelEnv.redisContainer]: "a:b",
      }),
    ).toThrow(/container/);
  });
});

describe("Redis bridge against a real redis-server", () => {
  it("a real launcher failure reaches a Redis subscriber on ${container}:${service}", async () => {
    const r = await redis();
    // The errors topic and the bridge's queue, as shared-infra wires them (raw delivery).
    const errors = await topicWithQueue(c, { raw: true });
    const dlq = await createQueue(c.sqs, "nmap-dlq");
    const taskQueue = await createQueue(c.sqs, "nmap-tasks");
    process.env[ErrorChannelEnv.topicArn] = errors.topicArn;
    process.env.AWS_LAMBDA_FUNCTION_NAME = LAUNCHER;
    const sub = await subscribe(r, `nmap:${LAUNCHER}`);

    // A hostile target into the real task queue: the real launcher refuses it and dead-letters it.
    const ecs = new ECSClient({
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    const ecsMock = mockClient(ecs);
    let failedId = "";
    try {
      const config: LauncherConfig = {
        task: "nmap",
        cluster: "arn:aws:ecs:us-east-1:111122223333:cluster/dev-sec-an-scanning",
        subnets: ["subnet-1"],
        securityGroups: ["sg-1"],
        assignPublicIp: false,
        resultsBucket: "results",
        deadLetterQueueUrl: dlq.url,
        providers: {
          nmap: {
            taskDefinition: "arn:aws:ecs:us-east-1:111122223333:task-definition/nmap:1",
            container: "nmap",
          },
        },
        defaultProvider: "nmap",
      };
      await c.sqs.send(
        new SendMessageCommand({
          QueueUrl: taskQueue.url,
          MessageBody: JSON.stringify({
            target: "127.0.0.1;touch /tmp/pwned",
            requestedAt: "2026-11-27T10:00:00Z",
          }),
          MessageAttributes: {
            [Attr.provider]: { DataType: "String", StringValue: "nmap" },
            [Attr.scanId]: { DataType: "String", StringValue: "scan-7" },
          },
        }),
      );
      const launcher = makeLauncherHandler({ config: () => config, ecs: () => ecs, sqs: () => c.sqs });
      const records = (await drain(c.sqs, taskQueue.url, 1)).map((m) => toSqsRecord(m, taskQueue.arn));
      failedId = records[0].messageId;
      expect((await launcher(sqsEvent(records), lambdaContext())).batchItemFailures).toEqual([]);
      expect(ecsMock.calls()).toHaveLength(0);
    } finally {
      ecsMock.restore();
    }
    expect(await drain(c.sqs, dlq.url, 1)).toHaveLength(1);

    // The bridge consumes the errors topic's queue.
    delete process.env[ErrorChannelEnv.topicArn];
    const bridge = makeRedisBridge({ settings: () => settings(r), authToken: noSecret });
    const delivered = (await drain(c.sqs, errors.queue.url, 1)).map((m) => toSqsRecord(m, errors.queue.arn));
    expect(delivered).toHaveLength(1);
    expect(delivered[0].messageAttributes[ErrorAttr.code].stringValue).toBe("InvalidTarget");
    expect((await bridge(sqsEvent(delivered), lambdaContext())).batchItemFailures).toEqual([]);

    const got = JSON.parse(await sub.next());
    expect(isValid(PlatformErrorEvent, got)).toBe(true);
    expect(got).toMatchObject({
      service: LAUNCHER,
      task: "nmap",
      code: "InvalidTarget",
      // The failed task-queue message, not the errors-queue message that carried the event.
      requestId: failedId,
      scanId: "scan-7",
      container: "nmap",
      dlq: dlq.url,
      source: taskQueue.arn,
    });
    expect(got.message).toMatch(/127\.0\.0\.1;touch/);
  });

  it("authenticates with the token from the secret, and reads it again after a refused AUTH", async () => {
    const r = await redis("s3cret-token");
    const sub = await subscribe(r, "sec-an:dev-sec-an-ingest");
    const lookups: { arn: string; refresh: boolean }[] = [];
    const tokens = ["stale-token", "s3cret-token"];
    const arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:redis-auth-AbCdEf";
    const bridge = makeRedisBridge({
      settings: () => settings(r, { authSecretArn: arn }),
      authToken: async (a, refresh) => {
        lookups.push({ arn: a, refresh });
        return tokens.shift()!;
      },
    });
    const rec = fakeRecord(JSON.stringify(event()), "m-auth");

    // A rotated token: AUTH is refused, the record is kept for a retry.
    expect((await bridge(sqsEvent([rec]), lambdaContext())).batchItemFailures).toEqual([
      { itemIdentifier: "m-auth" },
    ]);
    expect((await bridge(sqsEvent([rec]), lambdaContext())).batchItemFailures).toEqual([]);
    expect(JSON.parse(await sub.next())).toEqual(event());
    expect(lookups).toEqual([
      { arn, refresh: false },
      { arn, refresh: true },
    ]);
  });

  it("a Redis outage fails the record for a retry, and its last attempt goes to the DLQ: nothing is dropped", async () => {
    const r = await redis();
    const dlq = await createQueue(c.sqs, "bridge-dlq");
    // Even with an errors topic, the bridge's own dead letters are not fed back to it.
    const errors = await topicWithQueue(c, { raw: true });
    process.env[ErrorChannelEnv.topicArn] = errors.topicArn;
    process.env[Env.deadLetterQueueUrl] = dlq.url;
    process.env[Env.maxReceiveCount] = "3";
    const bridge = makeRedisBridge({ settings: () => settings(r), authToken: noSecret });

    // Connected once, then the server goes away.
    expect(
      (await bridge(sqsEvent([fakeRecord(JSON.stringify(event()), "m-0")]), lambdaContext()))
        .batchItemFailures,
    ).toEqual([]);
    await r.stop();

    const attempt = (n: number): SQSRecord => {
      const rec = fakeRecord(JSON.stringify(event({ requestId: "m-down" })), "m-down");
      return { ...rec, attributes: { ...rec.attributes, ApproximateReceiveCount: String(n) } };
    };
    expect((await bridge(sqsEvent([attempt(1)]), lambdaContext())).batchItemFailures).toEqual([
      { itemIdentifier: "m-down" },
    ]);
    expect(await drain(c.sqs, dlq.url, 1, 1)).toHaveLength(0);

    expect((await bridge(sqsEvent([attempt(3)]), lambdaContext())).batchItemFailures).toEqual([]);
    const [dead] = await drain(c.sqs, dlq.url, 1);
    expect(JSON.parse(dead.Body!)).toEqual(event({ requestId: "m-down" }));
    expect(dead.MessageAttributes![Attr.errorCode].StringValue).toBe("retries-exhausted");
    expect(await drain(c.sqs, errors.queue.url, 1, 1)).toHaveLength(0);
  });

  it("a record that is not an error event goes to the DLQ as malformed", async () => {
    const r = await redis();
    const dlq = await createQueue(c.sqs, "bridge-dlq");
    process.env[Env.deadLetterQueueUrl] = dlq.url;
    const bridge = makeRedisBridge({ settings: () => settings(r), authToken: noSecret });
    const res = await bridge(
      sqsEvent([fakeRecord('{"service":"x"}', "m-bad"), fakeRecord("not json", "m-worse")]),
      lambdaContext(),
    );
    expect(res.batchItemFailures).toEqual([]);
    const dead = await drain(c.sqs, dlq.url, 2);
    expect(dead.map((m) => m.MessageAttributes![Attr.errorCode].StringValue)).toEqual([
      "malformed",
      "malformed",
    ]);
  });
});
