import { Params, paramName } from "@sec-an/contracts";
import { setupPulumiMocks } from "@sec-an/testing";

const d = { app: "sec-an", stage: "dev" };

/** What shared-infra exports to SSM for the dev stack, as the analytics-platform program reads it at deploy. */
export const DEV_SSM: Readonly<Record<string, string>> = {
  [paramName(d, Params.vpcId)]: "vpc-123",
  [paramName(d, Params.vpcSubnetsPrivate)]: "subnet-a,subnet-b",
  [paramName(d, Params.deadLettersBucketArn)]: "arn:aws:s3:::dev-sec-an-dead-letters",
  [paramName(d, Params.deadLettersBucketName)]: "dev-sec-an-dead-letters",
  [paramName(d, Params.usersRoleArn)]: "arn:aws:iam::123456789012:role/dev-sec-an-users",
  [paramName(d, Params.cognitoUserPool)]: "eu-west-2_pool",
  [paramName(d, Params.cognitoIdentityPool)]: "eu-west-2:identity",
};

/** Fresh Pulumi mocks for the analytics-platform dev stack with the given stack config and SSM values. */
export const mockAnalyticsPlatform = (
  config: Record<string, unknown> = {},
  ssm: Record<string, string> = DEV_SSM,
) => setupPulumiMocks({ project: "sec-an-analytics-platform", stack: "dev", ssm, config });
