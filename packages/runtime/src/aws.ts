import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * Module-level AWS SDK v3 clients, created on first use so a cold start pays only for the clients a
 * handler touches: each SDK package is required inside its factory, so a handler never even loads
 * the others (loading all seven costs about three times as much as loading one). Endpoints come from the SDK's own `AWS_ENDPOINT_URL[_<SERVICE>]` support; tests and
 * the local runner inject their own clients with `setClients`.
 */
export interface AwsClients {
  sqs: SQSClient;
  sns: SNSClient;
  s3: S3Client;
  ssm: SSMClient;
  dynamo: DynamoDBClient;
  dynamoDoc: DynamoDBDocumentClient;
  ecs: ECSClient;
}

let injected: Partial<AwsClients> = {};
let created: Partial<AwsClients> = {};

/** S3 needs path-style addressing behind an endpoint override: loopback has no wildcard DNS for bucket hosts. */
export function s3NeedsPathStyle(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
}

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading, see above */
const factories: { [K in keyof AwsClients]: () => AwsClients[K] } = {
  sqs: () => new (require("@aws-sdk/client-sqs") as typeof import("@aws-sdk/client-sqs")).SQSClient({}),
  sns: () => new (require("@aws-sdk/client-sns") as typeof import("@aws-sdk/client-sns")).SNSClient({}),
  s3: () =>
    new (require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3")).S3Client(
      s3NeedsPathStyle() ? { forcePathStyle: true } : {},
    ),
  ssm: () => new (require("@aws-sdk/client-ssm") as typeof import("@aws-sdk/client-ssm")).SSMClient({}),
  dynamo: () =>
    new (require("@aws-sdk/client-dynamodb") as typeof import("@aws-sdk/client-dynamodb")).DynamoDBClient({}),
  // Built over whichever DynamoDB client is in use, so injecting `dynamo` also redirects `dynamoDoc`.
  dynamoDoc: () =>
    (require("@aws-sdk/lib-dynamodb") as typeof import("@aws-sdk/lib-dynamodb")).DynamoDBDocumentClient.from(
      client("dynamo"),
      {
        marshallOptions: { removeUndefinedValues: true },
      },
    ),
  ecs: () => new (require("@aws-sdk/client-ecs") as typeof import("@aws-sdk/client-ecs")).ECSClient({}),
};
/* eslint-enable @typescript-eslint/no-require-imports */

function client<K extends keyof AwsClients>(kind: K): AwsClients[K] {
  const own = injected[kind];
  if (own) return own as AwsClients[K];
  let c = created[kind];
  if (!c) {
    c = factories[kind]();
    created[kind] = c;
  }
  return c as AwsClients[K];
}

export const sqsClient = (): SQSClient => client("sqs");
export const snsClient = (): SNSClient => client("sns");
export const s3Client = (): S3Client => client("s3");
export const ssmClient = (): SSMClient => client("ssm");
export const dynamoClient = (): DynamoDBClient => client("dynamo");
export const dynamoDocClient = (): DynamoDBDocumentClient => client("dynamoDoc");
export const ecsClient = (): ECSClient => client("ecs");

/** Use these clients instead of the default ones (tests, local runs). Merges with earlier injections. */
export function setClients(clients: Partial<AwsClients>): void {
  injected = { ...injected, ...clients };
  // A document client built over an earlier DynamoDB client must not outlive it.
  if (clients.dynamo && !clients.dynamoDoc) delete created.dynamoDoc;
}

/** Drop injected and cached clients; the next call creates fresh defaults from the environment. */
export function resetClients(): void {
  injected = {};
  created = {};
}
