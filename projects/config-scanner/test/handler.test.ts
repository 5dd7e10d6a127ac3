import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { NetworkInterface, SecurityGroup } from "@aws-sdk/client-ec2";
import { ConfigAlertAttr, ConfigScannerEnv, Env } from "@sec-an/contracts";
import { logger, resetClients, setClients } from "@sec-an/runtime";
import { restoreEnvAfterAll } from "@sec-an/testing";
import { DescribeSecurityGroupsCommand } from "@aws-sdk/client-ec2";
import { mapEvent, PLUGINS, realtimeTriggers } from "../src/engine";
import type { Evaluation } from "../src/evaluate";
import { handler } from "../src/handlers/scan";
import {
  alertsTopic,
  awsError,
  createBucket,
  createQueue,
  createStateTable,
  drain,
  emulatorClients,
  eni,
  group,
  sqsRecord,
  stubEc2,
} from "./helpers";

/**
 * The scan handler as Lambda runs it: SQS records carrying EventBridge events, EC2 stubbed at the SDK
 * boundary, and the state table, alerts topic, raw-results bucket and dead-letter queue on the real
 * emulators (dynalite, fauxqs).
 */
logger.setLogLevel("SILENT");
const c = emulatorClients();
restoreEnvAfterAll();
const ACCOUNT = "123456789012";
let bucket: string;
let alerts: { topicArn: string; queue: { url: string; arn: string } };
let dlq: { url: string; arn: string };
const world: { groups: SecurityGroup[]; enis: NetworkInterface[] } = { groups: [], enis: [] };
let ec2: ReturnType<typeof stubEc2>;

beforeAll(async () => {
  bucket = await createBucket(c.s3);
  alerts = await alertsTopic(c);
  dlq = await createQueue(c.sqs, "cfg-dlq");
  process.env[ConfigScannerEnv.stateTable] = await createStateTable(c.dynamo);
}, 30_000);
beforeEach(() => {
  setClients({ sqs: c.sqs, sns: c.sns, s3: c.s3, dynamo: c.dynamo });
  Object.assign(process.env, {
    [Env.resultsBucket]: bucket,
    [ConfigScannerEnv.alertsTopicArn]: alerts.topicArn,
    [ConfigScannerEnv.homeAccount]: ACCOUNT,
    [Env.deadLetterQueueUrl]: dlq.url,
    [Env.maxReceiveCount]: "3",
  });
  world.groups = [];
  world.enis = [];
  ec2 = stubEc2(world);
});
afterEach(() => {
  ec2.restore();
  resetClients();
});

let n = 0;
/** A fresh group id per case, so cases never share state. */
const newGroupId = () => `sg-0c0ffee${String(++n).padStart(10, "0")}`;

/** An EventBridge event of AuthorizeSecurityGroupIngress opening `port` to the world on `groupId`. */
const authorize = (groupId: string, port = 22, account = ACCOUNT) => ({
  version: "0",
  id: `evt-${groupId}-${port}`,
  "detail-type": "AWS API Call via CloudTrail",
  source: "aws.ec2",
  account,
  time: "2026-11-27T10:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: {
    eventVersion: "1.10",
    userIdentity: { type: "IAMUser", accountId: account, arn: `arn:aws:iam::${account}:user/alice` },
    eventTime: "2026-11-27T10:00:00Z",
    eventSource: "ec2.amazonaws.com",
    eventName: "AuthorizeSecurityGroupIngress",
    awsRegion: "us-east-1",
    recipientAccountId: account,
    requestParameters: {
      groupId,
      ipPermissions: {
        items: [
          { ipProtocol: "tcp", fromPort: port, toPort: port, ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] } },
        ],
      },
    },
    responseElements: { _return: true },
  },
});

async function run(body: unknown, receiveCount = 1) {
  const record = sqsRecord(body, receiveCount);
  const res = await handler({ Records: [record] });
  return { id: record.messageId, failures: res.batchItemFailures.map((f) => f.itemIdentifier) };
}

/** The evaluation the handler kept in the lake for one message (its scan id is the message id). */
async function stored(messageId: string): Promise<Evaluation> {
  const list = await c.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "config-scanner/" }));
  const key = list.Contents?.map((o) => o.Key!).find((k) => k.endsWith(`/${messageId}.json`));
  if (!key) throw new Error(`no raw result for ${messageId}`);
  const o = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await o.Body!.transformToString()) as Evaluation;
}

const alertsOf = async (expect: number) =>
  (await drain(c.sqs, alerts.queue.url, expect)).map((m) => {
    const env = JSON.parse(m.Body!) as {
      Subject: string;
      Message: string;
      MessageAttributes: Record<string, { Value: string }>;
    };
    return {
      subject: env.Subject,
      text: env.Message,
      attrs: Object.fromEntries(Object.entries(env.MessageAttributes).map(([k, v]) => [k, v.Value])),
    };
  });

describe("config-scanner handler", () => {
  test("FAIL alerts once; the same FAIL again is silent; the fix resolves it", async () => {
    const id = newGroupId();
    world.groups = [group(id, [22])];
    world.enis = [eni(id, "198.51.100.7", "10.0.0.7")];

    expect((await run(authorize(id))).failures).toEqual([]);
    const [opened, ...more] = await alertsOf(2);
    expect(more).toEqual([]);
    expect(opened.attrs).toEqual({
      [ConfigAlertAttr.plugin]: JSON.stringify(["openSsh"]),
      [ConfigAlertAttr.status]: "FAIL",
      [ConfigAlertAttr.severity]: "high",
      [ConfigAlertAttr.account]: ACCOUNT,
      [ConfigAlertAttr.region]: "us-east-1",
      [ConfigAlertAttr.transition]: "opened",
    });
    expect(opened.subject).toContain(id);
    expect(opened.text).toContain("Port(s): 22");
    expect(opened.text).toContain("public 198.51.100.7");
    expect(opened.text).toContain(`revoke-security-group-ingress --region us-east-1 --group-id ${id}`);

    // The same event redelivered, or another event while the group is unchanged: no second alert.
    const again = await run(authorize(id));
    expect(again.failures).toEqual([]);
    expect(await alertsOf(1)).toEqual([]);
    const ev = await stored(again.id);
    expect(ev.findings.find((f) => f.plugin === "openSsh")?.status).toBe("FAIL");
    expect(ev.groups).toEqual([
      expect.objectContaining({
        groupId: id,
        inUse: true,
        publicIps: ["198.51.100.7"],
        privateIps: ["10.0.0.7"],
      }),
    ]);

    world.groups = [group(id, [])];
    await run(authorize(id));
    const [resolved, ...rest] = await alertsOf(2);
    expect(rest).toEqual([]);
    expect(resolved.attrs).toMatchObject({ plugin: '["openSsh"]', status: "OK", transition: "resolved" });
    expect(resolved.subject).toMatch(/^\[sec-an\] RESOLVED openSsh/);
  });

  test("one rule open on every port is one alert per transition, naming every plugin, at the highest severity", async () => {
    const id = newGroupId();
    world.groups = [
      { ...group(id), IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] },
    ];
    world.enis = [eni(id, "198.51.100.12", "10.0.0.12")];
    await run(authorize(id));
    const got = await alertsOf(3);
    expect(got).toHaveLength(1);
    const plugins = JSON.parse(got[0].attrs.plugin) as string[];
    expect(plugins.length).toBeGreaterThan(10);
    expect(plugins).toEqual(expect.arrayContaining(["openSsh", "openRdp", "openAllPortsProtocols"]));
    expect(got[0].attrs).toMatchObject({ severity: "critical", transition: "opened", status: "FAIL" });
    expect(got[0].text).toContain("openRdp");

    // Deleted: every plugin's FAIL resolves in one message, found by keyed reads, not partition queries.
    world.groups = [];
    const sent: string[] = [];
    c.dynamo.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "countRemovalCalls" },
    );
    try {
      await run(authorize(id));
    } finally {
      c.dynamo.middlewareStack.remove("countRemovalCalls");
    }
    expect(sent.filter((k) => /^Query/.test(k))).toEqual([]);
    const resolved = await alertsOf(3);
    expect(resolved.map((a) => `${a.attrs.status}:${a.attrs.transition}`)).toEqual(["REMOVED:resolved"]);
    expect(JSON.parse(resolved[0].attrs.plugin)).toEqual(plugins);
  });

  test("the first sweep of a region records its FAILs without mailing them; a later change alerts", async () => {
    const id = newGroupId();
    world.groups = [group(id, [22])];
    world.enis = [eni(id, "198.51.100.13", "10.0.0.13")];
    const first = await run({ sweep: true, region: "eu-north-1" });
    expect(first.failures).toEqual([]);
    const ev = await stored(first.id);
    expect(ev.findings.find((f) => f.plugin === "openSsh")?.status).toBe("FAIL");
    expect(ev).toMatchObject({ silent: true, alerts: [] });
    expect(await alertsOf(1)).toEqual([]);

    world.groups = [group(id, [22, 3389])];
    await run({ sweep: true, region: "eu-north-1" });
    expect((await alertsOf(2)).map((a) => a.attrs.plugin)).toEqual(['["openRdp"]']);
  });

  test("FAIL→WARN (the group detached from its last interface) is one 'changed' alert", async () => {
    const id = newGroupId();
    world.groups = [group(id, [22])];
    world.enis = [eni(id, "198.51.100.14", "10.0.0.14")];
    await run(authorize(id));
    expect((await alertsOf(2)).map((a) => a.attrs.transition)).toEqual(["opened"]);
    world.enis = [];
    await run(authorize(id));
    const got = await alertsOf(2);
    expect(got.map((a) => `${a.attrs.plugin}:${a.attrs.status}:${a.attrs.transition}`)).toEqual([
      '["openSsh"]:WARN:changed',
    ]);
    expect(got[0].subject).toMatch(/^\[sec-an\] CHANGED openSsh: .* now WARN/);
  });

  test("concurrent events over the same change alert exactly once", async () => {
    const id = newGroupId();
    world.groups = [group(id, [3389])];
    world.enis = [eni(id, "198.51.100.8", "10.0.0.8")];
    const res = await Promise.all([1, 2, 3, 4].map(() => run(authorize(id, 3389))));
    expect(res.flatMap((r) => r.failures)).toEqual([]);
    const got = await alertsOf(5);
    expect(got.map((a) => `${a.attrs.plugin}:${a.attrs.transition}`)).toEqual(['["openRdp"]:opened']);
  });

  test("a deleted group resolves its findings and leaves nothing to describe: not an error", async () => {
    const id = newGroupId();
    world.groups = [group(id, [5432])];
    world.enis = [eni(id, "198.51.100.9", "10.0.0.9")];
    await run(authorize(id, 5432));
    expect((await alertsOf(2)).map((a) => a.attrs.transition)).toEqual(["opened"]);

    world.groups = [];
    const gone = await run(authorize(id, 5432));
    expect(gone.failures).toEqual([]);
    const [resolved] = await alertsOf(2);
    expect(resolved.attrs).toMatchObject({
      plugin: '["openPostgreSql"]',
      status: "REMOVED",
      transition: "resolved",
    });
    expect(resolved.subject).toContain("deleted");
    expect((await stored(gone.id)).removed).toEqual([id]);
  });

  test("an event for a group that never existed is recorded as removed, with no alert and no error", async () => {
    const id = newGroupId();
    const r = await run(authorize(id));
    expect(r.failures).toEqual([]);
    expect(await alertsOf(1)).toEqual([]);
    const ev = await stored(r.id);
    expect(ev).toMatchObject({ relevant: true, removed: [id], findings: [] });
  });

  test("the sweep judges every group of the region and resolves groups deleted without an event", async () => {
    const [open, closed, gone] = [newGroupId(), newGroupId(), newGroupId()];
    world.groups = [group(gone, [6379])];
    world.enis = [eni(gone, "198.51.100.10", "10.0.0.10")];
    await run(authorize(gone, 6379));
    expect((await alertsOf(2)).map((a) => a.attrs.transition)).toEqual(["opened"]);

    world.groups = [group(open, [23]), group(closed, [])];
    world.enis = [eni(open, "198.51.100.11", "10.0.0.11")];
    const r = await run({ sweep: true, region: "us-east-1" });
    expect(r.failures).toEqual([]);
    const ev = await stored(r.id);
    expect(ev).toMatchObject({ kind: "sweep", trigger: "sweep" });
    expect(ev.removed).toContain(gone);
    expect(new Set(ev.findings.map((f) => f.plugin)).size).toBeGreaterThan(10);
    const mine = (await alertsOf(20)).filter((a) =>
      [open, closed, gone].some((id) => a.subject.includes(id)),
    );
    expect(
      mine
        .map((a) => `${a.attrs.plugin}:${a.attrs.status}:${a.subject.includes(open) ? "open" : "gone"}`)
        .sort(),
    ).toEqual(['["openRedis"]:REMOVED:gone', '["openTelnet"]:FAIL:open']);

    // Nothing changed since: the next sweep reads the state once per plugin and writes nothing.
    // (Counted in the DynamoDB client's middleware, which the runtime's document client shares.)
    const sent: string[] = [];
    c.dynamo.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "countStateCalls" },
    );
    try {
      const again = await run({ sweep: true, region: "us-east-1" });
      expect(again.failures).toEqual([]);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.filter((k) => !/^Query/.test(k))).toEqual([]);
    } finally {
      c.dynamo.middlewareStack.remove("countStateCalls");
    }
  });

  test.each(readdirSync(join(__dirname, "fixtures/engine/events")).filter((f) => f.endsWith(".json")))(
    "CloudTrail event %s: mapped, described and evaluated",
    async (file) => {
      const event = JSON.parse(
        readFileSync(join(__dirname, "fixtures/engine/events", file), "utf8"),
      ) as unknown;
      const m = mapEvent(event);
      world.groups = m.groupIds.map((id) => group(id, [22]));
      const r = await run(event);
      expect(r.failures).toEqual([]);
      const ev = await stored(r.id);
      expect(ev.relevant).toBe(m.relevant);
      if (!m.relevant) return expect(ev.findings).toEqual([]);
      expect(ev.trigger).toBe(m.eventName);
      expect(ev.live.SecurityGroups.map((g) => g.GroupId).sort()).toEqual([...new Set(m.groupIds)].sort());
      // Every group named is judged by every plugin (those the event maps to among them).
      for (const id of new Set(m.groupIds)) {
        const judged = ev.findings.filter((f) => f.resource.endsWith(`/${id}`)).map((f) => f.plugin);
        expect(judged.sort()).toEqual(Object.keys(PLUGINS).sort());
        for (const p of m.plugins) expect(judged).toContain(p);
      }
      await alertsOf(m.groupIds.length * Object.keys(PLUGINS).length + 1);
    },
  );

  test("every realtime trigger has a CloudTrail event above", () => {
    // EventBridge events carry the record in `detail`; a bare CloudTrail record is the record itself.
    const names = new Set(
      readdirSync(join(__dirname, "fixtures/engine/events")).map((f) => {
        const e = JSON.parse(readFileSync(join(__dirname, "fixtures/engine/events", f), "utf8")) as {
          detail?: { eventName: string };
          eventName?: string;
        };
        return (e.detail ?? e).eventName;
      }),
    );
    for (const t of realtimeTriggers()) for (const e of t.eventNames) expect(names).toContain(e);
  });
});

describe("bad input", () => {
  const deadLetters = async (count: number) =>
    (await drain(c.sqs, dlq.url, count)).map((m) => ({
      code: m.MessageAttributes?.ErrorCode?.StringValue,
      reason: m.MessageAttributes?.ErrorMessage?.StringValue ?? "",
      body: m.Body,
    }));

  test("a body that is not JSON goes to the DLQ at once, code malformed, and keeps its batch siblings", async () => {
    const id = newGroupId();
    world.groups = [group(id, [])];
    const bad = sqsRecord("{not json");
    const good = sqsRecord(authorize(id));
    const res = await handler({ Records: [bad, good] });
    expect(res.batchItemFailures).toEqual([]);
    const [letter, ...more] = await deadLetters(2);
    expect(more).toEqual([]);
    expect(letter).toMatchObject({ code: "malformed", body: "{not json" });
    expect((await stored(good.messageId)).findings.length).toBeGreaterThan(0);
  });

  test("a sweep request that is not a SweepRequest goes to the DLQ at once, code malformed", async () => {
    const r = await run({ sweep: true, region: "bogus" });
    expect(r.failures).toEqual([]);
    const [letter, ...more] = await deadLetters(2);
    expect(more).toEqual([]);
    expect(letter).toMatchObject({ code: "malformed" });
    expect(letter.reason).toContain("region");
    expect(ec2.calls()).toHaveLength(0);
  });

  test.each(["[]", '{"detail":"x"}'])(
    "JSON that is no event (%s) is dead-lettered as malformed, never a crash",
    async (body) => {
      const record = sqsRecord(body);
      const res = await handler({ Records: [record] });
      expect(res.batchItemFailures).toEqual([]);
      const letters = await deadLetters(1);
      if (letters.length) expect(letters[0]).toMatchObject({ code: "malformed" });
      else expect(await stored(record.messageId)).toMatchObject({ relevant: false, findings: [] });
      expect(ec2.calls()).toHaveLength(0);
    },
  );

  test("an event that is not relevant is reported as such, not as an error", async () => {
    const event = JSON.parse(
      readFileSync(join(__dirname, "fixtures/engine/events/s3-put-bucket-policy.json"), "utf8"),
    ) as unknown;
    const r = await run(event);
    expect(r.failures).toEqual([]);
    expect(await stored(r.id)).toMatchObject({ relevant: false, findings: [] });
    expect(ec2.calls()).toHaveLength(0);
    expect(await deadLetters(1)).toEqual([]);
  });

  test.each([
    ["throttled", awsError("RequestLimitExceeded", "Request limit exceeded.", 503)],
    ["denied", awsError("UnauthorizedOperation", "You are not authorized to perform this operation.", 403)],
  ])("a %s Describe call is retried, then dead-lettered with the reason", async (_what, error) => {
    const id = newGroupId();
    ec2.on(DescribeSecurityGroupsCommand).rejects(error);
    const first = await run(authorize(id), 1);
    expect(first.failures).toEqual([first.id]);
    expect(await deadLetters(1)).toEqual([]);
    const last = await run(authorize(id), 3);
    expect(last.failures).toEqual([]);
    const [letter] = await deadLetters(1);
    expect(letter.code).toBe("retries-exhausted");
    expect(letter.reason).toContain(
      `DescribeSecurityGroups in us-east-1 (account ${ACCOUNT}) failed: ${error.name}`,
    );
  });

  test("an event from an account that is not a configured member is dead-lettered, not described", async () => {
    const r = await run(authorize(newGroupId(), 22, "999988887777"));
    expect(r.failures).toEqual([]);
    const [letter] = await deadLetters(1);
    expect(letter.code).toBe("account-not-configured");
    expect(letter.reason).toContain("999988887777");
    expect(ec2.calls()).toHaveLength(0);
  });
});
