import { startEmulators } from "./emulators.mjs";

// Workers are forked after this runs, so the env vars below reach every test file.
export default async function globalSetup() {
  const emulators = await startEmulators();
  globalThis.__SEC_AN_EMULATORS__ = emulators;
  process.env.SEC_AN_TEST_AWS_ENDPOINT = emulators.awsEndpoint;
  process.env.SEC_AN_TEST_DYNAMO_ENDPOINT = emulators.dynamoEndpoint;
  process.env.AWS_REGION = process.env.AWS_REGION || "us-east-1";
  process.env.AWS_ACCESS_KEY_ID = "test";
  process.env.AWS_SECRET_ACCESS_KEY = "test";
  // Keep the SDK from reading a developer's profile or IMDS during tests.
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  delete process.env.AWS_PROFILE;
}
