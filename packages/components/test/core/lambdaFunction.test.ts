import { resourceKeys, resources, settle, setupPulumiMocks, unwrap } from "@sec-an/testing";
import { checkResources } from "@sec-an/policy";
import { assertNoSecretEnv, deadLetterStatement, LambdaFunction } from "../../src/core";
import { ACCOUNT, deployment, FIXTURE, json, record, urnOf } from "./helpers";

describe("LambdaFunction", () => {
  beforeEach(() => setupPulumiMocks());

  it("creates role, own-log-group policy, log group and a traced nodejs22.x arm64 function", async () => {
    const fn = new LambdaFunction("scan", {
      entry: FIXTURE,
      timeout: 60,
      deployment,
      environment: { SEC_AN_TASK: "nmap" },
      statements: [{ Action: "s3:PutObject", Resource: "arn:aws:s3:::raw/*" }],
    });
    await settle();
    expect(resourceKeys()).toEqual([
      "aws:cloudwatch/logGroup:LogGroup::scan-logs",
      "aws:cloudwatch/metricAlarm:MetricAlarm::scan-errors",
      "aws:cloudwatch/metricAlarm:MetricAlarm::scan-throttles",
      "aws:iam/role:Role::scan-role",
      "aws:iam/rolePolicy:RolePolicy::scan-policy",
      "aws:lambda/function:Function::scan-function",
      "sec-an:core:LambdaFunction::scan",
    ]);

    const logs = await record("aws:cloudwatch/logGroup:LogGroup", "scan-logs");
    expect(logs.inputs).toMatchObject({ name: "/aws/lambda/scan", retentionInDays: 90 });

    const role = await record("aws:iam/role:Role", "scan-role");
    expect(json(role.inputs.assumeRolePolicy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });

    const policy = await record("aws:iam/rolePolicy:RolePolicy", "scan-policy");
    expect(policy.inputs.role).toBe("scan-role");
    expect(json(policy.inputs.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "OwnLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/scan:*`,
        },
        {
          Sid: "XRay",
          Effect: "Allow",
          Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
          Resource: "*",
        },
        {
          Sid: "PublishErrors",
          Effect: "Allow",
          Action: "sns:Publish",
          Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-errors`,
        },
        { Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::raw/*" },
      ],
    });

    const f = await record("aws:lambda/function:Function", "scan-function");
    expect(f.inputs).toMatchObject({
      name: "scan",
      role: `arn:aws:iam::${ACCOUNT}:role/scan-role`,
      runtime: "nodejs22.x",
      handler: "index.handler",
      timeout: 60,
      memorySize: 256,
      architectures: ["arm64"],
      tracingConfig: { mode: "Active" },
      loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/scan" },
      environment: {
        variables: {
          SEC_AN_APP: "sec-an",
          SEC_AN_STAGE: "test",
          SEC_AN_TASK: "nmap",
          POWERTOOLS_SERVICE_NAME: "scan",
        },
      },
    });
    expect(f.inputs.deadLetterConfig).toBeUndefined();
    expect(f.inputs.vpcConfig).toBeUndefined();
    expect(await unwrap(fn.name)).toBe("scan");
    expect(fn.timeout).toBe(60);
    expect(await urnOf(fn.function)).toContain(
      "sec-an:core:LambdaFunction$aws:lambda/function:Function::scan-function",
    );
    expect(await checkResources(resources())).toEqual([]);
  });

  it("grants the dead-letter target and VPC ENI management only when asked", async () => {
    new LambdaFunction("vpcfn", {
      entry: FIXTURE,
      functionName: "dev-sec-an-vpcfn",
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:vpcfn-dlq`,
      vpcConfig: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
      reservedConcurrency: 5,
      logRetentionDays: 365,
      architectures: ["x86_64"],
    });
    const policy = await record("aws:iam/rolePolicy:RolePolicy", "vpcfn-policy");
    const statements = (
      json(policy.inputs.policy) as { Statement: { Sid?: string; Action: unknown; Resource: unknown }[] }
    ).Statement;
    expect(statements.map((s) => s.Sid ?? s.Action)).toEqual([
      "OwnLogGroup",
      "XRay",
      "VpcNetworkInterfaces",
      "sqs:SendMessage",
    ]);
    expect(statements[3].Resource).toBe(`arn:aws:sqs:us-east-1:${ACCOUNT}:vpcfn-dlq`);
    const f = await record("aws:lambda/function:Function", "vpcfn-function");
    expect(f.inputs).toMatchObject({
      name: "dev-sec-an-vpcfn",
      architectures: ["x86_64"],
      deadLetterConfig: { targetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:vpcfn-dlq` },
      vpcConfig: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
      reservedConcurrentExecutions: 5,
    });
    expect((await record("aws:cloudwatch/logGroup:LogGroup", "vpcfn-logs")).inputs.retentionInDays).toBe(365);
    expect(await checkResources(resources())).toEqual([]);
  });

  it("configures async retries and grants invoke to exactly one source", async () => {
    const fn = new LambdaFunction("parser", {
      entry: FIXTURE,
      asyncRetryAttempts: 1,
      asyncMaxEventAgeSeconds: 3600,
    });
    fn.allowInvoke("bucket", {
      principal: "s3.amazonaws.com",
      sourceArn: "arn:aws:s3:::raw",
      sourceAccount: ACCOUNT,
    });
    expect(
      (await record("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "parser-async")).inputs,
    ).toEqual({
      functionName: "parser",
      maximumRetryAttempts: 1,
      maximumEventAgeInSeconds: 3600,
    });
    expect((await record("aws:lambda/permission:Permission", "parser-invoke-bucket")).inputs).toEqual({
      action: "lambda:InvokeFunction",
      function: "parser",
      principal: "s3.amazonaws.com",
      sourceArn: "arn:aws:s3:::raw",
      sourceAccount: ACCOUNT,
    });
    expect(() => new LambdaFunction("p2", { entry: FIXTURE, asyncRetryAttempts: 3 })).toThrow(
      "asyncRetryAttempts must be 0..2",
    );
    expect(() => new LambdaFunction("p3", { entry: FIXTURE, asyncMaxEventAgeSeconds: 30 })).toThrow(
      "60..21600",
    );
    await settle();
  });

  it("rejects bad names, timeouts and secret-looking environment variables", async () => {
    expect(() => new LambdaFunction("bad name", { entry: FIXTURE })).toThrow("invalid Lambda function name");
    expect(() => new LambdaFunction("t", { entry: FIXTURE, timeout: 901 })).toThrow("1..900");
    await settle();
    expect(resources()).toEqual([]); // validation precedes registration
    expect(() => assertNoSecretEnv({ DB_PASSWORD: "x" })).toThrow("DB_PASSWORD looks like a secret");
    expect(() => assertNoSecretEnv({ GITHUB_TOKEN: "x" })).toThrow("looks like a secret");
    expect(() => assertNoSecretEnv({ KEY_ID: "AKIAABCDEFGHIJKLMNOP" })).toThrow(
      "value that looks like a secret",
    );
    expect(() => assertNoSecretEnv({ DB: "postgres://admin:hunter2@db:5432/x" })).toThrow(
      "value that looks like a secret",
    );
    expect(() => assertNoSecretEnv({ API_TOKEN_PARAM: "/sec-an/dev/token" })).not.toThrow();
    expect(() =>
      assertNoSecretEnv({ SEC_AN_GLUE_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:t` }),
    ).not.toThrow();
    await settle();
  });

  it("names the execution role only when asked, and rejects a bad role name before registering", async () => {
    new LambdaFunction("fixed", { entry: FIXTURE, roleName: "sec-an-dev-search-reader" });
    new LambdaFunction("generated", { entry: FIXTURE });
    await settle();
    expect((await record("aws:iam/role:Role", "fixed-role")).inputs.name).toBe("sec-an-dev-search-reader");
    expect((await record("aws:iam/role:Role", "generated-role")).inputs.name).toBeUndefined();
    setupPulumiMocks();
    expect(() => new LambdaFunction("r", { entry: FIXTURE, roleName: "has space" })).toThrow(
      "invalid IAM role name",
    );
    expect(() => new LambdaFunction("r2", { entry: FIXTURE, roleName: "x".repeat(65) })).toThrow(
      "invalid IAM role name",
    );
    await settle();
    expect(resources()).toEqual([]);
  });

  it("maps dead-letter targets to the one action they need", () => {
    expect(deadLetterStatement("arn:aws:sns:eu-west-2:1:t")).toEqual({
      Action: "sns:Publish",
      Resource: "arn:aws:sns:eu-west-2:1:t",
    });
    expect(() => deadLetterStatement("arn:aws:s3:::b")).toThrow("SQS queue or SNS topic");
  });
});
