import { checkResources } from "@sec-an/policy";
import { readStackConfig } from "@sec-an/components";
import { CtsEnv, CtsTables, paramName, Params } from "@sec-an/contracts";
import {
  MOCK_ACCOUNT,
  resourceNamed,
  resources,
  resetResources,
  resourcesOfType,
  runProgram,
  setupPulumiMocks,
} from "@sec-an/testing";
import { program } from "../src/program";
import { INDEX } from "../src/searchers/facts";
import { configSchema } from "../src/stack-config";

const d = { app: "sec-an", stage: "dev" };
const arn = (service: string, rest: string) => `arn:aws:${service}:us-east-1:${MOCK_ACCOUNT}:${rest}`;
/** What the other stacks export, as the mock answers the program's deploy-time SSM reads. */
const ssm = {
  [paramName(d, Params.deadLettersBucketArn)]: "arn:aws:s3:::dev-sec-an-dead-letters",
  [paramName(d, Params.apiPublicId)]: "api123",
  [paramName(d, Params.apiPublicRoot)]: "root456",
  [paramName(d, Params.resolvedHostsTableArn)]: arn("dynamodb", "table/dev-sec-an-resolved-hosts"),
  [paramName(d, Params.resolvedAddressesTableArn)]: arn("dynamodb", "table/dev-sec-an-resolved-addresses"),
  [paramName(d, Params.scanInitiatorTopicArn)]: arn("sns", "dev-sec-an-scan-initiator"),
  [paramName(d, Params.esEndpointArn)]: arn("es", "domain/dev-sec-an"),
  [paramName(d, Params.vpcId)]: "vpc-1",
  [paramName(d, Params.vpcSubnetsPrivate)]: "subnet-a,subnet-b",
  [paramName(d, Params.esReaderSecurityGroupId)]: "sg-readers",
  [paramName(d, Params.cognitoUserPool)]: "us-east-1_Pool1",
};
const statements = (policyName: string) =>
  JSON.parse(resourceNamed("aws:iam/rolePolicy:RolePolicy", policyName).inputs.policy).Statement as Array<{
    Sid?: string;
    Action: string | string[];
    Resource: string | string[];
  }>;
const bySid = (policyName: string) => Object.fromEntries(statements(policyName).map((s) => [s.Sid, s]));

describe("sec-an-threat-service program", () => {
  let out: Awaited<ReturnType<typeof runProgram<ReturnType<typeof program>>>>;
  beforeAll(async () => {
    setupPulumiMocks({ project: "sec-an-threat-service", stack: "dev", ssm });
    const values: Record<string, string> = { hitTtlSecs: "7200" };
    const config = readStackConfig({ get: (k) => values[k] }, "sec-an-threat-service", configSchema, "dev");
    out = await runProgram(() => program(config));
  }, 180_000);

  test("zero policy violations over the whole program", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });

  test("two tables keyed by search id, expiring by ExpiresAt, encrypted with point-in-time recovery", () => {
    const tables = resourcesOfType("aws:dynamodb/table:Table");
    expect(tables.map((t) => t.inputs.name).sort()).toEqual([
      "dev-sec-an-cts-active-searches",
      "dev-sec-an-cts-results",
    ]);
    for (const t of tables)
      expect(t.inputs).toMatchObject({
        hashKey: CtsTables.id,
        billingMode: "PAY_PER_REQUEST",
        ttl: { attributeName: CtsTables.expiresAt, enabled: true },
        serverSideEncryption: { enabled: true },
        pointInTimeRecovery: { enabled: true },
      });
  });

  test("the routes go on the shared API from SSM, every method behind this project's REQUEST authorizer", () => {
    const auth = resourcesOfType("aws:apigateway/authorizer:Authorizer");
    expect(auth).toHaveLength(1);
    expect(auth[0].inputs).toMatchObject({
      restApi: "api123",
      type: "REQUEST",
      identitySource: "method.request.header.Authorization",
    });
    const paths = resourcesOfType("aws:apigateway/resource:Resource").map((r) => r.inputs.pathPart);
    expect(paths).toEqual(["cts", "{name}", "{id}"]);
    expect(
      resourceNamed("aws:apigateway/resource:Resource", "dev-sec-an-cts-routes-cts").inputs.parentId,
    ).toBe("root456");
    const methods = resourcesOfType("aws:apigateway/method:Method");
    expect(methods.map((m) => m.inputs.httpMethod).sort()).toEqual(["GET", "OPTIONS", "POST"]);
    for (const m of methods)
      expect(m.inputs).toMatchObject({ authorization: "CUSTOM", authorizerId: auth[0].id });
    for (const i of resourcesOfType("aws:apigateway/integration:Integration"))
      expect(i.inputs).toMatchObject({ type: "AWS_PROXY", integrationHttpMethod: "POST" });
  });

  test("its own deployment and stage serve the routes; the shared stage is never touched", () => {
    const stages = resourcesOfType("aws:apigateway/stage:Stage");
    expect(stages.map((s) => s.inputs.stageName)).toEqual(["threat"]);
    expect(stages[0].inputs).toMatchObject({ restApi: "api123", xrayTracingEnabled: true });
    const dep = resourcesOfType("aws:apigateway/deployment:Deployment");
    expect(dep).toHaveLength(1);
    expect(dep[0].inputs.triggers.redeployment).toMatch(/^[0-9a-f]{64}$/);
    expect(stages[0].inputs.deployment).toBe(dep[0].id);
    expect(out.ctsUrl).toMatch(/\/cts\/sec-an$/);
  });

  test("API Gateway may invoke the API function on /cts/ routes and the authorizer by its id, nothing else", () => {
    const perms = resourcesOfType("aws:lambda/permission:Permission").filter(
      (p) => p.inputs.principal === "apigateway.amazonaws.com",
    );
    expect(perms.map((p) => p.inputs.sourceArn).sort()).toEqual([
      expect.stringMatching(/^arn:aws:execute-api:us-east-1:\d+:api123\/\*\/\*\/cts\/\*$/),
      expect.stringMatching(/^arn:aws:execute-api:us-east-1:\d+:api123\/authorizers\/.+$/),
    ]);
  });

  test("least privilege: each function's role holds only what it uses", () => {
    const api = bySid("dev-sec-an-cts-api-policy");
    expect(api.ReadResults.Action).toEqual(["dynamodb:GetItem"]);
    expect(api.ClaimSearches.Action).toEqual(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]);
    expect(api.QueueSearches).toMatchObject({ Action: "sqs:SendMessage" });
    // Beyond what the component adds to every function (logs, tracing, the error channel), nothing.
    const own = statements("dev-sec-an-cts-api-policy").filter(
      (x) => !["OwnLogGroup", "XRay", "PublishErrors"].includes(x.Sid ?? ""),
    );
    expect(own.map((x) => x.Sid).sort()).toEqual(["ClaimSearches", "QueueSearches", "ReadResults"]);
    const worker = bySid("dev-sec-an-cts-search-policy");
    expect(worker.ReadDnsInventory).toEqual({
      Sid: "ReadDnsInventory",
      Effect: "Allow",
      Action: ["dynamodb:Query"],
      Resource: [
        ssm[paramName(d, Params.resolvedHostsTableArn)],
        ssm[paramName(d, Params.resolvedAddressesTableArn)],
      ],
    });
    expect(worker.RequestScans).toMatchObject({
      Action: "sns:Publish",
      Resource: ssm[paramName(d, Params.scanInitiatorTopicArn)],
    });
    expect(worker.SearchSnapshots).toMatchObject({
      Action: "es:ESHttpPost",
      Resource: Object.values(INDEX).map((alias) => `${arn("es", "domain/dev-sec-an")}/${alias}/_search`),
    });
    expect(worker.SearchState).toMatchObject({
      Action: ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      Resource: [expect.stringContaining("dev-sec-an-cts-active-searches")],
    });
    expect(worker.StoreResults).toMatchObject({
      Action: ["dynamodb:PutItem"],
      Resource: [expect.stringContaining("dev-sec-an-cts-results")],
    });
    const auth = bySid("dev-sec-an-cts-authorizer-policy");
    const secret = resourcesOfType("aws:secretsmanager/secret:Secret");
    expect(secret).toHaveLength(1);
    expect(auth.ReadBasicAuthSecret).toMatchObject({ Action: "secretsmanager:GetSecretValue" });
    expect(resourcesOfType("aws:secretsmanager/secretVersion:SecretVersion")).toEqual([]);
  });

  test("configuration reaches the functions as plain values; the secret only by its ARN", () => {
    const env = (name: string) =>
      resourceNamed("aws:lambda/function:Function", name).inputs.environment.variables;
    expect(env("dev-sec-an-cts-search-function")).toMatchObject({
      [CtsEnv.hitTtlSecs]: "7200",
      [CtsEnv.scanMaxAgeSecs]: "86400",
      [CtsEnv.activeTable]: "dev-sec-an-cts-active-searches",
      [CtsEnv.resultsTable]: "dev-sec-an-cts-results",
    });
    expect(env("dev-sec-an-cts-authorizer-function")[CtsEnv.authSecretId]).toMatch(
      /^arn:aws:secretsmanager:/,
    );
  });

  test("the search worker runs in the private subnets, HTTPS out only; the API and the authorizer outside the VPC", () => {
    const fn = (name: string) => resourceNamed("aws:lambda/function:Function", name).inputs;
    expect(fn("dev-sec-an-cts-search-function").vpcConfig.subnetIds).toEqual(["subnet-a", "subnet-b"]);
    expect(fn("dev-sec-an-cts-api-function").vpcConfig).toBeUndefined();
    expect(fn("dev-sec-an-cts-authorizer-function").vpcConfig).toBeUndefined();
    const sg = resourceNamed("aws:ec2/securityGroup:SecurityGroup", "dev-sec-an-cts-search-sg").inputs;
    // Its own group, and analytics-platform's search-readers group (from SSM), which the domain admits.
    expect(fn("dev-sec-an-cts-search-function").vpcConfig.securityGroupIds).toEqual([
      "dev-sec-an-cts-search-sg-id",
      "sg-readers",
    ]);
    expect(sg.ingress).toEqual([]);
    expect(sg.egress).toEqual([expect.objectContaining({ protocol: "tcp", fromPort: 443, toPort: 443 })]);
  });

  test("the search worker's role has the fixed name analytics-platform maps to its read-only FGAC role", () => {
    const role = resourceNamed("aws:iam/role:Role", "dev-sec-an-cts-search-role").inputs;
    expect(role.name).toBe("dev-sec-an-search-reader");
    // Only the worker: the API and the authorizer keep generated names and never reach the domain.
    for (const other of ["dev-sec-an-cts-api-role", "dev-sec-an-cts-authorizer-role"])
      expect(resourceNamed("aws:iam/role:Role", other).inputs.name).toBeUndefined();
  });

  test("the search queue has a dead-letter queue and feeds the worker with partial batch failures", () => {
    const queues = resourcesOfType("aws:sqs/queue:Queue").map((q) => q.inputs.name);
    expect(queues).toEqual(
      expect.arrayContaining(["dev-sec-an-cts-searches", "dev-sec-an-cts-searches-dlq"]),
    );
    const esm = resourcesOfType("aws:lambda/eventSourceMapping:EventSourceMapping").find((e) =>
      String(e.inputs.functionName).includes("cts-search"),
    );
    expect(esm?.inputs.functionResponseTypes).toEqual(["ReportBatchItemFailures"]);
  });
});

describe("sec-an-threat-service program: which Cognito app clients may call", () => {
  const run = async (values: Record<string, string>) => {
    resetResources();
    setupPulumiMocks({ project: "sec-an-threat-service", stack: "dev", ssm });
    const config = readStackConfig({ get: (k) => values[k] }, "sec-an-threat-service", configSchema, "dev");
    const out = await runProgram(() => program(config));
    const env = resourceNamed("aws:lambda/function:Function", "dev-sec-an-cts-authorizer-function").inputs
      .environment.variables;
    return { out, env, clients: resourcesOfType("aws:cognito/userPoolClient:UserPoolClient") };
  };

  test("by default, only the client this project creates in the platform's pool", async () => {
    const { out, env, clients } = await run({});
    expect(clients).toHaveLength(1);
    expect(clients[0].inputs).toMatchObject({
      userPoolId: "us-east-1_Pool1",
      generateSecret: false,
      preventUserExistenceErrors: "ENABLED",
      explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    });
    expect(env[CtsEnv.cognitoClientIds]).toBe(clients[0].id);
    expect(out.cognitoClientIds).toBe(clients[0].id);
  }, 180_000);

  test("configured client ids replace it", async () => {
    const { env, clients } = await run({ cognitoClientIds: '["abc123","def456"]' });
    expect(clients).toEqual([]);
    expect(env[CtsEnv.cognitoClientIds]).toBe("abc123,def456");
  }, 180_000);

  test("a client id that is not one is refused, naming the key", () => {
    expect(() =>
      readStackConfig(
        { get: (k) => ({ cognitoClientIds: '["a,b"]' })[k] },
        "sec-an-threat-service",
        configSchema,
        "dev",
      ),
    ).toThrow(/cognitoClientIds/);
  });
});
