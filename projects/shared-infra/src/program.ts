/**
 * sec-an-shared-infra: what every other project builds on — the dead-letter store and SNS logging
 * role, the VPC with endpoints, Cognito users and the public API — each published to SSM under the
 * catalogue names of `@sec-an/contracts`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Params, resourcePrefix } from "@sec-an/contracts";
import { AlarmTopic, SsmExports, notificationsTopicName } from "@sec-an/components";
import { PublicApi } from "./api";
import { parseConfig, type SharedInfraConfig } from "./config";
import { DeadLetterStore, SnsLoggingRole } from "./deadLetters";
import { ErrorChannel } from "./errors";
import { Network } from "./network";
import { scansFunction } from "./scans/function";
import { UserDirectory } from "./users";

export function program(config: SharedInfraConfig) {
  const d = config.deployment;
  const prefix = resourcePrefix(d);
  const tags = { app: d.app, stage: d.stage, project: "shared-infra" };

  const deadLetters = new DeadLetterStore(`${prefix}-dead-letters`, {
    expiryDays: config.deadLetterExpiryDays,
    tags,
  });
  // Every alarm of every project notifies this topic (components derive its ARN from its name).
  const notifications = new AlarmTopic(`${prefix}-notifications`, {
    topicName: notificationsTopicName(d),
    emails: config.notificationEmails,
    httpsEndpoints: config.notificationHttpsEndpoints,
    publishers: ["alarms", "eventRules"],
    tags,
  });
  const snsLogging = new SnsLoggingRole(`${prefix}-sns-logging`, { roleName: `${prefix}-sns-logging`, tags });
  const network = new Network(`${prefix}-vpc`, {
    cidrBlock: config.vpcCidr,
    azCount: config.azCount,
    natStrategy: config.natStrategy,
    interfaceEndpoints: config.interfaceEndpoints,
    // The Redis bridge reads its AUTH token from Secrets Manager, from the private subnets.
    extraInterfaceEndpoints: config.redis?.authSecretArn ? ["secretsmanager"] : [],
    flowLogTraffic: config.flowLogTraffic,
    flowLogRetentionDays: config.flowLogRetentionDays,
    tags,
  });
  const errors = new ErrorChannel(`${prefix}-errors`, {
    deployment: d,
    redis: config.redis,
    vpcId: network.vpcId,
    vpcCidr: config.vpcCidr,
    subnetIds: network.privateSubnetIds,
    endpointSecurityGroupId: network.endpointSecurityGroup.id,
    deadLetterBucketArn: deadLetters.arn,
    tags,
  });
  const users = new UserDirectory(`${prefix}-users`, {
    prefix,
    mfa: config.mfa,
    domainPrefix: config.cognitoDomainPrefix,
    callbackUrls: config.dashboardsCallbackUrls,
    deletionProtection: config.protectUserPool,
    tags,
  });
  const scans = scansFunction(`${prefix}-scans`, {
    deployment: d,
    allowList: config.scanAllowList,
    scanners: config.onDemandScanners,
    tags,
  });
  const api = new PublicApi(`${prefix}-api`, {
    prefix,
    userPoolArn: users.userPool.arn,
    stageName: config.apiStageName,
    accessLogs: config.apiAccessLogs,
    manageAccountLogRole: config.manageApiGatewayAccount,
    logRetentionDays: config.apiLogRetentionDays,
    routes: [{ path: "scans", method: "POST", fn: scans }],
    tags,
  });

  // One console view of everything this deployment runs, across all projects (they share the tags).
  new aws.resourcegroups.Group(`${prefix}-resources`, {
    name: prefix,
    description: `All sec-an resources of app ${d.app}, stage ${d.stage}`,
    resourceQuery: {
      query: JSON.stringify({
        ResourceTypeFilters: ["AWS::AllSupported"],
        TagFilters: [
          { Key: "app", Values: [d.app] },
          { Key: "stage", Values: [d.stage] },
        ],
      }),
    },
    tags,
  });

  const instanceSubnets = config.usePrivateSubnets ? network.privateSubnetIds : network.publicSubnetIds;
  const exports = new SsmExports(`${prefix}-shared-infra-exports`, {
    deployment: d,
    tags,
    values: {
      deadLettersBucketName: { def: Params.deadLettersBucketName, value: deadLetters.name },
      deadLettersBucketArn: { def: Params.deadLettersBucketArn, value: deadLetters.arn },
      snsLoggingRoleArn: { def: Params.snsLoggingRoleArn, value: snsLogging.arn },
      notificationsTopicArn: { def: Params.notificationsTopicArn, value: notifications.arn },
      errorsTopicArn: { def: Params.errorsTopicArn, value: errors.arn },
      vpcId: { def: Params.vpcId, value: network.vpcId },
      vpcCidrBlock: { def: Params.vpcCidrBlock, value: config.vpcCidr },
      vpcNumAzs: { def: Params.vpcNumAzs, value: String(config.azCount) },
      vpcUsingPrivateSubnets: { def: Params.vpcUsingPrivateSubnets, value: String(config.usePrivateSubnets) },
      vpcSubnetsInstance: { def: Params.vpcSubnetsInstance, value: instanceSubnets },
      vpcSubnetsPublic: { def: Params.vpcSubnetsPublic, value: network.publicSubnetIds },
      vpcSubnetsPrivate: { def: Params.vpcSubnetsPrivate, value: network.privateSubnetIds },
      vpcEndpointsSecurityGroupId: {
        def: Params.vpcEndpointsSecurityGroupId,
        value: network.endpointSecurityGroup.id,
      },
      cognitoUserPool: { def: Params.cognitoUserPool, value: users.userPool.id },
      cognitoUserPoolArn: { def: Params.cognitoUserPoolArn, value: users.userPool.arn },
      cognitoIdentityPool: { def: Params.cognitoIdentityPool, value: users.identityPool.id },
      cognitoUserPoolDomain: { def: Params.cognitoUserPoolDomain, value: users.domain.domain },
      usersRoleName: { def: Params.usersRoleName, value: users.userRole.name },
      usersRoleArn: { def: Params.usersRoleArn, value: users.userRole.arn },
      apiPublicId: { def: Params.apiPublicId, value: api.api.id },
      apiPublicRoot: { def: Params.apiPublicRoot, value: api.api.rootResourceId },
      apiPublicAuthorizer: { def: Params.apiPublicAuthorizer, value: api.authorizer.id },
      apiPublicUrl: { def: Params.apiPublicUrl, value: api.stage.invokeUrl },
      cognitoCliClientId: { def: Params.cognitoCliClientId, value: users.cliClient.id },
    },
  });

  return {
    ...exports.values,
    dashboardsClientId: users.client.id,
    apiHealthUrl: pulumi.interpolate`${api.stage.invokeUrl}/health`,
    apiScansUrl: pulumi.interpolate`${api.stage.invokeUrl}/scans`,
  };
}

/** The stack's entry (index.ts, the local run and the all-in-one stack): validated config → program. */
export function runFromConfig(stack: string = pulumi.getStack()) {
  return program(parseConfig(new pulumi.Config("sec-an-shared-infra"), stack));
}
