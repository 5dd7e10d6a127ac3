import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { checkResources } from "@sec-an/policy";
import {
  MOCK_ACCOUNT,
  childrenOf,
  resourceNamed,
  resources,
  resourcesOfType,
  runProgram,
  setupPulumiMocks,
} from "@sec-an/testing";
import { allParams, paramName } from "@sec-an/contracts";
import { program } from "../src/program";
import { devConfig, runSharedInfra as run } from "./helpers";

const ssmValues = () =>
  Object.fromEntries(
    resourcesOfType("aws:ssm/parameter:Parameter").map((p) => [
      p.inputs.name,
      p.inputs.insecureValue ?? p.inputs.value,
    ]),
  );
const policyOf = (type: string, name: string) => JSON.parse(resourceNamed(type, name).inputs.policy);

describe("sec-an-shared-infra program (defaults)", () => {
  let out: Awaited<ReturnType<typeof run>>;
  // Generous: importing @pulumi/aws + awsx under ts-jest is slow on a loaded machine.
  beforeAll(async () => {
    out = await run();
  }, 180_000);

  test("publishes every shared-infra catalogue parameter, and only those", () => {
    const expected = allParams()
      .filter((d) => d.producer === "shared-infra")
      .map((d) => paramName({ app: "sec-an", stage: "dev" }, d));
    expect(Object.keys(ssmValues()).sort()).toEqual(expected.sort());
    const types = Object.fromEntries(
      resourcesOfType("aws:ssm/parameter:Parameter").map((p) => [p.inputs.name, p.inputs.type]),
    );
    expect(types["/sec-an/dev/vpc/subnets/private"]).toBe("StringList");
  });

  test("SSM values come from the resources", () => {
    const v = ssmValues();
    expect(v).toMatchObject({
      "/sec-an/dev/s3/dead_letters/name": "dev-sec-an-dead-letters",
      "/sec-an/dev/s3/dead_letters/arn": "arn:aws:s3:::dev-sec-an-dead-letters",
      "/sec-an/dev/monitoring/sns_logging_role/arn": `arn:aws:iam::${MOCK_ACCOUNT}:role/dev-sec-an-sns-logging`,
      "/sec-an/dev/vpc/id": "vpc-dev-sec-an-vpc",
      "/sec-an/dev/vpc/cidr_block": "10.0.0.0/16",
      "/sec-an/dev/vpc/num_azs": "2",
      "/sec-an/dev/vpc/using_private_subnets": "false",
      "/sec-an/dev/vpc/subnets/public": "subnet-dev-sec-an-vpc-public-0,subnet-dev-sec-an-vpc-public-1",
      "/sec-an/dev/vpc/subnets/private": "subnet-dev-sec-an-vpc-private-0,subnet-dev-sec-an-vpc-private-1",
      // no NAT: workloads run in the public subnets
      "/sec-an/dev/vpc/subnets/instance": "subnet-dev-sec-an-vpc-public-0,subnet-dev-sec-an-vpc-public-1",
      "/sec-an/dev/vpc/endpoints/security_group/id": "dev-sec-an-vpc-endpoints-id",
      "/sec-an/dev/cognito/pool/domain": "sec-an-dev",
      "/sec-an/dev/users/sec-an/name": "dev-sec-an-sec_an_user",
      "/sec-an/dev/api/public/id": "dev-sec-an-api-api-id",
      "/sec-an/dev/api/public/root": "dev-sec-an-api-root",
      "/sec-an/dev/api/public/authorizer": "dev-sec-an-api-cognito-id",
    });
    expect(v["/sec-an/dev/cognito/pool/user"]).toBe(
      resourceNamed("aws:cognito/userPool:UserPool", "dev-sec-an-users-pool").id,
    );
    expect(out.apiHealthUrl).toBe(
      "https://dev-sec-an-api-stage.execute-api.us-east-1.amazonaws.com/v1/health",
    );
    expect(out.vpcId).toBe("vpc-dev-sec-an-vpc");
  });

  test("docs/architecture.md states the scanners' default subnets as the program deploys them", () => {
    const doc = readFileSync(join(__dirname, "../../../docs/architecture.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Where the scanners run"));
    const v = ssmValues();
    expect(v["/sec-an/dev/vpc/using_private_subnets"]).toBe("false");
    expect(v["/sec-an/dev/vpc/subnets/instance"]).toBe(v["/sec-an/dev/vpc/subnets/public"]);
    expect(section).toContain("**By default Fargate tasks run in the public subnets with a public IP**");
    expect(doc).not.toMatch(/Fargate tasks run in private subnets/);
  });

  test("zero policy violations over the whole program", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });

  test("dead-letter bucket: private, encrypted, TLS-only, versioned, expiring", () => {
    const bucket = "dev-sec-an-dead-letters";
    expect(resourceNamed("aws:s3/bucket:Bucket", bucket).inputs.forceDestroy).toBe(false);
    expect(
      resourceNamed("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${bucket}-pab`).inputs,
    ).toMatchObject({
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      resourceNamed("aws:s3/bucketOwnershipControls:BucketOwnershipControls", `${bucket}-ownership`).inputs
        .rule,
    ).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    expect(
      resourceNamed(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        `${bucket}-sse`,
      ).inputs.rules,
    ).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }]);
    expect(
      resourceNamed("aws:s3/bucketVersioning:BucketVersioning", `${bucket}-versioning`).inputs
        .versioningConfiguration,
    ).toEqual({ status: "Enabled" });
    const [rule] = resourceNamed(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      `${bucket}-lifecycle`,
    ).inputs.rules;
    expect(rule).toMatchObject({
      status: "Enabled",
      expiration: { days: 90 },
      noncurrentVersionExpiration: { noncurrentDays: 90 },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    });
    const policy = policyOf("aws:s3/bucketPolicy:BucketPolicy", `${bucket}-policy`);
    expect(policy.Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  test("SNS logging role: SNS of this account only, logs scoped to sns/<region>/<account>/*", () => {
    const role = resourceNamed("aws:iam/role:Role", "dev-sec-an-sns-logging");
    const trust = JSON.parse(role.inputs.assumeRolePolicy);
    expect(trust.Statement[0]).toMatchObject({
      Principal: { Service: "sns.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT } },
    });
    const [stmt] = policyOf("aws:iam/rolePolicy:RolePolicy", "dev-sec-an-sns-logging-logs").Statement;
    expect(stmt.Resource).toEqual([
      `arn:aws:logs:us-east-1:${MOCK_ACCOUNT}:log-group:sns/us-east-1/${MOCK_ACCOUNT}/*`,
      `arn:aws:logs:us-east-1:${MOCK_ACCOUNT}:log-group:sns/us-east-1/${MOCK_ACCOUNT}/*:log-stream:*`,
    ]);
  });

  test("VPC: awsx inputs, default SG locked, endpoints with private DNS behind a 443-from-VPC group", () => {
    expect(resourceNamed("awsx:ec2:Vpc", "dev-sec-an-vpc").inputs).toEqual({
      cidrBlock: "10.0.0.0/16",
      numberOfAvailabilityZones: 2,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      natGateways: { strategy: "None" },
      subnetStrategy: "Auto",
      subnetSpecs: [
        { type: "Public", cidrMask: 20 },
        { type: "Private", cidrMask: 19 },
      ],
      tags: { app: "sec-an", stage: "dev", project: "shared-infra" },
    });
    expect(
      resourceNamed("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "dev-sec-an-vpc-default").inputs,
    ).toMatchObject({ ingress: [], egress: [] });
    const sg = resourceNamed("aws:ec2/securityGroup:SecurityGroup", "dev-sec-an-vpc-endpoints").inputs;
    expect(sg.ingress).toEqual([
      {
        description: "HTTPS from the VPC",
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrBlocks: ["10.0.0.0/16"],
      },
    ]);
    expect(sg.egress).toEqual([]);

    const endpoints = resourcesOfType("aws:ec2/vpcEndpoint:VpcEndpoint");
    const byService = Object.fromEntries(
      endpoints.map((e) => [e.inputs.serviceName.replace("com.amazonaws.us-east-1.", ""), e.inputs]),
    );
    expect(Object.keys(byService).sort()).toEqual([
      "dynamodb",
      "ec2messages",
      "ecr.api",
      "ecr.dkr",
      "logs",
      "s3",
      "sns",
      "sqs",
      "ssm",
      "ssmmessages",
      "sts",
    ]);
    expect(byService.s3).toMatchObject({
      vpcEndpointType: "Gateway",
      routeTableIds: [
        "rtb-dev-sec-an-vpc-public-0",
        "rtb-dev-sec-an-vpc-public-1",
        "rtb-dev-sec-an-vpc-private-0",
        "rtb-dev-sec-an-vpc-private-1",
      ],
    });
    expect(byService.sqs).toMatchObject({
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      subnetIds: ["subnet-dev-sec-an-vpc-private-0", "subnet-dev-sec-an-vpc-private-1"],
      securityGroupIds: ["dev-sec-an-vpc-endpoints-id"],
    });
  });

  test("VPC flow logs (REJECT by default) to a retained log group through a role scoped to it", () => {
    const group = resourceNamed("aws:cloudwatch/logGroup:LogGroup", "dev-sec-an-vpc-flow-logs");
    expect(group.inputs).toMatchObject({ name: "/sec-an/vpc/dev-sec-an-vpc/flow-logs", retentionInDays: 90 });
    expect(resourceNamed("aws:ec2/flowLog:FlowLog", "dev-sec-an-vpc-flow-logs").inputs).toMatchObject({
      vpcId: "vpc-dev-sec-an-vpc",
      trafficType: "REJECT",
      logDestinationType: "cloud-watch-logs",
      logDestination: group.state.arn,
      iamRoleArn: resourceNamed("aws:iam/role:Role", "dev-sec-an-vpc-flow-logs").state.arn,
    });
    const trust = JSON.parse(
      resourceNamed("aws:iam/role:Role", "dev-sec-an-vpc-flow-logs").inputs.assumeRolePolicy,
    ).Statement[0];
    expect(trust).toMatchObject({
      Principal: { Service: "vpc-flow-logs.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT } },
    });
    const [stmt] = policyOf("aws:iam/rolePolicy:RolePolicy", "dev-sec-an-vpc-flow-logs").Statement;
    expect(stmt.Resource).toEqual([group.state.arn, `${group.state.arn}:log-stream:*`]);
  });

  test("a resource group gathers the deployment by its app/stage tags", () => {
    const g = resourceNamed("aws:resourcegroups/group:Group", "dev-sec-an-resources").inputs;
    expect(g.name).toBe("dev-sec-an");
    expect(JSON.parse(g.resourceQuery.query).TagFilters).toEqual([
      { Key: "app", Values: ["sec-an"] },
      { Key: "stage", Values: ["dev"] },
    ]);
  });

  test("Cognito: admin-created users, strong passwords, no unauthenticated identities, role bound to the pool", () => {
    const pool = resourceNamed("aws:cognito/userPool:UserPool", "dev-sec-an-users-pool").inputs;
    expect(pool).toMatchObject({
      adminCreateUserConfig: { allowAdminCreateUserOnly: true },
      passwordPolicy: {
        minimumLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireNumbers: true,
        requireSymbols: true,
      },
      mfaConfiguration: "OPTIONAL",
      softwareTokenMfaConfiguration: { enabled: true },
      deletionProtection: "ACTIVE",
    });
    const client = resourceNamed(
      "aws:cognito/userPoolClient:UserPoolClient",
      "dev-sec-an-users-dashboards",
    ).inputs;
    expect(client).toMatchObject({
      generateSecret: false,
      preventUserExistenceErrors: "ENABLED",
      explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    });
    expect(client.allowedOauthFlows).toBeUndefined();
    const ip = resourceNamed("aws:cognito/identityPool:IdentityPool", "dev-sec-an-users-identities");
    expect(ip.inputs).toMatchObject({ allowUnauthenticatedIdentities: false, allowClassicFlow: false });
    expect(ip.inputs.cognitoIdentityProviders[0]).toMatchObject({
      serverSideTokenCheck: true,
      providerName: expect.stringMatching(/^cognito-idp\.us-east-1\.amazonaws\.com\//),
    });
    const trust = JSON.parse(
      resourceNamed("aws:iam/role:Role", "dev-sec-an-users-user-role").inputs.assumeRolePolicy,
    ).Statement[0];
    expect(trust).toEqual({
      Effect: "Allow",
      Principal: { Federated: "cognito-identity.amazonaws.com" },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: { "cognito-identity.amazonaws.com:aud": ip.id },
        "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "authenticated" },
      },
    });
    expect(
      resourceNamed(
        "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
        "dev-sec-an-users-roles",
      ).inputs,
    ).toMatchObject({
      identityPoolId: ip.id,
      roles: { authenticated: `arn:aws:iam::${MOCK_ACCOUNT}:role/dev-sec-an-sec_an_user` },
    });
  });

  test("API: Cognito authorizer on the pool, mock /health, traced and throttled stage", () => {
    const pool = resourceNamed("aws:cognito/userPool:UserPool", "dev-sec-an-users-pool");
    expect(
      resourceNamed("aws:apigateway/authorizer:Authorizer", "dev-sec-an-api-cognito").inputs,
    ).toMatchObject({
      type: "COGNITO_USER_POOLS",
      providerArns: [pool.state.arn],
      identitySource: "method.request.header.Authorization",
    });
    expect(resourceNamed("aws:apigateway/resource:Resource", "dev-sec-an-api-health").inputs).toMatchObject({
      pathPart: "health",
      parentId: "dev-sec-an-api-root",
    });
    expect(
      resourceNamed("aws:apigateway/integration:Integration", "dev-sec-an-api-health-mock").inputs,
    ).toMatchObject({ type: "MOCK", httpMethod: "GET" });
    expect(resourceNamed("aws:apigateway/stage:Stage", "dev-sec-an-api-stage").inputs).toMatchObject({
      stageName: "v1",
      xrayTracingEnabled: true,
    });
    expect(
      resourceNamed("aws:apigateway/methodSettings:MethodSettings", "dev-sec-an-api-throttle").inputs
        .settings,
    ).toMatchObject({ throttlingBurstLimit: 50, throttlingRateLimit: 20 });
    // access logs are opt-in: they need the account-wide API Gateway logging role
    expect(
      resourceNamed("aws:apigateway/stage:Stage", "dev-sec-an-api-stage").inputs.accessLogSettings,
    ).toBeUndefined();
    expect(resourcesOfType("aws:apigateway/account:Account")).toEqual([]);
  });

  test("the CLI's Cognito client: password sign-in only, no secret, short-lived tokens, published for `sec-an scan`", () => {
    const cli = resourceNamed("aws:cognito/userPoolClient:UserPoolClient", "dev-sec-an-users-cli");
    expect(cli.inputs).toMatchObject({
      generateSecret: false,
      explicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      idTokenValidity: 60,
      refreshTokenValidity: 1,
    });
    expect(cli.inputs.allowedOauthFlows).toBeUndefined();
    expect(ssmValues()["/sec-an/dev/cognito/pool/client/cli"]).toBe(cli.id);
    expect(ssmValues()["/sec-an/dev/api/public/url"]).toBe(
      "https://dev-sec-an-api-stage.execute-api.us-east-1.amazonaws.com/v1",
    );
  });

  test("POST /scans: Cognito-authorized proxy to the scans function, invocable only by that route", () => {
    const resource = resourceNamed("aws:apigateway/resource:Resource", "dev-sec-an-api-scans");
    expect(resource.inputs).toMatchObject({ pathPart: "scans", parentId: "dev-sec-an-api-root" });
    expect(resourceNamed("aws:apigateway/method:Method", "dev-sec-an-api-scans-post").inputs).toMatchObject({
      resourceId: resource.id,
      httpMethod: "POST",
      authorization: "COGNITO_USER_POOLS",
      authorizerId: "dev-sec-an-api-cognito-id",
    });
    const fn = resourceNamed("aws:lambda/function:Function", "dev-sec-an-scans-function");
    expect(
      resourceNamed("aws:apigateway/integration:Integration", "dev-sec-an-api-scans-post-lambda").inputs,
    ).toMatchObject({ type: "AWS_PROXY", integrationHttpMethod: "POST", uri: fn.state.invokeArn });
    expect(
      resourceNamed("aws:lambda/permission:Permission", "dev-sec-an-api-scans-post").inputs,
    ).toMatchObject({
      principal: "apigateway.amazonaws.com",
      function: "dev-sec-an-scans",
      sourceArn: `arn:aws:execute-api:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-api-api-id/*/POST/scans`,
    });
    expect(fn.inputs.environment.variables).toMatchObject({
      SEC_AN_SCAN_ALLOW_LIST: "",
      SEC_AN_SCAN_SCANNERS: "nmap",
      SEC_AN_RESOLVED_ADDRESSES_TABLE: "dev-sec-an-resolved-addresses",
      SEC_AN_RESOLVED_HOSTS_TABLE: "dev-sec-an-resolved-hosts",
      SEC_AN_SCAN_INITIATOR_TOPIC_ARN: `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:dev-sec-an-scan-initiator`,
    });
    const grants = policyOf("aws:iam/rolePolicy:RolePolicy", "dev-sec-an-scans-policy").Statement;
    const arn = (service: string, res: string) => `arn:aws:${service}:us-east-1:${MOCK_ACCOUNT}:${res}`;
    const own = ["LookUpOwnership", "PublishScanRequests"];
    expect(grants.filter((g: { Sid: string }) => own.includes(g.Sid))).toEqual([
      {
        Sid: "LookUpOwnership",
        Effect: "Allow",
        Action: "dynamodb:Query",
        Resource: [
          arn("dynamodb", "table/dev-sec-an-resolved-addresses"),
          arn("dynamodb", "table/dev-sec-an-resolved-hosts"),
        ],
      },
      {
        Sid: "PublishScanRequests",
        Effect: "Allow",
        Action: "sns:Publish",
        Resource: arn("sns", "dev-sec-an-scan-initiator"),
      },
    ]);
    // Nothing else beyond its own logs and traces (and grants every function gets).
    expect(grants.some((g: { Action: string | string[] }) => String(g.Action).includes("ssm:"))).toBe(false);
    // The deployment snapshot includes the route, so adding it redeploys the stage.
    expect(out.apiScansUrl).toBe("https://dev-sec-an-api-stage.execute-api.us-east-1.amazonaws.com/v1/scans");
  });

  test("every resource hangs under its component; only components (and the resource group) sit at the root", () => {
    expect(
      resources()
        .filter((r) => !r.parent)
        .map((r) => r.type)
        .sort(),
    ).toEqual(
      [
        "aws:resourcegroups/group:Group",
        "sec-an:core:LambdaFunction",
        "sec-an:core:AlarmTopic",
        "sec-an:core:SsmExports",
        "sec-an:shared:ErrorChannel",
        "sec-an:shared:DeadLetterStore",
        "sec-an:shared:Network",
        "sec-an:shared:PublicApi",
        "sec-an:shared:SnsLoggingRole",
        "sec-an:shared:UserDirectory",
      ].sort(),
    );
    const types = (type: string, name: string) =>
      childrenOf({ type, name })
        .map((r) => r.type)
        .sort();
    expect(types("sec-an:shared:DeadLetterStore", "dev-sec-an-dead-letters")).toEqual(
      [
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
      ].sort(),
    );
    expect(types("sec-an:shared:UserDirectory", "dev-sec-an-users")).toEqual(
      [
        "aws:cognito/identityPool:IdentityPool",
        "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
        "aws:cognito/userPool:UserPool",
        "aws:cognito/userPoolClient:UserPoolClient",
        "aws:cognito/userPoolClient:UserPoolClient",
        "aws:cognito/userPoolDomain:UserPoolDomain",
        "aws:iam/role:Role",
      ].sort(),
    );
    const network = types("sec-an:shared:Network", "dev-sec-an-vpc");
    expect(network.filter((t) => t === "aws:ec2/vpcEndpoint:VpcEndpoint")).toHaveLength(11);
    expect(network).toContain("awsx:ec2:Vpc");
  });

  test("component tree: exactly these component types", () => {
    const components = resources()
      .filter((r) => !r.custom)
      .map((r) => r.type);
    expect(components.sort()).toEqual(
      [
        "awsx:ec2:Vpc",
        "sec-an:core:LambdaFunction",
        "sec-an:core:AlarmTopic",
        "sec-an:core:SsmExports",
        "sec-an:core:Topic",
        "sec-an:shared:ErrorChannel",
        "sec-an:shared:DeadLetterStore",
        "sec-an:shared:Network",
        "sec-an:shared:PublicApi",
        "sec-an:shared:SnsLoggingRole",
        "sec-an:shared:UserDirectory",
      ].sort(),
    );
  });
});

describe("sec-an-shared-infra program (variants)", () => {
  test("OnePerAz NAT, private workloads, no interface endpoints, MFA on, OAuth callback", async () => {
    await run({
      natStrategy: "OnePerAz",
      azCount: "3",
      interfaceEndpoints: "false",
      flowLogTraffic: "NONE",
      apiAccessLogs: "true",
      manageApiGatewayAccount: "true",
      mfa: "ON",
      deadLetterExpiryDays: "30",
      dashboardsCallbackUrls: '["https://dash.example.com/_dashboards/app/home"]',
    });
    expect(resourceNamed("awsx:ec2:Vpc", "dev-sec-an-vpc").inputs).toMatchObject({
      natGateways: { strategy: "OnePerAz" },
      numberOfAvailabilityZones: 3,
    });
    const v = ssmValues();
    expect(v["/sec-an/dev/vpc/using_private_subnets"]).toBe("true");
    expect(v["/sec-an/dev/vpc/subnets/instance"]).toBe(v["/sec-an/dev/vpc/subnets/private"]);
    expect(resourcesOfType("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => e.inputs.vpcEndpointType)).toEqual([
      "Gateway",
      "Gateway",
    ]);
    expect(resourcesOfType("aws:ec2/flowLog:FlowLog")).toEqual([]);
    const accessLog = resourceNamed("aws:cloudwatch/logGroup:LogGroup", "dev-sec-an-api-access");
    expect(accessLog.inputs.retentionInDays).toBe(365);
    const stage = resourceNamed("aws:apigateway/stage:Stage", "dev-sec-an-api-stage").inputs;
    expect(stage.accessLogSettings.destinationArn).toBe(accessLog.state.arn);
    expect(Object.keys(JSON.parse(stage.accessLogSettings.format))).toEqual([
      "requestId",
      "ip",
      "user",
      "time",
      "method",
      "path",
      "status",
      "latencyMs",
      "userAgent",
    ]);
    const logRole = resourceNamed("aws:iam/role:Role", "dev-sec-an-api-cloudwatch");
    expect(JSON.parse(logRole.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({
      Service: "apigateway.amazonaws.com",
    });
    expect(
      resourceNamed("aws:apigateway/account:Account", "dev-sec-an-api-account").inputs.cloudwatchRoleArn,
    ).toBe(logRole.state.arn);
    expect(
      resourceNamed("aws:cognito/userPool:UserPool", "dev-sec-an-users-pool").inputs.mfaConfiguration,
    ).toBe("ON");
    expect(
      resourceNamed("aws:cognito/userPoolClient:UserPoolClient", "dev-sec-an-users-dashboards").inputs,
    ).toMatchObject({
      allowedOauthFlows: ["code"],
      allowedOauthFlowsUserPoolClient: true,
      callbackUrls: ["https://dash.example.com/_dashboards/app/home"],
    });
    const [rule] = resourceNamed(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "dev-sec-an-dead-letters-lifecycle",
    ).inputs.rules;
    expect(rule.expiration).toEqual({ days: 30 });
    expect(await checkResources(resources())).toEqual([]);
  }, 180_000);

  test("MFA off drops the TOTP configuration", async () => {
    await run({ mfa: "OFF" });
    const pool = resourceNamed("aws:cognito/userPool:UserPool", "dev-sec-an-users-pool").inputs;
    expect(pool.mfaConfiguration).toBe("OFF");
    expect(pool.softwareTokenMfaConfiguration).toBeUndefined();
  }, 180_000);
});

describe("the identity pool's providers", () => {
  test("are left to OpenSearch after creation: its Dashboards app client must survive our updates", async () => {
    setupPulumiMocks({ project: "sec-an-shared-infra", stack: "dev" });
    const ignored = new Map<string, string[] | undefined>();
    // Resource options are not recorded by the mocks: a stack transformation sees them as registered.
    await runProgram(() =>
      pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((a) => {
          ignored.set(`${a.type}::${a.name}`, a.opts.ignoreChanges);
          return undefined;
        });
        return program(devConfig());
      }),
    );
    expect(ignored.get("aws:cognito/identityPool:IdentityPool::dev-sec-an-users-identities")).toEqual([
      "cognitoIdentityProviders",
    ]);
  }, 180_000);
});
