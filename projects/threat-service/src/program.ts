/**
 * sec-an-threat-service: an IBM Security SOAR custom threat service over the platform's own data.
 *
 * Routes `/cts/{name}` (OPTIONS, POST) and `/cts/{name}/{id}` (GET) are added to the shared public REST
 * API, found through SSM like every cross-project link, behind this project's Lambda REQUEST authorizer
 * (SOAR's basic auth against a Secrets Manager secret, or a platform user's Cognito token issued to
 * one of the configured app clients, by default the one this project creates). The API
 * function answers from two DynamoDB tables and queues new searches; the search worker runs the
 * searchers over the snapshot indices and the DNS tables, asks for scans of owned addresses, and stores
 * the hits with a TTL.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  CtsEnv,
  CtsTables,
  Params,
  resourcePrefix,
  searchReaderRoleName,
  type Deployment,
} from "@sec-an/contracts";
import {
  LambdaFunction,
  publicClientArgs,
  ServiceQueue,
  readStackConfig,
  ssmParam,
  ssmReadStatement,
  type PolicyStatement,
} from "@sec-an/components";
import { INDEX } from "./searchers/facts";
import { configSchema, type Config } from "./stack-config";

const handlerEntry = (name: string) => join(__dirname, "handlers", `${name}.ts`);

/** The service's two tables: keyed by search id, expiring by `ExpiresAt`, encrypted, recoverable. */
function table(name: string, physical: string, tags: Record<string, string>) {
  return new aws.dynamodb.Table(name, {
    name: physical,
    billingMode: "PAY_PER_REQUEST",
    hashKey: CtsTables.id,
    attributes: [{ name: CtsTables.id, type: "S" }],
    ttl: { attributeName: CtsTables.expiresAt, enabled: true },
    serverSideEncryption: { enabled: true },
    pointInTimeRecovery: { enabled: true },
    tags,
  });
}

const tableStatement = (sid: string, actions: string[], arns: pulumi.Input<string>[]): PolicyStatement => ({
  Sid: sid,
  Action: actions.map((a) => `dynamodb:${a}`),
  Resource: arns,
});

export function program(config: Config) {
  const d: Deployment = config.deployment;
  const prefix = `${resourcePrefix(d)}-cts`;
  const tags = { app: d.app, stage: d.stage, project: "threat-service" };
  const active = table(`${prefix}-active`, `${resourcePrefix(d)}-${CtsTables.activeSearches}`, tags);
  const results = table(`${prefix}-results`, `${resourcePrefix(d)}-${CtsTables.results}`, tags);
  const tableEnv = {
    [CtsEnv.activeTable]: active.name,
    [CtsEnv.resultsTable]: results.name,
    [CtsEnv.serviceName]: config.serviceName,
  };

  // Search jobs, and the worker's own re-looks while a scan runs; failures end in the DLQ with a reason.
  const searches = new ServiceQueue(`${prefix}-searches`, {
    deployment: d,
    consumerTimeout: config.searchTimeout,
    tags,
  });
  const sendJob: PolicyStatement = {
    Sid: "QueueSearches",
    Action: "sqs:SendMessage",
    Resource: searches.arn,
  };

  const api = new LambdaFunction(`${prefix}-api`, {
    entry: handlerEntry("api"),
    description: "SOAR custom threat service: OPTIONS/POST/GET /cts/{name}",
    deployment: d,
    timeout: 10,
    environment: { ...tableEnv, [CtsEnv.searchQueueUrl]: searches.url },
    statements: [
      tableStatement("ReadResults", ["GetItem"], [results.arn]),
      tableStatement("ClaimSearches", ["GetItem", "PutItem", "DeleteItem"], [active.arn]),
      sendJob,
    ],
    tags,
  });

  const dnsArns = [ssmParam(d, Params.resolvedHostsTableArn), ssmParam(d, Params.resolvedAddressesTableArn)];
  // The search domain is VPC-only, so the worker runs in the private subnets; it reaches DynamoDB, SQS,
  // SNS and SSM through the VPC's endpoints. No inbound traffic: the worker is only ever invoked. Its
  // own group says where it may connect; analytics-platform's readers group is what the domain admits.
  const workerSg = new aws.ec2.SecurityGroup(`${prefix}-search-sg`, {
    vpcId: ssmParam(d, Params.vpcId),
    description: "threat-service search worker: HTTPS out only (the search domain, AWS APIs via endpoints)",
    ingress: [],
    egress: [
      { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS" },
    ],
    tags: { ...tags, Name: `${prefix}-search` },
  });
  const esArn = ssmParam(d, Params.esEndpointArn);
  const worker = new LambdaFunction(`${prefix}-search`, {
    entry: handlerEntry("search"),
    description: "SOAR custom threat service: runs searches over the platform's data",
    deployment: d,
    timeout: config.searchTimeout,
    memorySize: config.searchMemory,
    // The name analytics-platform maps to its read-only FGAC role and admits in the domain policy.
    roleName: searchReaderRoleName(d),
    vpcConfig: {
      subnetIds: ssmParam(d, Params.vpcSubnetsPrivate).apply((v) => v.split(",").filter(Boolean)),
      securityGroupIds: [workerSg.id, ssmParam(d, Params.esReaderSecurityGroupId)],
    },
    environment: {
      ...tableEnv,
      ...searches.consumerEnvironment,
      [CtsEnv.searchQueueUrl]: searches.url,
      [CtsEnv.hitTtlSecs]: String(config.hitTtlSecs),
      [CtsEnv.scanMaxAgeSecs]: String(config.scanMaxAgeSecs),
      [CtsEnv.recheckSecs]: String(config.recheckSecs),
    },
    statements: [
      // A look reads, updates and ends its active search, and stores the answer; it never reads results.
      tableStatement("SearchState", ["GetItem", "UpdateItem", "DeleteItem"], [active.arn]),
      tableStatement("StoreResults", ["PutItem"], [results.arn]),
      tableStatement("ReadDnsInventory", ["Query"], dnsArns),
      { Sid: "RequestScans", Action: "sns:Publish", Resource: ssmParam(d, Params.scanInitiatorTopicArn) },
      // Its one call, `POST /<read alias>/_search`, on the snapshot aliases the searchers read (the
      // domain policy admits the same call).
      {
        Sid: "SearchSnapshots",
        Action: "es:ESHttpPost",
        Resource: Object.values(INDEX).map((alias) => pulumi.interpolate`${esArn}/${alias}/_search`),
      },
      sendJob,
      searches.deadLetterStatement(),
      ssmReadStatement(d, [
        Params.esEndpointUrl,
        Params.resolvedHostsTableId,
        Params.resolvedAddressesTableId,
        Params.scanInitiatorTopicArn,
      ]),
    ],
    tags,
  });
  searches.eventSource(worker, { batchSize: 10, maximumBatchingWindowInSeconds: 1 });

  // SOAR's basic-auth user and password, as JSON {"username","password"}: set with put-secret-value
  // after the first deploy, so the password is never in stack state, config or an environment variable.
  const secret = new aws.secretsmanager.Secret(`${prefix}-basic-auth`, {
    name: `${resourcePrefix(d)}/threat-service/basic-auth`,
    description: "Basic-auth credentials SOAR uses for the custom threat service",
    recoveryWindowInDays: 7,
    tags,
  });
  // Platform users call the CTS with a token of this client (or of the configured ones), never of
  // whichever client of the pool happens to have signed them in.
  const client = config.cognitoClientIds.length
    ? undefined
    : new aws.cognito.UserPoolClient(
        `${prefix}-client`,
        publicClientArgs({
          name: `${prefix}-client`,
          userPoolId: ssmParam(d, Params.cognitoUserPool),
          signIn: "srp",
          refreshTokenHours: 1,
        }),
      );
  const clientIds = client ? client.id : config.cognitoClientIds.join(",");
  const authorizerFn = new LambdaFunction(`${prefix}-authorizer`, {
    entry: handlerEntry("authorizer"),
    description: "SOAR custom threat service: basic auth (Secrets Manager) or a Cognito token",
    deployment: d,
    timeout: 10,
    environment: { [CtsEnv.authSecretId]: secret.arn, [CtsEnv.cognitoClientIds]: clientIds },
    statements: [
      { Sid: "ReadBasicAuthSecret", Action: "secretsmanager:GetSecretValue", Resource: secret.arn },
      ssmReadStatement(d, [Params.cognitoUserPool]),
    ],
    tags,
  });

  const routes = new CtsRoutes(`${prefix}-routes`, {
    restApiId: ssmParam(d, Params.apiPublicId),
    rootResourceId: ssmParam(d, Params.apiPublicRoot),
    apiFunction: api,
    authorizerFunction: authorizerFn,
    prefix,
    stageName: config.apiStageName,
    serviceName: config.serviceName,
    tags,
  });

  return {
    ctsUrl: routes.serviceUrl,
    activeSearchesTable: active.name,
    resultsTable: results.name,
    searchQueueUrl: searches.url,
    basicAuthSecretArn: secret.arn,
    cognitoClientIds: pulumi.output(clientIds),
  };
}

export interface CtsRoutesArgs {
  readonly restApiId: pulumi.Input<string>;
  readonly rootResourceId: pulumi.Input<string>;
  readonly apiFunction: LambdaFunction;
  readonly authorizerFunction: LambdaFunction;
  readonly prefix: string;
  readonly stageName: string;
  readonly serviceName: string;
  readonly tags: Record<string, string>;
}

/** The methods this project adds, as data: the deployment's trigger hashes exactly this. */
export const CTS_METHODS = [
  { path: "/cts/{name}", method: "OPTIONS" },
  { path: "/cts/{name}", method: "POST" },
  { path: "/cts/{name}/{id}", method: "GET" },
] as const;

/**
 * The CTS routes on the shared REST API, behind a Lambda REQUEST authorizer, with this project's own
 * deployment and stage.
 *
 * Why a stage of our own: a REST API serves only what a deployment (an immutable snapshot of the whole
 * API) holds, and each stage points at one deployment. shared-infra's stage points at shared-infra's
 * deployment, which is recreated only when shared-infra's own routes change; if this project re-pointed
 * that stage, shared-infra's next `pulumi up` would point it back and drop these routes. So this project
 * snapshots the API (its routes included) whenever its routes change, and serves that snapshot on its
 * own stage. No project ever changes another's stage, and shared-infra needs no edit for new routes.
 */
export class CtsRoutes extends pulumi.ComponentResource {
  public readonly stage: aws.apigateway.Stage;
  public readonly serviceUrl: pulumi.Output<string>;

  constructor(name: string, args: CtsRoutesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:threat-service:CtsRoutes", name, {}, opts);
    const parent = { parent: this };
    const restApi = args.restApiId;
    const region = aws.getRegionOutput({}, parent).region;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const apiArn = pulumi.interpolate`arn:aws:execute-api:${region}:${account}:${restApi}`;

    const authorizer = new aws.apigateway.Authorizer(
      `${name}-authorizer`,
      {
        restApi,
        name: `${args.prefix}-authorizer`,
        type: "REQUEST",
        authorizerUri: args.authorizerFunction.function.invokeArn,
        identitySource: "method.request.header.Authorization",
        // One secret read per caller per 5 minutes; the policy covers every /cts/ method, so polls reuse it.
        authorizerResultTtlInSeconds: 300,
      },
      parent,
    );
    args.authorizerFunction.allowInvoke("apigateway", {
      principal: "apigateway.amazonaws.com",
      sourceArn: pulumi.interpolate`${apiArn}/authorizers/${authorizer.id}`,
    });
    args.apiFunction.allowInvoke("apigateway", {
      principal: "apigateway.amazonaws.com",
      sourceArn: pulumi.interpolate`${apiArn}/*/*/cts/*`,
    });

    const cts = new aws.apigateway.Resource(
      `${name}-cts`,
      { restApi, parentId: args.rootResourceId, pathPart: "cts" },
      parent,
    );
    const service = new aws.apigateway.Resource(
      `${name}-service`,
      { restApi, parentId: cts.id, pathPart: "{name}" },
      parent,
    );
    const search = new aws.apigateway.Resource(
      `${name}-search`,
      { restApi, parentId: service.id, pathPart: "{id}" },
      parent,
    );
    const byPath = { "/cts/{name}": service, "/cts/{name}/{id}": search };
    const parts: pulumi.Resource[] = [];
    for (const m of CTS_METHODS) {
      const resource = byPath[m.path];
      const key = `${name}-${m.method.toLowerCase()}${m.path === "/cts/{name}/{id}" ? "-id" : ""}`;
      const method = new aws.apigateway.Method(
        key,
        {
          restApi,
          resourceId: resource.id,
          httpMethod: m.method,
          authorization: "CUSTOM",
          authorizerId: authorizer.id,
        },
        parent,
      );
      const integration = new aws.apigateway.Integration(
        `${key}-lambda`,
        {
          restApi,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          type: "AWS_PROXY",
          integrationHttpMethod: "POST",
          uri: args.apiFunction.function.invokeArn,
        },
        parent,
      );
      parts.push(method, integration);
    }

    // A new snapshot whenever the routes, their authorizer or their target change.
    const redeployment = pulumi
      .all([authorizer.id, args.apiFunction.function.invokeArn])
      .apply(([a, uri]) =>
        createHash("sha256").update(JSON.stringify({ CTS_METHODS, a, uri })).digest("hex"),
      );
    const deployment = new aws.apigateway.Deployment(
      `${name}-deployment`,
      { restApi, triggers: { redeployment }, description: "sec-an threat-service routes" },
      { parent: this, dependsOn: parts },
    );
    this.stage = new aws.apigateway.Stage(
      `${name}-stage`,
      {
        restApi,
        deployment: deployment.id,
        stageName: args.stageName,
        xrayTracingEnabled: true,
        tags: args.tags,
      },
      parent,
    );
    new aws.apigateway.MethodSettings(
      `${name}-throttle`,
      {
        restApi,
        stageName: this.stage.stageName,
        methodPath: "*/*",
        settings: { throttlingBurstLimit: 50, throttlingRateLimit: 20, metricsEnabled: true },
      },
      parent,
    );
    this.serviceUrl = pulumi.interpolate`${this.stage.invokeUrl}/cts/${args.serviceName}`;
    this.registerOutputs({ serviceUrl: this.serviceUrl });
  }
}

/** The program as `pulumi up` runs it: the stack config read and checked first. */
export function runFromConfig(stack: string = pulumi.getStack()) {
  return program(
    readStackConfig(new pulumi.Config("sec-an-threat-service"), "sec-an-threat-service", configSchema, stack),
  );
}
