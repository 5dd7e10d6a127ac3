import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { restoreEnvAfterEach } from "@sec-an/testing";
import { dynamoDocClient, resetClients, s3Client, s3NeedsPathStyle, setClients, sqsClient } from "../src";

restoreEnvAfterEach();
afterEach(() => resetClients());

describe("AWS clients", () => {
  it("are created once, lazily, and replaced by injected ones", () => {
    const a = sqsClient();
    expect(sqsClient()).toBe(a);
    const mine = new S3Client({ region: "us-east-1" });
    setClients({ s3: mine });
    expect(s3Client()).toBe(mine);
    resetClients();
    expect(s3Client()).not.toBe(mine);
    expect(sqsClient()).not.toBe(a);
  });

  it("use path-style S3 addressing only behind an endpoint override", async () => {
    expect(s3NeedsPathStyle({})).toBe(false);
    expect(s3NeedsPathStyle({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566" })).toBe(true);
    expect(s3NeedsPathStyle({ AWS_ENDPOINT_URL_S3: "http://127.0.0.1:4566" })).toBe(true);
    delete process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL_S3 = "http://127.0.0.1:4566";
    expect(s3Client().config.forcePathStyle).toBe(true);
    resetClients();
    delete process.env.AWS_ENDPOINT_URL_S3;
    expect(s3Client().config.forcePathStyle).toBeFalsy();
  });

  it("rebuild the document client over a newly injected DynamoDB client", async () => {
    const first = dynamoDocClient();
    const ddb = new DynamoDBClient({ region: "eu-west-9" });
    setClients({ dynamo: ddb });
    const doc = dynamoDocClient();
    expect(doc).not.toBe(first);
    expect(await doc.config.region()).toBe("eu-west-9");
  });
});
