import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { repoRelative } from "@sec-an/contracts/registry";
import { Env, ErrorChannelEnv, errorsTopicName, secretEnvProblem, type Deployment } from "@sec-an/contracts";
import { alarmTargets, checkAlarmActions, functionAlarms, type AlarmActions } from "./alarms";
import { bundleEntry, type BundleOptions } from "./bundle";
import { accountArn, assumeRolePolicy, policyDocument, type PolicyStatement, type Statements } from "./iam";

/** The bundle as a Lambda deployment archive holding `index.js` (handler `index.handler`). */
export function bundleArchive(entry: string, options: BundleOptions = {}): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({
    "index.js": new pulumi.asset.StringAsset(bundleEntry(entry, options)),
  });
}

export interface LambdaFunctionArgs {
  /** Absolute path of the TypeScript handler file; it must export `handler`. */
  readonly entry: string;
  /** Handler inside the bundle (default `index.handler`). */
  readonly handler?: string;
  /** Physical function name (default: the component name). Unique per account and region. */
  readonly functionName?: string;
  /**
   * Physical name of the execution role (default: generated). A fixed name lets another project refer
   * to the role's ARN by convention, e.g. in a domain access policy, without a deploy-time lookup.
   */
  readonly roleName?: string;
  readonly description?: string;
  /** Seconds (default 30). Queues consumed by this function derive their visibility timeout from it. */
  readonly timeout?: number;
  /** MB (default 256). */
  readonly memorySize?: number;
  /** Plain configuration only: names and values that look like secrets are rejected. */
  readonly environment?: Record<string, pulumi.Input<string>>;
  /** Sets `SEC_AN_APP`/`SEC_AN_STAGE` so the handler can look SSM parameters up late. */
  readonly deployment?: Deployment;
  /**
   * Publish the function's handled failures to the deployment's errors topic (default: with a
   * deployment). Off only for the error channel's own consumers.
   */
  readonly errorChannel?: boolean;
  /** The role's permissions: ONLY these, plus writing to its own log group and X-Ray. */
  readonly statements?: Statements;
  /** Days (default 90). */
  readonly logRetentionDays?: number;
  readonly vpcConfig?: {
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  };
  /** SQS queue or SNS topic for failed asynchronous invocations; the role is granted send/publish on it. */
  readonly deadLetterTargetArn?: pulumi.Input<string>;
  readonly reservedConcurrency?: number;
  /** Retries of a failed asynchronous invocation, 0..2 (Lambda default 2); then the dead-letter target. */
  readonly asyncRetryAttempts?: number;
  /** Maximum age of an asynchronous event, 60..21600 s (Lambda default 6 h). */
  readonly asyncMaxEventAgeSeconds?: number;
  /** Default `["arm64"]` (cheaper per GB-second, same Node runtime). */
  readonly architectures?: ("arm64" | "x86_64")[];
  readonly layers?: pulumi.Input<string>[];
  /** Targets of the errors and throttles alarms (default the deployment's notifications topic; none without a deployment). */
  readonly alarmActions?: AlarmActions;
  /** Inline a source map and enable it at run time (default off: it slows cold starts). */
  readonly sourcemap?: boolean;
  readonly tags?: Record<string, string>;
}

export interface InvokePermissionArgs {
  /** Service principal, e.g. `s3.amazonaws.com`, `events.amazonaws.com`, `scheduler.amazonaws.com`. */
  readonly principal: string;
  /** The one resource (bucket, rule, topic) allowed to invoke: required, against confused deputies. */
  readonly sourceArn: pulumi.Input<string>;
  /** For S3, whose bucket ARNs carry no account: the bucket owner's account id. */
  readonly sourceAccount?: pulumi.Input<string>;
}

export const LAMBDA_RUNTIME = "nodejs22.x";
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** IAM role names: 1..64 of letters, digits and `+=,.@_-`. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** Checked physical name and timeout of a function (throws naming the bad argument). */
export function lambdaSettings(
  name: string,
  args: LambdaFunctionArgs,
): { functionName: string; timeout: number } {
  const functionName = args.functionName ?? name;
  if (!FUNCTION_NAME.test(functionName))
    throw new Error(`invalid Lambda function name ${JSON.stringify(functionName)}`);
  if (args.roleName !== undefined && !ROLE_NAME.test(args.roleName))
    throw new Error(`invalid IAM role name ${JSON.stringify(args.roleName)}`);
  const timeout = args.timeout ?? 30;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 900)
    throw new Error(`Lambda timeout must be 1..900 s, got ${timeout}`);
  const retries = args.asyncRetryAttempts;
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0 || retries > 2))
    throw new Error(`asyncRetryAttempts must be 0..2, got ${retries}`);
  const age = args.asyncMaxEventAgeSeconds;
  if (age !== undefined && (!Number.isInteger(age) || age < 60 || age > 21600))
    throw new Error(`asyncMaxEventAgeSeconds must be 60..21600, got ${age}`);
  checkAlarmActions(args.alarmActions);
  return { functionName, timeout };
}

/** Throws when an environment variable name or value looks like a secret (secrets belong in SSM/Secrets Manager). */
export function assertNoSecretEnv(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) {
    const problem = secretEnvProblem(k, v);
    if (problem === "name")
      throw new Error(`environment variable ${k} looks like a secret: read secrets at run time instead`);
    if (problem === "value")
      throw new Error(`environment variable ${k} has a value that looks like a secret`);
  }
}

/**
 * Tag naming the handler's source, relative to the repository, so the local run (`sec-an local`) can run
 * the same code the function bundles. Omitted for entries outside a sec-an checkout.
 */
export function entryTag(entry: string): Record<string, string> {
  const rel = repoRelative(entry);
  return rel !== undefined && rel.length <= 256 ? { "sec-an:entry": rel } : {};
}

/** The statement letting a function send failed async events to its SQS/SNS dead-letter target. */
export function deadLetterStatement(targetArn: string): PolicyStatement {
  const service = targetArn.split(":")[2];
  if (service === "sqs") return { Action: "sqs:SendMessage", Resource: targetArn };
  if (service === "sns") return { Action: "sns:Publish", Resource: targetArn };
  throw new Error(
    `dead-letter target must be an SQS queue or SNS topic ARN, got ${JSON.stringify(targetArn)}`,
  );
}

/**
 * A Node.js Lambda bundled from one TypeScript entry, with its own least-privilege role, a log group
 * with retention (created first, so Lambda never creates an unbounded one) and active X-Ray tracing.
 */
export class LambdaFunction extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly role: aws.iam.Role;
  public readonly policy: aws.iam.RolePolicy;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly arn: pulumi.Output<string>;
  public readonly name: pulumi.Output<string>;
  /** Physical function name, known at construction. */
  public readonly functionName: string;
  /** Timeout in seconds, known at construction (queues derive their visibility timeout from it). */
  public readonly timeout: number;
  /** The handler file and its bundle (`index.js`), e.g. for running the same code locally. */
  public readonly entry: string;
  public readonly code: pulumi.asset.AssetArchive;
  public readonly asyncConfig?: aws.lambda.FunctionEventInvokeConfig;
  public readonly alarms?: ReturnType<typeof functionAlarms>;
  /** The environment given at construction, e.g. for a queue to check its consumer was wired to it. */
  public readonly environment: Readonly<Record<string, pulumi.Input<string>>>;
  private readonly componentName: string;

  constructor(name: string, args: LambdaFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything, so bad args never leave a half-built component behind.
    const { functionName, timeout } = lambdaSettings(name, args);
    super("sec-an:core:LambdaFunction", name, {}, opts);
    this.functionName = functionName;
    this.timeout = timeout;
    this.entry = args.entry;
    this.environment = { ...args.environment };
    this.componentName = name;
    this.code = bundleArchive(args.entry, { sourcemap: args.sourcemap });
    const parent = { parent: this };

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays ?? 90, tags: args.tags },
      parent,
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        name: args.roleName,
        assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
        description: `Execution role of ${functionName}`,
        tags: args.tags,
      },
      parent,
    );

    const statements: pulumi.Input<PolicyStatement>[] = [
      {
        Sid: "OwnLogGroup",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: pulumi.interpolate`${this.logGroup.arn}:*`,
      },
      // X-Ray trace ingestion has no resource-level permissions: AWS requires Resource "*".
      { Sid: "XRay", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
    ];
    if (args.vpcConfig) {
      // ENI management for VPC functions (as AWSLambdaVPCAccessExecutionRole); EC2 offers no narrower scope.
      statements.push({
        Sid: "VpcNetworkInterfaces",
        Action: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: "*",
      });
    }
    // The errors topic has a fixed name in shared-infra, so its ARN needs no deploy-time lookup.
    const errorsTopic =
      args.deployment && args.errorChannel !== false
        ? accountArn("sns", errorsTopicName(args.deployment), parent)
        : undefined;
    if (errorsTopic) statements.push({ Sid: "PublishErrors", Action: "sns:Publish", Resource: errorsTopic });
    if (args.deadLetterTargetArn !== undefined)
      statements.push(pulumi.output(args.deadLetterTargetArn).apply(deadLetterStatement));
    statements.push(...(args.statements ?? []));
    this.policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: this.role.id, policy: policyDocument(statements) },
      parent,
    );

    const environment: Record<string, pulumi.Input<string>> = {};
    if (args.deployment) {
      environment[Env.app] = args.deployment.app;
      environment[Env.stage] = args.deployment.stage;
    }
    environment.POWERTOOLS_SERVICE_NAME = functionName;
    if (errorsTopic) environment[ErrorChannelEnv.topicArn] = errorsTopic;
    if (args.sourcemap) environment.NODE_OPTIONS = "--enable-source-maps";
    Object.assign(environment, args.environment ?? {});
    const variables = pulumi.output(environment).apply((env) => {
      assertNoSecretEnv(env);
      return env;
    });

    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        name: functionName,
        description: args.description,
        role: this.role.arn,
        runtime: LAMBDA_RUNTIME,
        handler: args.handler ?? "index.handler",
        code: this.code,
        timeout,
        memorySize: args.memorySize ?? 256,
        architectures: args.architectures ?? ["arm64"],
        environment: { variables },
        tracingConfig: { mode: "Active" },
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
        vpcConfig: args.vpcConfig,
        deadLetterConfig:
          args.deadLetterTargetArn !== undefined ? { targetArn: args.deadLetterTargetArn } : undefined,
        reservedConcurrentExecutions: args.reservedConcurrency,
        layers: args.layers,
        tags: { ...args.tags, ...entryTag(args.entry) },
      },
      // The policy must exist before the first invocation can log or trace.
      { parent: this, dependsOn: [this.logGroup, this.policy] },
    );
    if (args.asyncRetryAttempts !== undefined || args.asyncMaxEventAgeSeconds !== undefined) {
      const retries = args.asyncRetryAttempts;
      const age = args.asyncMaxEventAgeSeconds;
      this.asyncConfig = new aws.lambda.FunctionEventInvokeConfig(
        `${name}-async`,
        { functionName: this.function.name, maximumRetryAttempts: retries, maximumEventAgeInSeconds: age },
        parent,
      );
    }
    const alarmActions = alarmTargets(args.deployment, args.alarmActions, parent);
    if (alarmActions.length > 0)
      this.alarms = functionAlarms(name, this.function.name, alarmActions, args.tags, parent);
    this.arn = this.function.arn;
    this.name = this.function.name;
    this.registerOutputs({
      function: this.function,
      role: this.role,
      logGroup: this.logGroup,
      arn: this.arn,
      name: this.name,
    });
  }

  /** Lets one AWS resource (bucket, rule, schedule, topic) invoke this function, and nothing else. */
  public allowInvoke(key: string, args: InvokePermissionArgs): aws.lambda.Permission {
    return new aws.lambda.Permission(
      `${this.componentName}-invoke-${key}`,
      {
        action: "lambda:InvokeFunction",
        function: this.function.name,
        principal: args.principal,
        sourceArn: args.sourceArn,
        sourceAccount: args.sourceAccount,
      },
      { parent: this },
    );
  }
}
