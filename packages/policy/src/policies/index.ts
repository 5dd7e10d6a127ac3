import type { Policies } from "@pulumi/policy";
import { albListenerHttps, albPublicAuthenticated, domainReachLimited, ec2InstanceHardened } from "./alb";
import { cloudwatchDlqAlarmed } from "./cloudwatch";
import { cognitoNoUnauthenticated } from "./cognito";
import { dynamodbTableProtected } from "./dynamodb";
import { ecsClusterContainerInsights, ecsTaskDefinitionHardened } from "./ecs";
import { iamNoWildcardActionOnAnyResource } from "./iam";
import {
  lambdaLogGroupRetention,
  lambdaNoSecretEnv,
  lambdaRuntimeAllowed,
  lambdaTracingActive,
} from "./lambda";
import { opensearchDomainHardened } from "./opensearch";
import { s3BucketHardened } from "./s3";
import { noUnscopedPublicPrincipal, snsTopicEncrypted } from "./sns";
import {
  sqsEsmReportsBatchItemFailures,
  sqsOnePolicyPerQueue,
  sqsQueueEncrypted,
  sqsRedriveAndDlqRetention,
  sqsVisibilityVsLambdaTimeout,
} from "./sqs";

export type { Loose, Props } from "./util";
export * from "./alb";
export * from "./cloudwatch";
export * from "./cognito";
export * from "./dynamodb";
export * from "./ecs";
export * from "./iam";
export * from "./lambda";
export * from "./opensearch";
export * from "./s3";
export * from "./sns";
export * from "./sqs";

/** The mandatory sec-an rule set, in one list for the pack and for `checkResources`. */
export const secAnPolicies: Policies = [
  sqsQueueEncrypted,
  sqsRedriveAndDlqRetention,
  sqsVisibilityVsLambdaTimeout,
  sqsEsmReportsBatchItemFailures,
  sqsOnePolicyPerQueue,
  snsTopicEncrypted,
  noUnscopedPublicPrincipal,
  s3BucketHardened,
  lambdaRuntimeAllowed,
  lambdaTracingActive,
  lambdaNoSecretEnv,
  lambdaLogGroupRetention,
  ecsTaskDefinitionHardened,
  ecsClusterContainerInsights,
  opensearchDomainHardened,
  cognitoNoUnauthenticated,
  iamNoWildcardActionOnAnyResource,
  dynamodbTableProtected,
  cloudwatchDlqAlarmed,
  albListenerHttps,
  albPublicAuthenticated,
  domainReachLimited,
  ec2InstanceHardened,
];
