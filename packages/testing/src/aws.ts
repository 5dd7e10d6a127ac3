/**
 * Client settings for the emulators started by the jest global setup (see ../emulators.mjs).
 * Tests build real AWS SDK v3 clients with these and talk the real wire protocol to fauxqs/dynalite.
 */
export interface EmulatorEndpoints {
  /** fauxqs: SQS, SNS and S3 on one endpoint. */
  aws: string;
  /** dynalite: DynamoDB. */
  dynamo: string;
}

export function emulatorEndpoints(): EmulatorEndpoints {
  const aws = process.env.SEC_AN_TEST_AWS_ENDPOINT;
  const dynamo = process.env.SEC_AN_TEST_DYNAMO_ENDPOINT;
  if (!aws || !dynamo) throw new Error("emulators not started: run tests through the root jest config");
  return { aws, dynamo };
}

/** Config for SQS/SNS clients against fauxqs. */
export function awsClientConfig(endpoint = emulatorEndpoints().aws) {
  return {
    endpoint,
    region: process.env.AWS_REGION ?? "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
}

/** Config for the S3 client against fauxqs (path-style: no wildcard DNS on loopback). */
export function s3ClientConfig(endpoint = emulatorEndpoints().aws) {
  return { ...awsClientConfig(endpoint), forcePathStyle: true };
}

/** Config for DynamoDB clients against dynalite. */
export function dynamoClientConfig(endpoint = emulatorEndpoints().dynamo) {
  return awsClientConfig(endpoint);
}

let counter = 0;
/** A name unique within this test run, so tests sharing one emulator never see each other's resources. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`.slice(0, 80);
}
