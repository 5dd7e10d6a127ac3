import { r, violationsOf } from "./fixtures";

describe("sns-topic-encrypted", () => {
  const P = "sns-topic-encrypted";
  test("passes a KMS topic, catches a plain one", async () => {
    expect(
      await violationsOf(P, [r("aws:sns/topic:Topic", "t", { kmsMasterKeyId: "alias/aws/sns" })]),
    ).toEqual([]);
    expect(await violationsOf(P, [r("aws:sns/topic:Topic", "t", {})])).toEqual([
      "t: topic is not encrypted: set kmsMasterKeyId (e.g. alias/aws/sns)",
    ]);
  });
});

describe("resource-policy-public-principal-scoped", () => {
  const P = "resource-policy-public-principal-scoped";
  const stmt = (extra: Record<string, unknown>) => ({
    Effect: "Allow",
    Action: "sqs:SendMessage",
    Resource: "arn:q",
    ...extra,
  });
  test("passes scoped `*` principals, service principals and Deny statements", async () => {
    const scoped = stmt({
      Principal: "*",
      Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:sns:us-east-1:1:t" } },
    });
    const service = stmt({ Principal: { Service: "sns.amazonaws.com" } });
    const deny = {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: "*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
    expect(
      await violationsOf(P, [
        r("aws:sqs/queuePolicy:QueuePolicy", "qp", {
          policy: JSON.stringify({ Statement: [scoped, service] }),
        }),
        r("aws:s3/bucketPolicy:BucketPolicy", "bp", { policy: { Statement: [deny] } }),
      ]),
    ).toEqual([]);
  });
  test("catches an unscoped `*` principal on queue, topic and bucket policies", async () => {
    const open = JSON.stringify({ Statement: [stmt({ Principal: { AWS: "*" } })] });
    expect(
      await violationsOf(P, [
        r("aws:sqs/queuePolicy:QueuePolicy", "qp", { policy: open }),
        r("aws:sns/topicPolicy:TopicPolicy", "tp", { policy: open }),
        r("aws:sns/topic:Topic", "t", {
          kmsMasterKeyId: "k",
          policy: JSON.stringify({
            Statement: [stmt({ Principal: "*", Condition: { StringEquals: { "aws:UserAgent": "x" } } })],
          }),
        }),
      ]),
    ).toEqual([
      'qp: policy statement "sqs:SendMessage" allows principal "*" without an aws:SourceArn/aws:SourceAccount condition',
      'tp: policy statement "sqs:SendMessage" allows principal "*" without an aws:SourceArn/aws:SourceAccount condition',
      't: policy statement "sqs:SendMessage" allows principal "*" without an aws:SourceArn/aws:SourceAccount condition',
    ]);
  });
});

describe("s3-bucket-hardened", () => {
  const P = "s3-bucket-hardened";
  const bucket = r("aws:s3/bucket:Bucket", "dl", { bucket: "dl-bucket" });
  const pab = (flags: Partial<Record<string, boolean>> = {}) =>
    r("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "dl-pab", {
      bucket: "dl-bucket",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      ...flags,
    });
  const sse = r(
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "dl-sse",
    {
      bucket: "dl-bucket",
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
    },
  );
  const own = (objectOwnership = "BucketOwnerEnforced") =>
    r("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "dl-own", {
      bucket: "dl-bucket",
      rule: { objectOwnership },
    });

  test("passes a bucket with all three attachments", async () => {
    expect(await violationsOf(P, [bucket, pab(), sse, own()])).toEqual([]);
  });
  test("catches each missing or weak attachment, and attachments of another bucket do not count", async () => {
    expect(
      await violationsOf(P, [bucket, pab({ restrictPublicBuckets: false }), sse, own("ObjectWriter")]),
    ).toEqual([
      "dl: bucket dl needs a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true",
      "dl: bucket dl needs BucketOwnershipControls with objectOwnership BucketOwnerEnforced (ACLs disabled)",
    ]);
    const other = r("aws:s3/bucket:Bucket", "other", { bucket: "other-bucket" });
    expect(await violationsOf(P, [bucket, pab(), sse, own(), other])).toEqual([
      "other: bucket other needs a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true",
      "other: bucket other needs a BucketServerSideEncryptionConfiguration with a default sseAlgorithm",
      "other: bucket other needs BucketOwnershipControls with objectOwnership BucketOwnerEnforced (ACLs disabled)",
    ]);
  });
});

describe("lambda rules", () => {
  const good = {
    name: "fn",
    runtime: "nodejs22.x",
    tracingConfig: { mode: "Active" },
    environment: { variables: { TOKEN_PARAM_NAME: "/sec-an/dev/token", LOG_LEVEL: "INFO" } },
    loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/fn" },
  };
  const fn = (p: Record<string, unknown> = {}) => r("aws:lambda/function:Function", "fn", { ...good, ...p });
  const lg = (p: Record<string, unknown> = {}) =>
    r("aws:cloudwatch/logGroup:LogGroup", "fn-logs", { name: "/aws/lambda/fn", retentionInDays: 90, ...p });

  test("a well-formed function passes every Lambda rule", async () => {
    for (const P of [
      "lambda-runtime-allowed",
      "lambda-tracing-active",
      "lambda-no-secrets-in-environment",
      "lambda-log-group-retention",
    ]) {
      expect(await violationsOf(P, [fn(), lg()])).toEqual([]);
    }
  });
  test("runtime allow-list", async () => {
    expect(await violationsOf("lambda-runtime-allowed", [fn({ runtime: "nodejs18.x" })])).toEqual([
      "fn: runtime nodejs18.x is not allowed; use one of nodejs22.x, nodejs24.x",
    ]);
    expect(
      await violationsOf("lambda-runtime-allowed", [fn({ runtime: undefined, packageType: "Image" })]),
    ).toEqual([]);
  });
  test("tracing must be Active", async () => {
    expect(
      await violationsOf("lambda-tracing-active", [fn({ tracingConfig: { mode: "PassThrough" } })]),
    ).toEqual(['fn: set tracingConfig: { mode: "Active" }']);
  });
  test("secret-looking env names and values", async () => {
    const env = {
      DB_PASSWORD: "x",
      API_KEY_ARN: "arn:ok",
      TARGET: "https://user:pw@example.com/",
      KEYID: "AKIAABCDEFGHIJKLMNOP",
    };
    expect(
      await violationsOf("lambda-no-secrets-in-environment", [fn({ environment: { variables: env } })]),
    ).toEqual([
      "fn: environment variable DB_PASSWORD looks like a secret",
      "fn: environment variable TARGET holds a secret-looking value",
      "fn: environment variable KEYID holds a secret-looking value",
    ]);
  });
  test("log group with retention, by loggingConfig or by /aws/lambda/<name>", async () => {
    const P = "lambda-log-group-retention";
    expect(await violationsOf(P, [fn({ loggingConfig: undefined }), lg()])).toEqual([]);
    expect(await violationsOf(P, [fn()])).toEqual([
      "fn: function fn has no log group (/aws/lambda/<name> or loggingConfig.logGroup) in the stack",
    ]);
    expect(await violationsOf(P, [fn(), lg({ retentionInDays: undefined })])).toEqual([
      "fn-logs: log group fn-logs of fn has no retentionInDays",
    ]);
  });
});

describe("ecs rules", () => {
  const container = {
    name: "scan",
    image: "x",
    readonlyRootFilesystem: true,
    logConfiguration: { logDriver: "awslogs", options: {} },
  };
  const td = (p: Record<string, unknown> = {}, c: Record<string, unknown> = {}) =>
    r("aws:ecs/taskDefinition:TaskDefinition", "td", {
      executionRoleArn: "arn:aws:iam::1:role/exec",
      taskRoleArn: "arn:aws:iam::1:role/task",
      containerDefinitions: JSON.stringify([{ ...container, ...c }]),
      ...p,
    });
  test("task definition: passes hardened, catches privileged / writable root / no logs / shared role", async () => {
    const P = "ecs-task-definition-hardened";
    expect(await violationsOf(P, [td()])).toEqual([]);
    expect(
      await violationsOf(P, [
        td({}, { privileged: true, readonlyRootFilesystem: false, logConfiguration: undefined }),
      ]),
    ).toEqual([
      "td: container scan is privileged",
      "td: container scan must set readonlyRootFilesystem: true",
      "td: container scan has no logConfiguration",
    ]);
    expect(await violationsOf(P, [td({ taskRoleArn: "arn:aws:iam::1:role/exec" })])).toEqual([
      "td: executionRoleArn must differ from taskRoleArn (the task must not hold image-pull/secret-read rights)",
    ]);
  });
  test("cluster: Container Insights", async () => {
    const P = "ecs-cluster-container-insights";
    expect(
      await violationsOf(P, [
        r("aws:ecs/cluster:Cluster", "c", { settings: [{ name: "containerInsights", value: "enabled" }] }),
      ]),
    ).toEqual([]);
    expect(
      await violationsOf(P, [
        r("aws:ecs/cluster:Cluster", "c", { settings: [{ name: "containerInsights", value: "disabled" }] }),
      ]),
    ).toEqual(['c: set settings: [{ name: "containerInsights", value: "enabled" }]']);
  });
});

describe("opensearch-domain-hardened", () => {
  const P = "opensearch-domain-hardened";
  const good = {
    encryptAtRest: { enabled: true },
    nodeToNodeEncryption: { enabled: true },
    domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
    advancedSecurityOptions: { enabled: true, internalUserDatabaseEnabled: false },
    logPublishingOptions: [
      {
        logType: "AUDIT_LOGS",
        cloudwatchLogGroupArn: "arn:aws:logs:us-east-1:1:log-group:audit",
        enabled: true,
      },
    ],
  };
  test("passes a hardened domain", async () => {
    expect(await violationsOf(P, [r("aws:opensearch/domain:Domain", "es", good)])).toEqual([]);
  });
  test("catches every weakness", async () => {
    const bad = {
      encryptAtRest: { enabled: false },
      domainEndpointOptions: { enforceHttps: false, tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07" },
      logPublishingOptions: [{ logType: "INDEX_SLOW_LOGS", cloudwatchLogGroupArn: "arn:x" }],
    };
    expect(await violationsOf(P, [r("aws:opensearch/domain:Domain", "es", bad)])).toEqual([
      "es: encryptAtRest.enabled must be true",
      "es: nodeToNodeEncryption.enabled must be true",
      "es: domainEndpointOptions.enforceHttps must be true",
      "es: domainEndpointOptions.tlsSecurityPolicy must be Policy-Min-TLS-1-2-* or 1-3-* (has Policy-Min-TLS-1-0-2019-07)",
      "es: advancedSecurityOptions.enabled (fine-grained access control) must be true",
      "es: logPublishingOptions must publish AUDIT_LOGS to a CloudWatch log group",
    ]);
  });
});

describe("cognito-identity-pool-no-unauthenticated", () => {
  test("passes false, catches true", async () => {
    const P = "cognito-identity-pool-no-unauthenticated";
    expect(
      await violationsOf(P, [
        r("aws:cognito/identityPool:IdentityPool", "ip", { allowUnauthenticatedIdentities: false }),
      ]),
    ).toEqual([]);
    expect(
      await violationsOf(P, [
        r("aws:cognito/identityPool:IdentityPool", "ip", { allowUnauthenticatedIdentities: true }),
      ]),
    ).toEqual(["ip: allowUnauthenticatedIdentities must be false"]);
  });
});

describe("iam-no-wildcard-action-on-any-resource", () => {
  const P = "iam-no-wildcard-action-on-any-resource";
  const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
  test("passes scoped wildcards and exact actions on *", async () => {
    const ok = doc(
      { Effect: "Allow", Action: "sqs:*", Resource: "arn:aws:sqs:us-east-1:1:q" },
      { Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
      { Effect: "Deny", Action: "*", Resource: "*" },
    );
    expect(
      await violationsOf(P, [
        r("aws:iam/policy:Policy", "p", { policy: ok }),
        r("aws:iam/rolePolicy:RolePolicy", "rp", { policy: ok }),
      ]),
    ).toEqual([]);
  });
  test("catches `*`, `svc:*` and NotAction on *, in policies, role policies and inline role policies", async () => {
    expect(
      await violationsOf(P, [
        r("aws:iam/policy:Policy", "p", { policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) }),
        r("aws:iam/rolePolicy:RolePolicy", "rp", {
          policy: doc({ Action: ["sqs:*", "s3:GetObject"], Resource: ["*"] }),
        }),
        r("aws:iam/role:Role", "role", {
          inlinePolicies: [
            { name: "i", policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) },
          ],
        }),
      ]),
    ).toEqual([
      'p: allows wildcard action(s) * on Resource "*"',
      'rp: allows wildcard action(s) sqs:* on Resource "*"',
      'role: allows NotAction on Resource "*"',
    ]);
  });
});

describe("dynamodb-table-sse-and-pitr", () => {
  test("passes SSE+PITR, catches either missing", async () => {
    const P = "dynamodb-table-sse-and-pitr";
    const t = (p: Record<string, unknown>) => r("aws:dynamodb/table:Table", "t", p);
    expect(
      await violationsOf(P, [
        t({ serverSideEncryption: { enabled: true }, pointInTimeRecovery: { enabled: true } }),
      ]),
    ).toEqual([]);
    expect(await violationsOf(P, [t({ pointInTimeRecovery: { enabled: false } })])).toEqual([
      "t: serverSideEncryption.enabled must be true",
      "t: pointInTimeRecovery.enabled must be true",
    ]);
  });
});
