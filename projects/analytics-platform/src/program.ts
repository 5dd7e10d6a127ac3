/**
 * sec-an-analytics-platform: the OpenSearch domain (VPC-only) and everything that writes to it — the
 * ingest queue and its ingestor, the dead-letter reporter, and the admin Lambda that manages indices,
 * saved objects and access-control roles for every project (through ElasticIndex/KibanaSavedObject).
 */
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  DEAD_LETTER_OBJECT_SUFFIX,
  Params,
  resourcePrefix,
  searchReaderRoleName,
  type SecurityRoleSpec,
} from "@sec-an/contracts";
import {
  ElasticIndex,
  LambdaFunction,
  ServiceQueue,
  SsmExports,
  Views,
  ssmParam,
  ssmReadStatement,
} from "@sec-an/components";
import { discoverProjects, repoRoot } from "@sec-an/contracts/registry";
import {
  HTTP_METHODS,
  INGEST_INDEX_PATTERNS_ENV,
  adminHttpAccess,
  esHttpAction,
  platformRoles,
  roleHttpAccess,
  rolePermissions,
  type HttpMethod,
} from "./infra/access";
import { AnalyticsAlarms, lowStorageMiB } from "./infra/alarms";
import { dashboardsTunnel, domainClientTag, searchReadersGroup } from "./infra/dashboards-access";
import { publicDashboards } from "./infra/dashboards-public";
import { SearchDomain, type DomainAccess } from "./infra/domain";
import { MARKER_INDEX_BASE, MARKER_INDEX_MAPPINGS } from "./infra/marker-index";
import { DEAD_LETTER_INDEX } from "./reporter";
import { parseConfig, type AnalyticsConfig } from "./stack-config";
import { views } from "./views";

const handler = (file: string) => path.join(__dirname, "handlers", file);

/** Every method on every path: a configured master user (a person's break-glass role). */
const ALL_HTTP: DomainAccess["http"] = Object.fromEntries(HTTP_METHODS.map((m) => [m, ["/*"]]));
/** Dashboards users read and search everything FGAC lets them, and edit only their saved objects. */
const USER_HTTP: DomainAccess["http"] = {
  GET: ["/*"],
  HEAD: ["/*"],
  POST: ["/*"],
  PUT: ["/_dashboards/*"],
  DELETE: ["/_dashboards/*"],
};

/** The scanner tasks registered in the workspace: their indices are the ones the ingestor may write. */
export const registeredTasks = (): string[] =>
  discoverProjects(repoRoot(__dirname)).flatMap((p) => (p.task ? [p.task] : []));

export interface ProgramInputs {
  /** Tasks whose indices the ingest role covers (default: the registered ones). */
  scannerTasks?: readonly string[];
}

export function program(config: AnalyticsConfig, inputs: ProgramInputs = {}) {
  const d = config.deployment;
  const prefix = resourcePrefix(d);
  const tags = { app: d.app, stage: d.stage, project: "analytics-platform" };
  const domainName = `${prefix}-search`.slice(0, 28);
  const storageAlarmMiB = lowStorageMiB(config.volumeSize, config.lowStorageAlarmMiB);

  const account = aws.getCallerIdentityOutput({}).accountId;
  const region = aws.getRegionOutput({}).region;
  const partition = aws.getPartitionOutput({}).partition;
  const domainArn = pulumi.interpolate`arn:${partition}:es:${region}:${account}:domain/${domainName}`;
  const vpcId = ssmParam(d, Params.vpcId);
  const privateSubnets = ssmParam(d, Params.vpcSubnetsPrivate).apply((s) => s.split(",").filter(Boolean));
  const deadLettersBucketArn = ssmParam(d, Params.deadLettersBucketArn);
  const deadLettersBucketName = ssmParam(d, Params.deadLettersBucketName);

  // The domain is VPC-only, so everything that talks to it runs in the private subnets.
  const lambdaSg = new aws.ec2.SecurityGroup(`${prefix}-analytics-lambdas-sg`, {
    vpcId,
    description: "Analytics Lambdas: HTTPS out only (the domain, and AWS APIs via endpoints or NAT)",
    ingress: [],
    egress: [
      { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS" },
    ],
    tags: { ...tags, ...domainClientTag("analytics-lambdas") },
  });
  // Other projects' read-only search functions (the threat-service worker) join this group to reach the domain.
  const readersSg = searchReadersGroup(`${prefix}-search-readers-sg`, { vpcId, tags });
  // Their role has a fixed name, so it is mapped and admitted here whether or not it exists yet.
  const readerRoleArn = pulumi.interpolate`arn:${partition}:iam::${account}:role/${searchReaderRoleName(d)}`;
  // People reach Dashboards through Session Manager port forwarding via this host (`sec-an dashboards`).
  const tunnel = dashboardsTunnel(`${prefix}-dashboards-tunnel`, { vpcId, subnetIds: privateSubnets, tags });
  // Optional: a Cognito-authenticated public load balancer in front of a proxy host.
  const publicEntry = config.publicDashboards
    ? publicDashboards(`${prefix}-dashboards-public`, config.publicDashboards, {
        deployment: d,
        vpcId,
        privateSubnetIds: privateSubnets,
        tags,
      })
    : undefined;
  const vpcConfig = { subnetIds: privateSubnets, securityGroupIds: [lambdaSg.id] };
  // The Lambdas' own IAM grants mirror their access-policy entries: same methods, same paths.
  const esHttp = (sid: string, http: DomainAccess["http"]) =>
    (Object.entries(http) as [HttpMethod, string[]][]).map(([m, paths]) => ({
      Sid: `${sid}${esHttpAction(m).slice("es:ESHttp".length)}`,
      Action: esHttpAction(m),
      Resource: paths.map((p) => pulumi.interpolate`${domainArn}${p}`),
    }));
  const scannerTasks = inputs.scannerTasks ?? registeredTasks();
  const roleCalls = platformRoles(scannerTasks);
  const adminHttp = adminHttpAccess(scannerTasks);
  const ingestHttp = roleHttpAccess(roleCalls.sec_an_ingest);
  const reporterHttp = roleHttpAccess(roleCalls.sec_an_reporter);
  const readerHttp = roleHttpAccess(roleCalls.sec_an_search_reader);

  const ingestQueue = new ServiceQueue(`${prefix}-analytics-ingest`, {
    deployment: d,
    consumerTimeout: 60,
    maxReceiveCount: 5,
    tags,
  });
  // Results topics of every project of this deployment (`${prefix}-…`) may deliver; nothing else.
  new aws.sqs.QueuePolicy(
    `${prefix}-analytics-ingest-senders`,
    {
      queueUrl: ingestQueue.url,
      policy: pulumi.all([ingestQueue.arn, partition, region, account]).apply(([arn, part, reg, acct]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AllowDeploymentTopics",
              Effect: "Allow",
              Principal: { Service: "sns.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: arn,
              Condition: {
                ArnLike: { "aws:SourceArn": `arn:${part}:sns:${reg}:${acct}:${prefix}-*` },
                StringEquals: { "aws:SourceAccount": acct },
              },
            },
          ],
        }),
      ),
    },
    { parent: ingestQueue },
  );

  const admin = new LambdaFunction(`${prefix}-opensearch-admin`, {
    entry: handler("opensearch-admin.ts"),
    description:
      "Creates, migrates and deletes indices, saved objects and access roles in the VPC-only domain",
    timeout: 300,
    deployment: d,
    vpcConfig,
    // Its methods on the whole domain: the exact paths are in the domain access policy, and listing
    // them here too would outgrow IAM's 10 KB of inline policy per role as scanners are added.
    statements: [
      ...esHttp("AdministerDomain", Object.fromEntries(Object.keys(adminHttp).map((m) => [m, ["/*"]]))),
      ssmReadStatement(d, [Params.esEndpointUrl]),
    ],
    tags,
  });

  const ingestor = new LambdaFunction(`${prefix}-analytics-ingestor`, {
    entry: handler("ingestor.ts"),
    description: "Ingest queue → OpenSearch (one bulk request per batch)",
    timeout: 60,
    deployment: d,
    vpcConfig,
    // The DLQ URL and maxReceiveCount: rejected records, and those failing on their last attempt, go
    // to the DLQ with their reason.
    environment: {
      ...ingestQueue.consumerEnvironment,
      [INGEST_INDEX_PATTERNS_ENV]: roleCalls.sec_an_ingest.indexPatterns.join(","),
    },
    statements: [
      ...esHttp("WriteDocuments", ingestHttp),
      ingestQueue.deadLetterStatement("RejectToDlq"),
      ssmReadStatement(d, [Params.esEndpointUrl]),
    ],
    tags,
  });
  ingestQueue.eventSource(ingestor, {
    batchSize: config.ingestBatchSize,
    maximumBatchingWindowInSeconds: config.ingestBatchWindow,
  });

  // The reporter's own failures end here: a plain queue nobody consumes (AnalyticsAlarms watches it), never
  // the dead-letter bucket, so no failure can trigger the reporter again.
  const reporterFailed = new aws.sqs.Queue(`${prefix}-dead-letter-reporter-failed`, {
    name: `${prefix}-dead-letter-reporter-failed`,
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: 14 * 24 * 3600,
    // Marks it as a dead-letter queue where its ARN is not known yet (previews), so its alarm is checked.
    redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }),
    tags,
  });
  const reporter = new LambdaFunction(`${prefix}-dead-letter-reporter`, {
    entry: handler("dead-letter-reporter.ts"),
    description: "Dead-letter bucket → dead_letter_data in OpenSearch (directly, never via the ingest queue)",
    timeout: 60,
    deployment: d,
    vpcConfig,
    deadLetterTargetArn: reporterFailed.arn,
    statements: [
      {
        Sid: "ReadDeadLetters",
        Action: "s3:GetObject",
        Resource: pulumi.interpolate`${deadLettersBucketArn}/*`,
      },
      ...esHttp("WriteDeadLetters", reporterHttp),
      ssmReadStatement(d, [Params.esEndpointUrl]),
    ],
    tags,
  });
  new aws.lambda.FunctionEventInvokeConfig(
    `${prefix}-dead-letter-reporter-async`,
    { functionName: reporter.name, maximumRetryAttempts: 2, maximumEventAgeInSeconds: 6 * 3600 },
    { parent: reporter },
  );
  const s3Invoke = new aws.lambda.Permission(
    `${prefix}-dead-letter-reporter-s3`,
    {
      action: "lambda:InvokeFunction",
      function: reporter.name,
      principal: "s3.amazonaws.com",
      sourceArn: deadLettersBucketArn,
      sourceAccount: account,
    },
    { parent: reporter },
  );
  // analytics-platform owns the dead-letter bucket's notification configuration (S3 allows one per bucket).
  new aws.s3.BucketNotification(
    `${prefix}-dead-letter-notifications`,
    {
      bucket: deadLettersBucketName,
      lambdaFunctions: [
        {
          lambdaFunctionArn: reporter.arn,
          events: ["s3:ObjectCreated:*"],
          filterSuffix: DEAD_LETTER_OBJECT_SUFFIX,
        },
      ],
    },
    { dependsOn: [s3Invoke] },
  );
  const usersRoleArn = ssmParam(d, Params.usersRoleArn);
  const masterUserArn = config.masterUserArn ?? admin.role.arn;
  const search = new SearchDomain(`${prefix}-search`, {
    domainName,
    engineVersion: config.engineVersion,
    instanceType: config.instanceType,
    instanceCount: config.instanceCount,
    zoneCount: config.zoneCount,
    volumeSize: config.volumeSize,
    vpcId,
    subnetIds: privateSubnets,
    clientSecurityGroupIds: [
      lambdaSg.id,
      tunnel.securityGroup.id,
      readersSg.id,
      ...(publicEntry ? [publicEntry.entry.proxy.securityGroup.id] : []),
    ],
    masterUserArn,
    access: [
      { principal: admin.role.arn, http: adminHttp },
      { principal: ingestor.role.arn, http: ingestHttp },
      { principal: reporter.role.arn, http: reporterHttp },
      { principal: readerRoleArn, http: readerHttp },
      { principal: usersRoleArn, http: USER_HTTP },
      // A configured master user is a person's break-glass role: every method on every path.
      ...(config.masterUserArn ? [{ principal: config.masterUserArn, http: ALL_HTTP }] : []),
    ],
    cognito: {
      userPoolId: ssmParam(d, Params.cognitoUserPool),
      identityPoolId: ssmParam(d, Params.cognitoIdentityPool),
    },
    logRetentionDays: config.logRetentionDays,
    tags,
  });
  publicEntry?.setDomainHost(search.domain.endpoint);

  new AnalyticsAlarms(`${prefix}-analytics-alarms`, {
    deployment: d,
    domainName,
    accountId: account,
    instanceCount: config.instanceCount,
    lowStorageMiB: storageAlarmMiB,
    ingestLogGroupName: ingestor.logGroup.name,
    reporterFailedQueueName: reporterFailed.name,
    tags,
  });

  // Every function here reads the endpoint late from SSM; the admin invocations below run in this very
  // deploy, so the endpoint parameter is published first, on its own.
  const endpointExport = new SsmExports(`${prefix}-analytics-endpoint-exports`, {
    deployment: d,
    tags,
    values: { esEndpointUrl: { def: Params.esEndpointUrl, value: search.endpoint } },
  });
  const adminReady = [search, admin, endpointExport];

  // Fine-grained access control: each writer gets exactly the actions of its calls on its own indices
  // (see infra/access.ts); signed-in users read.
  const role = (
    name: string,
    permissions: SecurityRoleSpec["permissions"],
    backendRoles: pulumi.Input<string>[],
  ) =>
    new aws.lambda.Invocation(
      `${prefix}-fgac-${name.replace(/_/g, "-")}`,
      {
        functionName: admin.name,
        lifecycleScope: "CRUD",
        input: pulumi.all(backendRoles).apply((roles) =>
          JSON.stringify({
            kind: "security-role",
            name,
            ...(permissions ? { permissions } : {}),
            backendRoles: roles,
          } satisfies SecurityRoleSpec),
        ),
      },
      { dependsOn: adminReady },
    );
  const roles = [
    role("sec_an_ingest", rolePermissions(roleCalls.sec_an_ingest), [ingestor.role.arn]),
    role("sec_an_reporter", rolePermissions(roleCalls.sec_an_reporter), [reporter.role.arn]),
    role("sec_an_search_reader", rolePermissions(roleCalls.sec_an_search_reader), [readerRoleArn]),
    role("readall", undefined, [usersRoleArn]),
    role("opensearch_dashboards_user", undefined, [usersRoleArn]),
  ];

  // The dead letters' index and views, and the overview dashboard across every project (views/views.json).
  const platformViews = new Views(`${prefix}-platform-views`, {
    adminFunctionName: admin.name,
    indexes: views.indexes,
    savedObjects: views.savedObjects,
    after: [...adminReady, ...roles],
    // Created at the top level before the one views component: aliases keep them in place.
    formerParent: pulumi.rootStackResource,
    formerNames: {
      [`${prefix}-platform-views-dead-letter-data`]: `${prefix}-dead-letter-index`,
      [`${prefix}-platform-views-visualization-dead-letters`]: `${prefix}-dead-letters-vis`,
    },
  });
  const deadLetterIndex = platformViews.indexes[DEAD_LETTER_INDEX];
  const deadLettersView = platformViews.object("visualization", "dead-letters");
  // The ingestor's latest-scan markers (docs/ingest-consistency.md); without this index it falls back
  // to its weaker document-based late-replay guard.
  const markerIndex = new ElasticIndex(
    `${prefix}-ingest-marker-index`,
    {
      adminFunctionName: admin.name,
      base: MARKER_INDEX_BASE,
      mappings: MARKER_INDEX_MAPPINGS,
      collection: false,
      indexPattern: false,
    },
    { dependsOn: [...adminReady, ...roles] },
  );

  const ssmExports = new SsmExports(`${prefix}-analytics-exports`, {
    deployment: d,
    tags,
    values: {
      ingestQueueArn: { def: Params.ingestQueueArn, value: ingestQueue.arn },
      ingestQueueUrl: { def: Params.ingestQueueUrl, value: ingestQueue.url },
      esEndpointArn: { def: Params.esEndpointArn, value: search.arn },
      esAdminFunctionName: { def: Params.esAdminFunctionName, value: admin.name },
      deadLetterVisId: { def: Params.deadLetterVisId, value: deadLettersView.objectId },
      dashboardsTunnelInstanceId: { def: Params.dashboardsTunnelInstanceId, value: tunnel.instance.id },
      esReaderSecurityGroupId: { def: Params.esReaderSecurityGroupId, value: readersSg.id },
    },
  });

  return {
    domainEndpoint: search.endpoint,
    ...(publicEntry ? { publicDashboardsLoadBalancer: publicEntry.entry.loadBalancer.dnsName } : {}),
    domainArn: search.arn,
    ingestQueueUrl: ingestQueue.url,
    ingestorFunction: ingestor.name,
    adminFunction: admin.name,
    reporterFunction: reporter.name,
    deadLetterIndex: deadLetterIndex.indexName,
    markerIndex: markerIndex.indexName,
    deadLettersVisId: deadLettersView.objectId,
    parameters: { ...ssmExports.values, ...endpointExport.values },
  };
}

/** The program as index.ts runs it: stack config parsed and validated first (also used by the local run). */
export function runFromConfig(stack: string = pulumi.getStack()) {
  return program(parseConfig(new pulumi.Config("sec-an-analytics-platform"), stack));
}
