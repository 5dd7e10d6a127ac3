import type { Deployment, ProjectName } from "./projects";

/**
 * The SSM parameter catalogue. Every parameter a project publishes or reads is named here once, with
 * the same paths as the original platform (under `/${app}/${stage}`), so Pulumi programs (producers)
 * and Lambda handlers (late, run-time readers) can never disagree on a name.
 */
export interface ParamDef {
  /** Path below `/${app}/${stage}`, starting with `/`. */
  readonly path: string;
  /** The project that publishes it. */
  readonly producer: ProjectName;
  readonly type: "String" | "StringList";
  readonly description: string;
}

const p = (
  path: string,
  producer: ProjectName,
  description: string,
  type: ParamDef["type"] = "String",
): ParamDef => Object.freeze({ path, producer, type, description });

/** Fixed (non-task) parameters, grouped by producer. */
export const Params = {
  // shared-code (the glue and dead-letter recorder are components that bundle their handlers: no layers)
  layerUtilsArn: p(
    "/lambda/layers/utils/arn",
    "shared-code",
    "ARN of the shared runtime Lambda layer version",
  ),

  // shared-infra
  deadLettersBucketName: p("/s3/dead_letters/name", "shared-infra", "Dead-letter bucket name"),
  deadLettersBucketArn: p("/s3/dead_letters/arn", "shared-infra", "Dead-letter bucket ARN"),
  errorsTopicArn: p("/monitoring/errors/arn", "shared-infra", "Errors SNS topic ARN (platform error events)"),
  snsLoggingRoleArn: p(
    "/monitoring/sns_logging_role/arn",
    "shared-infra",
    "Role SNS uses for delivery-status logs",
  ),
  notificationsTopicArn: p(
    "/monitoring/notifications/arn",
    "shared-infra",
    "Platform notifications SNS topic ARN: every alarm's action; people subscribe by email or HTTPS",
  ),
  vpcId: p("/vpc/id", "shared-infra", "VPC id"),
  vpcCidrBlock: p("/vpc/cidr_block", "shared-infra", "VPC CIDR block"),
  vpcNumAzs: p("/vpc/num_azs", "shared-infra", "Number of availability zones the VPC spans"),
  vpcUsingPrivateSubnets: p(
    "/vpc/using_private_subnets",
    "shared-infra",
    '"true" when workloads run in private subnets',
  ),
  vpcSubnetsInstance: p("/vpc/subnets/instance", "shared-infra", "Subnets workloads run in", "StringList"),
  vpcSubnetsPublic: p("/vpc/subnets/public", "shared-infra", "Public subnets", "StringList"),
  vpcSubnetsPrivate: p("/vpc/subnets/private", "shared-infra", "Private subnets", "StringList"),
  vpcEndpointsSecurityGroupId: p(
    "/vpc/endpoints/security_group/id",
    "shared-infra",
    "Security group of the interface VPC endpoints",
  ),
  cognitoUserPool: p("/cognito/pool/user", "shared-infra", "Cognito user pool id"),
  cognitoUserPoolArn: p("/cognito/pool/user/arn", "shared-infra", "Cognito user pool ARN"),
  cognitoIdentityPool: p("/cognito/pool/identity", "shared-infra", "Cognito identity pool id"),
  cognitoUserPoolDomain: p("/cognito/pool/domain", "shared-infra", "Cognito hosted UI domain prefix"),
  usersRoleName: p(
    "/users/sec-an/name",
    "shared-infra",
    "IAM role authenticated Dashboards users assume (name)",
  ),
  usersRoleArn: p(
    "/users/sec-an/arn",
    "shared-infra",
    "IAM role authenticated Dashboards users assume (ARN)",
  ),
  apiPublicId: p("/api/public/id", "shared-infra", "Public REST API id"),
  apiPublicRoot: p("/api/public/root", "shared-infra", "Public REST API root resource id"),
  apiPublicAuthorizer: p("/api/public/authorizer", "shared-infra", "Public REST API Cognito authorizer id"),
  apiPublicUrl: p("/api/public/url", "shared-infra", "Public REST API invoke URL (with its stage)"),
  cognitoCliClientId: p(
    "/cognito/pool/client/cli",
    "shared-infra",
    "Cognito app client the sec-an CLI signs in with (user and password, no secret)",
  ),

  // analytics-platform
  ingestQueueArn: p(
    "/analytics/elastic/ingest_queue/arn",
    "analytics-platform",
    "Analytics ingest queue ARN",
  ),
  ingestQueueUrl: p("/analytics/elastic/ingest_queue/id", "analytics-platform", "Analytics ingest queue URL"),
  esEndpointUrl: p(
    "/analytics/elastic/es_endpoint/url",
    "analytics-platform",
    "OpenSearch domain endpoint (https URL)",
  ),
  esEndpointArn: p("/analytics/elastic/es_endpoint/arn", "analytics-platform", "OpenSearch domain ARN"),
  esAdminFunctionName: p(
    "/analytics/elastic/admin_function/name",
    "analytics-platform",
    "Lambda that manages indices and saved objects inside the VPC",
  ),
  dashboardsTunnelInstanceId: p(
    "/analytics/dashboards/tunnel_instance/id",
    "analytics-platform",
    "EC2 instance that forwards Session Manager port-forwarding sessions to the domain",
  ),
  esReaderSecurityGroupId: p(
    "/analytics/elastic/reader_security_group/id",
    "analytics-platform",
    "Security group admitted to the domain's HTTPS for other projects' read-only search functions",
  ),
  deadLetterVisId: p(
    "/analytics/kibana/dead_letter_vis/id",
    "analytics-platform",
    "Saved-object id of the Dead Letters visualisation",
  ),

  // task-execution
  ecsCluster: p("/ecs/cluster", "task-execution", "ECS cluster ARN"),
  scansPlannedTableId: p("/scheduler/dynamodb/scans_planned/id", "task-execution", "scan-plan table name"),
  scansPlannedTableArn: p("/scheduler/dynamodb/scans_planned/arn", "task-execution", "scan-plan table ARN"),
  scansPlannedPlanIndex: p(
    "/scheduler/dynamodb/scans_planned/plan_index",
    "task-execution",
    "scan-plan GSI name",
  ),
  resolvedHostsTableId: p(
    "/scheduler/dynamodb/resolved_hosts/id",
    "task-execution",
    "resolved-hosts table name",
  ),
  resolvedHostsTableArn: p(
    "/scheduler/dynamodb/resolved_hosts/arn",
    "task-execution",
    "resolved-hosts table ARN",
  ),
  resolvedAddressesTableId: p(
    "/scheduler/dynamodb/resolved_addresses/id",
    "task-execution",
    "resolved-addresses table name",
  ),
  resolvedAddressesTableArn: p(
    "/scheduler/dynamodb/resolved_addresses/arn",
    "task-execution",
    "resolved-addresses table ARN",
  ),
  addressInfoTableId: p("/scheduler/dynamodb/address_info/id", "task-execution", "address-info table name"),
  addressInfoTableArn: p("/scheduler/dynamodb/address_info/arn", "task-execution", "address-info table ARN"),
  route53RoleArn: p(
    "/scheduler/route53/role/arn",
    "task-execution",
    "Cross-account read-only Route53 role to assume",
  ),
  schedulerPeriod: p("/scheduler/config/period", "task-execution", "Scan period in seconds"),
  schedulerBuckets: p("/scheduler/config/buckets", "task-execution", "Number of scan buckets per period"),
  schedulerLogUnhandled: p(
    "/scheduler/config/log_unhandled",
    "task-execution",
    "Log record types the ingestor ignores",
  ),
  schedulerRateLimit: p(
    "/scheduler/config/rate_limit_slowdown",
    "task-execution",
    "Route53 requests per second the ingestor may make",
  ),
  scanDelayQueueUrl: p("/scheduler/scan_delay_queue", "task-execution", "Scan delay queue URL"),
  scanInitiatorTopicArn: p(
    "/scheduler/scan_initiator_topic/arn",
    "task-execution",
    "Scan-initiator SNS topic ARN",
  ),

  // nmap (cascade source)
  portsTopicArn: p("/glue/port_detector/sns_target", "nmap", "Port-detected SNS topic ARN (cascade events)"),
  nmapTargetsPerTask: p(
    "/nmap/targets_per_task",
    "nmap",
    "Targets one nmap Fargate task scans: the DNS ingest plans that many addresses as one batch",
  ),

  // config-scanner
  configAlertsTopicArn: p(
    "/config_scanner/alerts_topic/arn",
    "config-scanner",
    "Config-scanner alerts SNS topic ARN (transitions of security-group findings)",
  ),
  configStateTableName: p(
    "/config_scanner/dynamodb/state/id",
    "config-scanner",
    "Config-scanner findings-state table name",
  ),
} as const satisfies Record<string, ParamDef>;

export type ParamKey = keyof typeof Params;

/**
 * Per-task parameters (`/tasks/${task}/…`), derived from the task name alone. A task is published by
 * the project of the same name (a scanner project's folder is named after its task), so an error about
 * a missing parameter names the stack to deploy.
 */
export function taskParams(task: string) {
  if (!/^[a-z][a-z0-9_-]{0,30}$/.test(task)) throw new Error(`invalid task name ${JSON.stringify(task)}`);
  const t = (suffix: string, description: string, type: ParamDef["type"] = "String") =>
    p(`/tasks/${task}${suffix}`, task, `${task}: ${description}`, type);
  return {
    taskQueueArn: t("/task_queue/arn", "task queue ARN"),
    taskQueueUrl: t("/task_queue/url", "task queue URL"),
    resultsTopicArn: t("/results/arn", "results SNS topic ARN"),
    resultsBucketName: t("/s3/results/id", "raw results bucket name"),
    resultsBucketArn: t("/s3/results/arn", "raw results bucket ARN"),
    scanRoleArn: t("/queue_consumer/role/arn", "scan (queue consumer) Lambda role ARN"),
    parserRoleArn: t("/results/role/arn", "results parser Lambda role ARN"),
    securityGroupId: t("/security_group/id", "Fargate task security group id"),
    imageId: t("/image/id", "task definition family:revision"),
  } as const;
}
export type TaskParams = ReturnType<typeof taskParams>;

/** Full SSM name of a parameter for a deployment. */
export function paramName(d: Deployment, def: ParamDef): string {
  if (!/^[a-zA-Z0-9_.-]+$/.test(d.app) || !/^[a-zA-Z0-9_.-]+$/.test(d.stage)) {
    throw new Error(`invalid app/stage ${JSON.stringify(d)}`);
  }
  return `/${d.app}/${d.stage}${def.path}`;
}

/** Every fixed parameter, for catalogue checks and the deployment-order derivation. */
export function allParams(): ParamDef[] {
  return Object.values(Params);
}
