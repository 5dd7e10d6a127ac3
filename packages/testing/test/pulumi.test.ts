import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import {
  MOCK_ACCOUNT,
  childrenOf,
  resourceKeys,
  resourceNamed,
  resources,
  resourcesOfType,
  runProgram,
  setupPulumiMocks,
  unwrap,
} from "../src/pulumi";

class Box extends pulumi.ComponentResource {
  readonly queueUrl: pulumi.Output<string>;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:test:Box", name, {}, opts);
    const q = new aws.sqs.Queue(`${name}-q`, { sqsManagedSseEnabled: true }, { parent: this });
    this.queueUrl = q.url;
    this.registerOutputs({ queueUrl: q.url });
  }
}

describe("pulumi mock harness", () => {
  beforeEach(() =>
    setupPulumiMocks({
      project: "proj",
      config: { days: 7, label: "x" },
      ssm: { "/sec-an/dev/thing": "value-1" },
      awsxOutputs: { "awsx:ec2:Vpc": { vpcId: "vpc-override" } },
    }),
  );

  test("records resources with inputs and deterministic outputs", async () => {
    const out = await runProgram(() => {
      const box = new Box("box");
      const topic = new aws.sns.Topic("t", { kmsMasterKeyId: "alias/aws/sns" });
      const bucket = new aws.s3.Bucket("b", { bucket: "my-bucket" });
      const table = new aws.dynamodb.Table("tbl", {
        name: "tbl-x",
        attributes: [{ name: "pk", type: "S" }],
        hashKey: "pk",
      });
      return { url: box.queueUrl, topicArn: topic.arn, bucketArn: bucket.arn, stream: table.streamArn };
    });
    expect(out.url).toBe(`https://sqs.us-east-1.amazonaws.com/${MOCK_ACCOUNT}/box-q`);
    expect(out.topicArn).toBe(`arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:t`);
    expect(out.bucketArn).toBe("arn:aws:s3:::my-bucket");
    expect(out.stream).toMatch(/^arn:aws:dynamodb:us-east-1:123456789012:table\/tbl-x\/stream\//);
    expect(resourcesOfType("sec-an:test:Box").map((r) => r.custom)).toEqual([false]);
    expect(resourceNamed("aws:sqs/queue:Queue", "box-q").inputs.sqsManagedSseEnabled).toBe(true);
    expect(() => resourceNamed("aws:sqs/queue:Queue", "nope")).toThrow(
      /no aws:sqs\/queue:Queue named nope; have: box-q/,
    );
    expect(resources().length).toBe(5);
    expect(resourceKeys()).toEqual([
      "aws:dynamodb/table:Table::tbl",
      "aws:s3/bucket:Bucket::b",
      "aws:sns/topic:Topic::t",
      "aws:sqs/queue:Queue::box-q",
      "sec-an:test:Box::box",
    ]);
    // Unsorted: the order the engine registered them in, which follows the SDK's async resolution.
    const registered = resourceKeys({ sorted: false });
    expect(registered).toEqual(resources().map((r) => `${r.type}::${r.name}`));
    expect([...registered].sort()).toEqual(resourceKeys());
    expect(resourceNamed("aws:sqs/queue:Queue", "box-q").parent).toEqual({
      type: "sec-an:test:Box",
      name: "box",
    });
    expect(resourceNamed("aws:sns/topic:Topic", "t").parent).toBeUndefined();
    expect(childrenOf({ type: "sec-an:test:Box", name: "box" }).map((r) => r.name)).toEqual(["box-q"]);
  });

  test("answers SSM, common invokes and config; throws for unmocked invokes", async () => {
    const p = await aws.ssm.getParameter({ name: "/sec-an/dev/thing" });
    expect(p.value).toBe("value-1");
    await expect(aws.ssm.getParameter({ name: "/missing" })).rejects.toThrow(
      /SSM parameter not mocked: \/missing/,
    );
    expect((await aws.getCallerIdentity()).accountId).toBe(MOCK_ACCOUNT);
    expect((await aws.getRegion()).region).toBe("us-east-1");
    expect((await aws.getAvailabilityZones()).names.length).toBeGreaterThanOrEqual(3);
    const doc = await aws.iam.getPolicyDocument({
      statements: [
        {
          actions: ["sqs:SendMessage"],
          resources: ["arn:q"],
          principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
        },
      ],
    });
    expect(JSON.parse(doc.json).Statement[0]).toEqual({
      Effect: "Allow",
      Action: ["sqs:SendMessage"],
      Resource: ["arn:q"],
      Principal: { Service: ["sns.amazonaws.com"] },
    });
    await expect(aws.ec2.getVpc({ default: true })).rejects.toThrow(
      /Mock not implemented: aws:ec2\/getVpc:getVpc/,
    );
    const cfg = new pulumi.Config();
    expect(cfg.requireNumber("days")).toBe(7);
    expect(cfg.require("label")).toBe("x");
  });

  test("secrets are unwrapped in records and listed in secretKeys", async () => {
    await runProgram(
      () => new aws.ssm.Parameter("p", { name: "/x", type: "SecureString", value: pulumi.secret("s3cr3t") }),
    );
    const rec = resourceNamed("aws:ssm/parameter:Parameter", "p");
    expect(rec.inputs.value).toBe("s3cr3t");
    expect(rec.secretKeys).toEqual(["value"]);
    expect(rec.state.value).toBe("s3cr3t");
  });

  test("unwrap resolves outputs and plain values; resetting per setup", async () => {
    expect(resources()).toEqual([]);
    expect(await unwrap(pulumi.output(Promise.resolve(3)))).toBe(3);
    expect(await unwrap("plain")).toBe("plain");
    const role = new aws.iam.Role("r", { assumeRolePolicy: "{}" });
    expect(await unwrap(role.arn)).toBe(`arn:aws:iam::${MOCK_ACCOUNT}:role/r`);
  });

  test("awsx Vpc registers as one resource with fed outputs", async () => {
    const out = await runProgram(() => {
      const vpc = new awsx.ec2.Vpc("net", { cidrBlock: "10.1.0.0/16", numberOfAvailabilityZones: 2 });
      return { vpcId: vpc.vpcId, priv: vpc.privateSubnetIds, pub: vpc.publicSubnetIds };
    });
    expect(out.vpcId).toBe("vpc-override");
    expect(out.priv).toEqual(["subnet-net-private-0", "subnet-net-private-1"]);
    expect(out.pub).toHaveLength(2);
    expect(resources().map((r) => r.type)).toEqual(["awsx:ec2:Vpc"]);
    expect(resourceNamed("awsx:ec2:Vpc", "net").inputs.cidrBlock).toBe("10.1.0.0/16");
  });
});
