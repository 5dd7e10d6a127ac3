import { checkResources } from "@sec-an/policy";
import { notificationsTopicArn } from "@sec-an/components";
import { MOCK_ACCOUNT, childrenOf, resourceNamed, resources, resourcesOfType, unwrap } from "@sec-an/testing";
import { devConfig, runSharedInfra as run } from "./helpers";

const TOPIC = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-notifications`;
const NOTIFICATIONS = { type: "sec-an:core:AlarmTopic", name: "dev-sec-an-notifications" };
const policy = (type: string, name: string) => JSON.parse(resourceNamed(type, name).inputs.policy);

describe("notifications topic", () => {
  const emails = ["ops@example.com", "oncall@example.org"];
  const hooks = ["https://hooks.example.com/sec-an"];
  let out: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    out = await run({
      notificationEmails: JSON.stringify(emails),
      notificationHttpsEndpoints: JSON.stringify(hooks),
    });
  }, 180_000);

  it("is one topic under its own rotated KMS key, at the ARN every alarm derives, published to SSM", async () => {
    const topic = resourceNamed("aws:sns/topic:Topic", "dev-sec-an-notifications");
    const key = resourceNamed("aws:kms/key:Key", "dev-sec-an-notifications-key");
    expect(topic.inputs.name).toBe("dev-sec-an-notifications");
    expect(topic.inputs.kmsMasterKeyId).toBe(key.state.arn);
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    expect(topic.state.arn).toBe(TOPIC);
    // The components' derived ARN and the created topic agree: alarms reach this topic.
    expect(await unwrap(notificationsTopicArn({ app: "sec-an", stage: "dev" }))).toBe(topic.state.arn);
    expect(out.notificationsTopicArn).toBe(TOPIC);
    expect(
      resourceNamed("aws:ssm/parameter:Parameter", "dev-sec-an-shared-infra-exports-notificationsTopicArn")
        .inputs,
    ).toMatchObject({
      name: "/sec-an/dev/monitoring/notifications/arn",
      insecureValue: TOPIC,
    });
  });

  it("lets only this account's alarms and rules publish, and use the key", () => {
    const statements = policy("aws:sns/topicPolicy:TopicPolicy", "dev-sec-an-notifications-policy").Statement;
    expect(statements).toEqual([
      {
        Sid: "AlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: TOPIC,
        Condition: {
          StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:us-east-1:${MOCK_ACCOUNT}:alarm:*` },
        },
      },
      {
        Sid: "EventRulesPublish",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: TOPIC,
        Condition: {
          StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:events:us-east-1:${MOCK_ACCOUNT}:rule/*` },
        },
      },
    ]);
    const key = policy("aws:kms/key:Key", "dev-sec-an-notifications-key").Statement;
    expect(key.map((s: { Sid: string }) => s.Sid)).toEqual([
      "AccountAdministersKey",
      "AlarmsEncryptForTopic",
      "EventRulesEncryptForTopic",
    ]);
    expect(key[0].Principal).toEqual({ AWS: `arn:aws:iam::${MOCK_ACCOUNT}:root` });
    for (const s of key.slice(1)) {
      expect(s.Action).toEqual(["kms:GenerateDataKey*", "kms:Decrypt"]);
      expect(s.Resource).toBe("*");
    }
  });

  it("subscribes each configured address and endpoint, named by it so reordering replaces none", async () => {
    const subs = childrenOf(NOTIFICATIONS).filter(
      (r) => r.type === "aws:sns/topicSubscription:TopicSubscription",
    );
    expect(subs.map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic])).toEqual([
      ["email", emails[0], TOPIC],
      ["email", emails[1], TOPIC],
      ["https", hooks[0], TOPIC],
    ]);
    const names = subs.map((s) => s.name).sort();
    await run({
      notificationEmails: JSON.stringify([...emails].reverse()),
      notificationHttpsEndpoints: JSON.stringify(hooks),
    });
    expect(
      resourcesOfType("aws:sns/topicSubscription:TopicSubscription")
        .filter((s) => s.parent?.name === NOTIFICATIONS.name)
        .map((s) => s.name)
        .sort(),
    ).toEqual(names);
    expect(await checkResources(resources())).toEqual([]);
  }, 180_000);

  it("has no subscriptions by default, and rejects a bad address or a non-HTTPS endpoint naming the key", () => {
    const c = devConfig();
    expect([c.notificationEmails, c.notificationHttpsEndpoints]).toEqual([[], []]);
    expect(() => devConfig({ notificationEmails: '["not-an-address"]' })).toThrow(
      "config sec-an-shared-infra:notificationEmails",
    );
    expect(() => devConfig({ notificationEmails: '["a@b.c","a@b.c"]' })).toThrow(
      "config sec-an-shared-infra:notificationEmails: must be a list of distinct email addresses",
    );
    expect(() => devConfig({ notificationHttpsEndpoints: '["http://hooks.example.com/x"]' })).toThrow(
      "config sec-an-shared-infra:notificationHttpsEndpoints: must be a list of distinct https:// URLs",
    );
  });
});
