import { checkResources } from "@sec-an/policy";
import { MOCK_ACCOUNT, resourceNamed, resources, resourcesOfType } from "@sec-an/testing";
import { ErrorChannelEnv } from "@sec-an/contracts";
import { devConfig, runSharedInfra as run } from "./helpers";

const policyOf = (name: string) =>
  JSON.parse(resourceNamed("aws:iam/rolePolicy:RolePolicy", name).inputs.policy) as {
    Statement: { Sid?: string; Action: string | string[]; Resource: string | string[] }[];
  };
const ERRORS_ARN = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-errors`;
const SECRET = `arn:aws:secretsmanager:us-east-1:${MOCK_ACCOUNT}:secret:redis-auth-AbCdEf`;
const redis = {
  host: "errors.abc123.use1.cache.amazonaws.com",
  port: 6379,
  tls: true,
  container: "scanner-mystical-infrastructure",
  authSecretArn: SECRET,
};

describe("error channel without Redis (defaults)", () => {
  beforeAll(() => run(), 180_000);

  test("the errors topic: fixed name, KMS-encrypted, published to SSM; no bridge", () => {
    const topic = resourceNamed("aws:sns/topic:Topic", "dev-sec-an-errors-topic");
    expect(topic.inputs).toMatchObject({ name: "dev-sec-an-errors", kmsMasterKeyId: "alias/aws/sns" });
    const param = resourcesOfType("aws:ssm/parameter:Parameter").find(
      (p) => p.inputs.name === "/sec-an/dev/monitoring/errors/arn",
    );
    expect(param?.inputs.insecureValue ?? param?.inputs.value).toBe(ERRORS_ARN);
    expect(resources().filter((r) => r.name.startsWith("dev-sec-an-errors-redis"))).toEqual([]);
    expect(resources().filter((r) => r.name === "dev-sec-an-vpc-secretsmanager")).toEqual([]);
  });

  test("every platform function may publish to the errors topic, and only there, and is told its ARN", () => {
    const fn = resourceNamed("aws:lambda/function:Function", "dev-sec-an-scans-function");
    expect(fn.inputs.environment.variables[ErrorChannelEnv.topicArn]).toBe(ERRORS_ARN);
    const publish = policyOf("dev-sec-an-scans-policy").Statement.filter((s) => s.Sid === "PublishErrors");
    expect(publish).toEqual([
      { Sid: "PublishErrors", Effect: "Allow", Action: "sns:Publish", Resource: ERRORS_ARN },
    ]);
  });

  test("zero policy violations", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });
});

describe("error channel with a Redis bridge", () => {
  beforeAll(() => run({ redis: JSON.stringify(redis) }), 180_000);

  test("a Secrets Manager endpoint lets the private bridge read its token", () => {
    const ep = resourceNamed("aws:ec2/vpcEndpoint:VpcEndpoint", "dev-sec-an-vpc-secretsmanager");
    expect(ep.inputs).toMatchObject({ vpcEndpointType: "Interface", privateDnsEnabled: true });
    expect(String(ep.inputs.serviceName)).toMatch(/\.secretsmanager$/);
  });

  test("errors topic → queue (raw delivery, with its DLQ) → bridge function", () => {
    const sub = resourceNamed(
      "aws:sns/topicSubscription:TopicSubscription",
      "dev-sec-an-errors-topic-to-redis-bridge",
    );
    expect(sub.inputs).toMatchObject({ protocol: "sqs", rawMessageDelivery: true, topic: ERRORS_ARN });
    const queue = resourceNamed("aws:sqs/queue:Queue", "dev-sec-an-errors-redis");
    expect(sub.inputs.endpoint).toBe(queue.state.arn);
    expect(JSON.parse(queue.inputs.redrivePolicy)).toMatchObject({ maxReceiveCount: 3 });
    expect(queue.inputs.sqsManagedSseEnabled).toBe(true);
    const mapping = resourcesOfType("aws:lambda/eventSourceMapping:EventSourceMapping").find(
      (m) => m.inputs.eventSourceArn === queue.state.arn,
    );
    expect(mapping?.inputs).toMatchObject({
      functionResponseTypes: ["ReportBatchItemFailures"],
      batchSize: 10,
    });
  });

  test("the bridge runs in the private subnets, reaching only Redis and the VPC endpoints", () => {
    const fn = resourceNamed("aws:lambda/function:Function", "dev-sec-an-errors-redis-function");
    expect(fn.inputs.vpcConfig).toEqual({
      subnetIds: ["subnet-dev-sec-an-vpc-private-0", "subnet-dev-sec-an-vpc-private-1"],
      securityGroupIds: [
        resourceNamed("aws:ec2/securityGroup:SecurityGroup", "dev-sec-an-errors-redis-sg").id,
      ],
    });
    const sg = resourceNamed("aws:ec2/securityGroup:SecurityGroup", "dev-sec-an-errors-redis-sg").inputs;
    expect(sg.ingress).toEqual([]);
    expect(sg.egress).toEqual([
      expect.objectContaining({ protocol: "tcp", fromPort: 6379, toPort: 6379, cidrBlocks: ["10.0.0.0/16"] }),
      expect.objectContaining({
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        securityGroups: ["dev-sec-an-vpc-endpoints-id"],
      }),
    ]);
  });

  test("the token is read from its secret at run time: the environment names the secret, never holds a token", () => {
    const env = resourceNamed("aws:lambda/function:Function", "dev-sec-an-errors-redis-function").inputs
      .environment.variables;
    expect(env).toMatchObject({
      [ErrorChannelEnv.redisHost]: redis.host,
      [ErrorChannelEnv.redisPort]: "6379",
      [ErrorChannelEnv.redisTls]: "true",
      [ErrorChannelEnv.redisContainer]: redis.container,
      [ErrorChannelEnv.redisAuthSecretArn]: SECRET,
    });
    // The bridge does not report its own failures to the topic it consumes.
    expect(env[ErrorChannelEnv.topicArn]).toBeUndefined();
    const grants = policyOf("dev-sec-an-errors-redis-policy").Statement;
    expect(grants.map((s) => s.Sid)).toEqual([
      "OwnLogGroup",
      "XRay",
      "VpcNetworkInterfaces",
      "DeadLetterFailures",
      "ReadRedisToken",
    ]);
    expect(grants.find((s) => s.Sid === "ReadRedisToken")).toMatchObject({
      Action: "secretsmanager:GetSecretValue",
      Resource: SECRET,
    });
    expect(grants.some((s) => [s.Action].flat().includes("sns:Publish"))).toBe(false);
  });

  test("zero policy violations", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });
});

describe("redis stack config", () => {
  const parse = (redisValue: unknown) => devConfig({ redis: JSON.stringify(redisValue) });

  it("accepts an existing server without a token, and names a bad key", () => {
    expect(parse({ host: "10.0.5.9", port: 6380, tls: false, container: "scanner" }).redis).toEqual({
      host: "10.0.5.9",
      port: 6380,
      tls: false,
      container: "scanner",
    });
    expect(() => parse({ ...redis, port: 0 })).toThrow(/sec-an-shared-infra:redis/);
    expect(() => parse({ ...redis, container: "a:b" })).toThrow(/redis/);
    expect(() => parse({ ...redis, authSecretArn: "hunter2" })).toThrow(/redis/);
    expect(() => parse({ ...redis, password: "hunter2" })).toThrow(/redis/);
    expect(() => parse({ ...redis, host: "evil host; rm -rf /" })).toThrow(/redis/);
  });
});
