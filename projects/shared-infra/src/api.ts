import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { LambdaFunction } from "@sec-an/components";

/** A Lambda behind one method of one top-level path, signed in through the API's Cognito authorizer. */
export interface LambdaRoute {
  /** Top-level path part, e.g. `scans`. */
  readonly path: string;
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly fn: LambdaFunction;
}

export interface PublicApiArgs {
  prefix: string;
  userPoolArn: pulumi.Input<string>;
  stageName: string;
  /** Access logs need the region's API Gateway CloudWatch role (account setting); see `manageAccountLogRole`. */
  accessLogs: boolean;
  /** Set that account-wide role here (once per account and region; leave off if another stack owns it). */
  manageAccountLogRole: boolean;
  logRetentionDays: number;
  /** Cognito-protected Lambda routes (e.g. `POST /scans`). */
  routes?: readonly LambdaRoute[];
  tags: Record<string, string>;
}

/** One JSON line per request, the fields an investigation needs. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  user: "$context.authorizer.claims.sub",
  time: "$context.requestTime",
  method: "$context.httpMethod",
  path: "$context.resourcePath",
  status: "$context.status",
  latencyMs: "$context.responseLatency",
  userAgent: "$context.identity.userAgent",
});

const HEALTH_BODY = '{"status":"ok"}';

/**
 * The public REST API other projects attach their routes to, with a Cognito authorizer they reuse.
 * `GET /health` (a mock integration, no backend) gives the API a method so it can be deployed.
 */
export class PublicApi extends pulumi.ComponentResource {
  public readonly api: aws.apigateway.RestApi;
  public readonly authorizer: aws.apigateway.Authorizer;
  public readonly stage: aws.apigateway.Stage;

  constructor(name: string, args: PublicApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:shared:PublicApi", name, {}, opts);
    const parent = { parent: this };

    this.api = new aws.apigateway.RestApi(
      name,
      {
        name: `${args.prefix}-public`,
        description: "sec-an public API",
        endpointConfiguration: { types: "REGIONAL" },
        tags: args.tags,
      },
      parent,
    );
    const restApi = this.api.id;

    this.authorizer = new aws.apigateway.Authorizer(
      `${name}-cognito`,
      {
        restApi,
        name: `${args.prefix}-cognito`,
        type: "COGNITO_USER_POOLS",
        providerArns: [args.userPoolArn],
        identitySource: "method.request.header.Authorization",
      },
      parent,
    );

    const health = new aws.apigateway.Resource(
      `${name}-health`,
      { restApi, parentId: this.api.rootResourceId, pathPart: "health" },
      parent,
    );
    const method = new aws.apigateway.Method(
      `${name}-health-get`,
      { restApi, resourceId: health.id, httpMethod: "GET", authorization: "NONE" },
      parent,
    );
    const integration = new aws.apigateway.Integration(
      `${name}-health-mock`,
      {
        restApi,
        resourceId: health.id,
        httpMethod: method.httpMethod,
        type: "MOCK",
        requestTemplates: { "application/json": '{"statusCode": 200}' },
      },
      parent,
    );
    const methodResponse = new aws.apigateway.MethodResponse(
      `${name}-health-200`,
      {
        restApi,
        resourceId: health.id,
        httpMethod: method.httpMethod,
        statusCode: "200",
        responseModels: { "application/json": "Empty" },
      },
      parent,
    );
    const integrationResponse = new aws.apigateway.IntegrationResponse(
      `${name}-health-200-mock`,
      {
        restApi,
        resourceId: health.id,
        httpMethod: method.httpMethod,
        statusCode: "200",
        responseTemplates: { "application/json": HEALTH_BODY },
      },
      { parent: this, dependsOn: [integration, methodResponse] },
    );

    const routes = (args.routes ?? []).map((r) => this.lambdaRoute(name, r));

    // Redeploy whenever the routes defined here change (a deployment is an immutable snapshot).
    const redeployment = createHash("sha256")
      .update(
        JSON.stringify({
          health: "GET",
          mock: HEALTH_BODY,
          routes: (args.routes ?? []).map((r) => [r.method, r.path, r.fn.functionName]),
        }),
      )
      .digest("hex");
    const deployment = new aws.apigateway.Deployment(
      `${name}-deployment`,
      { restApi, triggers: { redeployment } },
      { parent: this, dependsOn: [method, integration, integrationResponse, ...routes.flat()] },
    );
    const account = args.manageAccountLogRole ? this.accountLogRole(name, args) : undefined;
    const accessLog = args.accessLogs
      ? new aws.cloudwatch.LogGroup(
          `${name}-access`,
          { name: `/sec-an/api/${name}/access`, retentionInDays: args.logRetentionDays, tags: args.tags },
          parent,
        )
      : undefined;
    this.stage = new aws.apigateway.Stage(
      `${name}-stage`,
      {
        restApi,
        deployment: deployment.id,
        stageName: args.stageName,
        xrayTracingEnabled: true,
        ...(accessLog
          ? { accessLogSettings: { destinationArn: accessLog.arn, format: ACCESS_LOG_FORMAT } }
          : {}),
        tags: args.tags,
      },
      { parent: this, dependsOn: account ? [account] : [] },
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

    this.registerOutputs({
      id: this.api.id,
      rootResourceId: this.api.rootResourceId,
      authorizerId: this.authorizer.id,
      invokeUrl: this.stage.invokeUrl,
    });
  }

  /** `METHOD /path` → the function (proxy integration), Cognito sign-in required; only this route may invoke it. */
  private lambdaRoute(name: string, route: LambdaRoute): aws.apigateway.Integration[] {
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(route.path))
      throw new Error(`invalid route path ${JSON.stringify(route.path)}`);
    const restApi = this.api.id;
    const key = `${name}-${route.path}-${route.method.toLowerCase()}`;
    const resource = new aws.apigateway.Resource(
      `${name}-${route.path}`,
      { restApi, parentId: this.api.rootResourceId, pathPart: route.path },
      { parent: this },
    );
    const method = new aws.apigateway.Method(
      key,
      {
        restApi,
        resourceId: resource.id,
        httpMethod: route.method,
        authorization: "COGNITO_USER_POOLS",
        authorizerId: this.authorizer.id,
      },
      { parent: this },
    );
    new aws.lambda.Permission(
      key,
      {
        action: "lambda:InvokeFunction",
        function: route.fn.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${this.api.executionArn}/*/${route.method}/${route.path}`,
      },
      { parent: this },
    );
    return [
      new aws.apigateway.Integration(
        `${key}-lambda`,
        {
          restApi,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          type: "AWS_PROXY",
          integrationHttpMethod: "POST",
          uri: route.fn.function.invokeArn,
        },
        { parent: this },
      ),
    ];
  }

  /** The regional account setting API Gateway uses to write logs, with AWS's managed policy for it. */
  private accountLogRole(name: string, args: PublicApiArgs): aws.apigateway.Account {
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const role = new aws.iam.Role(
      `${name}-cloudwatch`,
      {
        description: "Lets API Gateway write execution and access logs (regional account setting)",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "apigateway.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ],
        }),
        tags: args.tags,
      },
      { parent: this },
    );
    const attachment = new aws.iam.RolePolicyAttachment(
      `${name}-cloudwatch`,
      {
        role: role.name,
        policyArn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
      },
      { parent: this },
    );
    return new aws.apigateway.Account(
      `${name}-account`,
      { cloudwatchRoleArn: role.arn },
      { parent: this, dependsOn: [attachment] },
    );
  }
}
