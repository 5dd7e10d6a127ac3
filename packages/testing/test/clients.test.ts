import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { ListTopicsCommand } from "@aws-sdk/client-sns";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import { createTestBucket, emulatorClients } from "../src";

const c = emulatorClients();
afterAll(() => {
  for (const client of Object.values(c)) client.destroy();
});

describe("emulatorClients", () => {
  it("reach fauxqs (SQS, SNS, S3) and dynalite", async () => {
    await expect(c.sqs.send(new ListQueuesCommand({}))).resolves.toBeDefined();
    await expect(c.sns.send(new ListTopicsCommand({}))).resolves.toBeDefined();
    await expect(c.dynamo.send(new ListTablesCommand({}))).resolves.toHaveProperty("TableNames");
    const bucket = await createTestBucket(c.s3, "Clients-Test");
    await expect(c.s3.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
  });

  it("createTestBucket makes distinct, lower-case names within S3's length limit", async () => {
    const a = await createTestBucket(c.s3, `Prefix-${"x".repeat(80)}`);
    const b = await createTestBucket(c.s3);
    expect(a).not.toBe(b);
    expect(a).toBe(a.toLowerCase());
    expect(a.length).toBeLessThanOrEqual(63);
  });
});
