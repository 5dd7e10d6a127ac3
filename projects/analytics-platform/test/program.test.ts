import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkResources } from "@sec-an/policy";
import {
  ConfigFindingsIndex,
  IngestFields,
  IngestMarkerIndex,
  NMAP_TASK,
  Params,
  PlatformIndex,
  SSL_TASK,
  indexBase,
  paramName,
  readAlias,
  savedObjectId,
  writeAlias,
} from "@sec-an/contracts";
import { resources, resourcesOfType, resourceNamed, runProgram, stackConfig } from "@sec-an/testing";
import { DEV_SSM, mockAnalyticsPlatform } from "./program-mocks";

const d = { app: "sec-an", stage: "dev" };
// Three private subnets: the domain takes one per zone it uses, the functions take them all.
const ssm = { ...DEV_SSM, [paramName(d, Params.vpcSubnetsPrivate)]: "subnet-a,subnet-b,subnet-c" };
const setup = (config: Record<string, unknown> = {}) => mockAnalyticsPlatform(config, ssm);

setup();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runFromConfig, registeredTasks } = require("../src/program") as typeof import("../src/program");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseConfig } = require("../src/stack-config") as typeof import("../src/stack-config");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const access = require("../src/infra/access") as typeof import("../src/infra/access");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const groups = require("../src/infra/action-groups") as typeof import("../src/infra/action-groups");
type RoleName = import("../src/infra/access").RoleName;

const invocationSpec = (name: string) =>
  JSON.parse(resourceNamed("aws:lambda/invocation:Invocation", name).inputs.input);

describe("analytics-platform program", () => {
  let out: Awaited<ReturnType<typeof run>>;
  const run = () => runProgram(() => runFromConfig("dev"));
  beforeAll(async () => {
    setup({ instanceType: "r7g.large.search", instanceCount: "2", volumeSize: "100" });
    out = await run();
  }, 120_000);

  it("creates a hardened, VPC-only OpenSearch domain with FGAC (admin Lambda as IAM master) and Cognito", () => {
    const [domain] = resourcesOfType("aws:opensearch/domain:Domain");
    const adminRole = resourceNamed("aws:iam/role:Role", "dev-sec-an-opensearch-admin-role");
    expect(domain.inputs).toMatchObject({
      domainName: "dev-sec-an-search",
      engineVersion: "OpenSearch_2.19",
      clusterConfig: {
        instanceType: "r7g.large.search",
        instanceCount: 2,
        zoneAwarenessEnabled: true,
        zoneAwarenessConfig: { availabilityZoneCount: 2 },
      },
      ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: 100 },
      vpcOptions: { subnetIds: ["subnet-a", "subnet-b"] },
      encryptAtRest: { enabled: true },
      nodeToNodeEncryption: { enabled: true },
      domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
      advancedSecurityOptions: {
        enabled: true,
        internalUserDatabaseEnabled: false,
        masterUserOptions: { masterUserArn: adminRole.state.arn },
      },
      cognitoOptions: { enabled: true, userPoolId: "eu-west-2_pool", identityPoolId: "eu-west-2:identity" },
    });
    expect(domain.inputs.logPublishingOptions.map((o: any) => o.logType).sort()).toEqual([
      "AUDIT_LOGS",
      "ES_APPLICATION_LOGS",
      "INDEX_SLOW_LOGS",
      "SEARCH_SLOW_LOGS",
    ]);
    const sg = resourceNamed("aws:ec2/securityGroup:SecurityGroup", "dev-sec-an-search-sg");
    expect(sg.inputs.ingress).toEqual([
      expect.objectContaining({
        fromPort: 443,
        toPort: 443,
        securityGroups: [
          "dev-sec-an-analytics-lambdas-sg-id",
          "dev-sec-an-dashboards-tunnel-sg-id",
          "dev-sec-an-search-readers-sg-id",
        ],
      }),
    ]);
    // The readers' group only names its members as domain clients: no rules of its own.
    const readers = resourceNamed("aws:ec2/securityGroup:SecurityGroup", "dev-sec-an-search-readers-sg");
    expect(readers.inputs).toMatchObject({ vpcId: "vpc-123", ingress: [], egress: [] });
    expect(readers.inputs.tags["sec-an:domain-client"]).toBe("search-readers");
    const logPolicy = JSON.parse(
      resourcesOfType("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")[0].inputs.policyDocument,
    );
    expect(logPolicy.Statement[0].Principal).toEqual({ Service: "es.amazonaws.com" });
    expect(logPolicy.Statement[0].Condition.StringEquals["aws:SourceAccount"]).toBe("123456789012");
  });

  it("runs the ingestor, reporter and admin Lambdas in the private subnets; ingest queue with DLQ recorder; batches of 10", () => {
    for (const fn of [
      "dev-sec-an-opensearch-admin",
      "dev-sec-an-analytics-ingestor",
      "dev-sec-an-dead-letter-reporter",
    ]) {
      const f = resourceNamed("aws:lambda/function:Function", `${fn}-function`);
      expect(f.inputs.vpcConfig.subnetIds).toEqual(["subnet-a", "subnet-b", "subnet-c"]);
      expect(f.inputs.runtime).toBe("nodejs22.x");
    }
    const queue = resourceNamed("aws:sqs/queue:Queue", "dev-sec-an-analytics-ingest");
    expect(JSON.parse(queue.inputs.redrivePolicy)).toEqual({
      deadLetterTargetArn: expect.stringContaining("dev-sec-an-analytics-ingest-dlq"),
      maxReceiveCount: 5,
    });
    const esm = resourcesOfType("aws:lambda/eventSourceMapping:EventSourceMapping").find((m) =>
      m.name.includes("analytics-ingestor"),
    )!;
    expect(esm.inputs).toMatchObject({
      batchSize: 10,
      maximumBatchingWindowInSeconds: 5,
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
    const ingestor = resourceNamed("aws:lambda/function:Function", "dev-sec-an-analytics-ingestor-function");
    // The ingestor learns its DLQ and the queue's redrive count (5), so a record failing on its last
    // attempt is dead-lettered with the error rather than redriven without a reason.
    expect(ingestor.inputs.environment.variables).toEqual({
      SEC_AN_APP: "sec-an",
      SEC_AN_STAGE: "dev",
      POWERTOOLS_SERVICE_NAME: "dev-sec-an-analytics-ingestor",
      SEC_AN_ERRORS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:dev-sec-an-errors",
      SEC_AN_DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/dev-sec-an-analytics-ingest-dlq",
      SEC_AN_MAX_RECEIVE_COUNT: "5",
      // The ingest role's index patterns: the alias lookup asks for these only.
      SEC_AN_INGEST_INDEX_PATTERNS: [
        ...registeredTasks(),
        "address_info",
        "resolved_addresses",
        "resolved_hosts",
        "ingest_marker",
      ]
        .sort()
        .map((t) => `${t}_*`)
        .join(","),
    });
    const ingestorStatements = JSON.parse(
      resourceNamed("aws:iam/rolePolicy:RolePolicy", "dev-sec-an-analytics-ingestor-policy").inputs.policy,
    ).Statement as Array<{ Sid?: string }>;
    expect(ingestorStatements.filter((st) => st.Sid === "RejectToDlq")).toEqual([
      {
        Sid: "RejectToDlq",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: "arn:aws:sqs:us-east-1:123456789012:dev-sec-an-analytics-ingest-dlq",
      },
    ]);
    const senders = JSON.parse(
      resourceNamed("aws:sqs/queuePolicy:QueuePolicy", "dev-sec-an-analytics-ingest-senders").inputs.policy,
    );
    expect(senders.Statement[0].Condition.ArnLike["aws:SourceArn"]).toBe(
      "arn:aws:sns:us-east-1:123456789012:dev-sec-an-*",
    );
  });

  it("reports dead letters from the bucket straight to OpenSearch, failures to a terminal queue", () => {
    const note = resourceNamed(
      "aws:s3/bucketNotification:BucketNotification",
      "dev-sec-an-dead-letter-notifications",
    );
    expect(note.inputs.bucket).toBe("dev-sec-an-dead-letters");
    expect(note.inputs.lambdaFunctions).toEqual([
      expect.objectContaining({ events: ["s3:ObjectCreated:*"], filterSuffix: ".json.gz" }),
    ]);
    const perm = resourceNamed("aws:lambda/permission:Permission", "dev-sec-an-dead-letter-reporter-s3");
    expect(perm.inputs).toMatchObject({
      principal: "s3.amazonaws.com",
      sourceArn: "arn:aws:s3:::dev-sec-an-dead-letters",
      sourceAccount: "123456789012",
    });
    const reporter = resourceNamed(
      "aws:lambda/function:Function",
      "dev-sec-an-dead-letter-reporter-function",
    );
    const failed = resourceNamed("aws:sqs/queue:Queue", "dev-sec-an-dead-letter-reporter-failed");
    expect(reporter.inputs.deadLetterConfig.targetArn).toBe(failed.state.arn);
    expect(failed.inputs.redrivePolicy).toBeUndefined();
    const policy = JSON.parse(
      resourceNamed("aws:iam/rolePolicy:RolePolicy", "dev-sec-an-dead-letter-reporter-policy").inputs.policy,
    );
    const sids = policy.Statement.map((s: any) => s.Sid);
    expect(sids).toEqual(expect.arrayContaining(["ReadDeadLetters", "WriteDeadLettersPost"]));
    expect(JSON.stringify(policy)).not.toContain(
      'sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:dev-sec-an-analytics-ingest"',
    );
    expect(
      resourceNamed(
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "dev-sec-an-dead-letter-reporter-async",
      ).inputs.maximumRetryAttempts,
    ).toBe(2);
  });

  it("manages the dead-letter index, its index pattern, the Dead Letters visualisation and FGAC roles through the admin Lambda", () => {
    const ix = invocationSpec("dev-sec-an-platform-views-dead-letter-data-index");
    expect(ix).toMatchObject({ kind: "index", base: "dead_letter_data", forceDestroy: false });
    expect(ix.mappings.properties.sentTime).toEqual({ type: "date" });
    expect(ix.index).toBe(out.deadLetterIndex);
    // The ingestor's latest-scan markers: a plain index (no collection fields, no index pattern).
    const marker = invocationSpec("dev-sec-an-ingest-marker-index-index");
    expect(marker).toMatchObject({ kind: "index", base: "ingest_marker_data" });
    expect(marker.mappings.properties).toEqual({ [IngestFields.generation]: { type: "long" } });
    expect(out.markerIndex).toBe(marker.index);
    expect(
      resourcesOfType("aws:lambda/invocation:Invocation").filter((r) => r.name.includes("ingest-marker")),
    ).toHaveLength(1);
    const pattern = invocationSpec("dev-sec-an-platform-views-dead-letter-data-pattern-object");
    expect(pattern.attributes).toEqual({ title: "dead_letter_data.read", timeFieldName: "sentTime" });
    const vis = invocationSpec("dev-sec-an-platform-views-visualization-dead-letters-object");
    expect(vis.id).toBe(savedObjectId("visualization", "dead-letters"));
    expect(vis.attributes.title).toBe("Dead Letters");
    const visState = JSON.parse(vis.attributes.visState);
    expect(visState.aggs.map((a: any) => [a.type, a.params.field])).toEqual([
      ["count", undefined],
      ["date_histogram", "sentTime"],
      ["terms", "queueName"],
    ]);
    expect(vis.references).toEqual([
      {
        name: "kibanaSavedObjectMeta.searchSourceJSON.index",
        type: "index-pattern",
        id: savedObjectId("index-pattern", "dead_letter_data"),
      },
    ]);
    const ingestRole = invocationSpec("dev-sec-an-fgac-sec-an-ingest");
    expect(ingestRole.permissions.index_permissions[0].allowed_actions).not.toContain("create_index");
    expect(ingestRole.backendRoles).toHaveLength(1);
    expect(invocationSpec("dev-sec-an-fgac-readall")).toEqual({
      kind: "security-role",
      name: "readall",
      backendRoles: ["arn:aws:iam::123456789012:role/dev-sec-an-users"],
    });
    for (const inv of resourcesOfType("aws:lambda/invocation:Invocation"))
      expect(inv.inputs.lifecycleScope).toBe("CRUD");
  });

  it("exports the catalogue parameters", () => {
    const names = resourcesOfType("aws:ssm/parameter:Parameter")
      .map((p) => p.inputs.name)
      .sort();
    expect(names).toEqual(
      [
        Params.ingestQueueArn,
        Params.ingestQueueUrl,
        Params.esEndpointUrl,
        Params.esEndpointArn,
        Params.esAdminFunctionName,
        Params.deadLetterVisId,
        Params.dashboardsTunnelInstanceId,
        Params.esReaderSecurityGroupId,
      ]
        .map((p) => paramName(d, p))
        .sort(),
    );
    const readers = resourcesOfType("aws:ssm/parameter:Parameter").find(
      (p) => p.inputs.name === paramName(d, Params.esReaderSecurityGroupId),
    )!;
    expect(readers.inputs.insecureValue).toBe("dev-sec-an-search-readers-sg-id");
    const vis = resourcesOfType("aws:ssm/parameter:Parameter").find(
      (p) => p.inputs.name === paramName(d, Params.deadLetterVisId),
    )!;
    expect(vis.inputs.insecureValue).toBe(savedObjectId("visualization", "dead-letters"));
  });

  it("lets each principal through the domain policy with only the methods and paths its function uses", () => {
    const [domain] = resourcesOfType("aws:opensearch/domain:Domain");
    const arn = "arn:aws:es:us-east-1:123456789012:domain/dev-sec-an-search";
    const role = (n: string) => resourceNamed("aws:iam/role:Role", `dev-sec-an-${n}-role`).state.arn;
    const users = "arn:aws:iam::123456789012:role/dev-sec-an-users";
    // Every registered scanner task's indices, and the platform's DynamoDB views.
    const tasks = [
      ...registeredTasks(),
      "address_info",
      "resolved_addresses",
      "resolved_hosts",
      "ingest_marker",
    ].sort();
    expect(tasks).toEqual(expect.arrayContaining([NMAP_TASK, SSL_TASK]));
    const deleteByQuery = tasks.map((t) => `${arn}/${t}_*/_delete_by_query`);
    // The alias lookup names the ingest role's patterns only: never the dead letters' aliases.
    const writeAliasLookups = tasks.map((t) => `${arn}/_alias/${t}_*.write`);
    // The admin Lambda manages those indices and the dead-letter index, saved objects, and FGAC roles.
    const sorted = (xs: string[]) => [...xs].sort();
    const indices = sorted([...tasks, "dead_letter"]).map((t) => `${arn}/${t}_*`);
    const alias = (i: string) => i.replace(`${arn}/`, `${arn}/_alias/`);
    const savedObjects = `${arn}/_dashboards/api/saved_objects/*`;
    const allow = (principal: string, methods: string[], paths: string[]) => ({
      Effect: "Allow",
      Principal: { AWS: principal },
      Action: methods.map((m) => `es:ESHttp${m}`),
      Resource: paths,
    });
    expect(JSON.parse(domain.inputs.accessPolicies)).toEqual({
      Version: "2012-10-17",
      Statement: [
        allow(role("opensearch-admin"), ["Get"], sorted([...indices, ...indices.map(alias)])),
        allow(
          role("opensearch-admin"),
          ["Post"],
          sorted([`${arn}/_aliases`, savedObjects, `${arn}/_reindex`, ...indices.map((i) => `${i}/_count`)]),
        ),
        allow(
          role("opensearch-admin"),
          ["Put", "Delete"],
          sorted([
            savedObjects,
            `${arn}/_plugins/_security/api/roles/*`,
            `${arn}/_plugins/_security/api/rolesmapping/*`,
            ...indices,
          ]),
        ),
        allow(role("analytics-ingestor"), ["Get"], writeAliasLookups),
        allow(role("analytics-ingestor"), ["Post"], [`${arn}/_bulk`, `${arn}/_msearch`, ...deleteByQuery]),
        allow(role("dead-letter-reporter"), ["Post"], [`${arn}/_bulk`]),
        // The search reader's role is named by convention: queries of the scanner tasks' indices only.
        allow(
          "arn:aws:iam::123456789012:role/dev-sec-an-search-reader",
          ["Post"],
          sorted(registeredTasks()).map((t) => `${arn}/${t}_*/_search`),
        ),
        allow(users, ["Get", "Head", "Post"], [`${arn}/*`]),
        allow(users, ["Put", "Delete"], [`${arn}/_dashboards/*`]),
      ],
    });
    // The functions' own IAM grants say the same.
    const esStatements = (fn: string) =>
      JSON.parse(resourceNamed("aws:iam/rolePolicy:RolePolicy", `dev-sec-an-${fn}-policy`).inputs.policy)
        .Statement.filter((s: any) => String(s.Action).startsWith("es:"))
        .map((s: any) => [s.Action, s.Resource]);
    expect(esStatements("analytics-ingestor")).toEqual([
      ["es:ESHttpGet", writeAliasLookups],
      ["es:ESHttpPost", [`${arn}/_bulk`, `${arn}/_msearch`, ...deleteByQuery]],
    ]);
    expect(esStatements("dead-letter-reporter")).toEqual([["es:ESHttpPost", [`${arn}/_bulk`]]]);
    expect(esStatements("opensearch-admin")).toEqual(
      ["Get", "Post", "Put", "Delete"].map((m) => [`es:ESHttp${m}`, [`${arn}/*`]]),
    );
  });

  it("maps the ingestor, the reporter and the search reader to their own FGAC roles, each with exactly its calls' actions", () => {
    for (const [name, roleArn] of [
      ["sec-an-ingest", resourceNamed("aws:iam/role:Role", "dev-sec-an-analytics-ingestor-role").state.arn],
      [
        "sec-an-reporter",
        resourceNamed("aws:iam/role:Role", "dev-sec-an-dead-letter-reporter-role").state.arn,
      ],
      // A fixed role name (contracts' searchReaderRoleName), so no lookup of another project's role.
      ["sec-an-search-reader", "arn:aws:iam::123456789012:role/dev-sec-an-search-reader"],
    ] as const) {
      const spec = invocationSpec(`dev-sec-an-fgac-${name}`);
      expect(spec.backendRoles).toEqual([roleArn]);
      const role = access.platformRoles(registeredTasks())[name.replace(/-/g, "_") as RoleName];
      expect(spec.permissions).toEqual(access.rolePermissions(role));
      expect(groups.permissionProblems(spec.permissions, access.roleNeeds(role))).toEqual([]);
    }
  });

  it("passes every policy rule", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });
});

describe("analytics-platform stack config", () => {
  it("has safe defaults and rejects bad values naming the key", () => {
    expect(parseConfig(stackConfig({}), "dev")).toMatchObject({
      engineVersion: "OpenSearch_2.19",
      instanceType: "t3.small.search",
      instanceCount: 1,
      zoneCount: 1,
      volumeSize: 10,
      ingestBatchSize: 10,
    });
    expect(() => parseConfig(stackConfig({ engineVersion: "Elasticsearch_6.3" }), "dev")).toThrow(
      /sec-an-analytics-platform:engineVersion/,
    );
    expect(() => parseConfig(stackConfig({ instanceCount: "3", zoneCount: "2" }), "dev")).toThrow(
      /instanceCount/,
    );
    expect(() => parseConfig(stackConfig({ instanceType: "t2.small.elasticsearch" }), "dev")).toThrow(
      /instanceType/,
    );
    expect(() => parseConfig(stackConfig({ ingestBatchSize: "50" }), "dev")).toThrow(/ingestBatchSize/);
    expect(() => parseConfig(stackConfig({ masterUserArn: "arn:aws:iam::1:user/x" }), "dev")).toThrow(
      /masterUserArn/,
    );
    expect(() => parseConfig(stackConfig({ logRetentionDays: "10" }), "dev")).toThrow(/logRetentionDays/);
  });
});

describe("domain access statements", () => {
  it("give each principal one statement per set of paths, holding every method allowed on exactly those", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { accessStatements } = require("../src/infra/domain") as typeof import("../src/infra/domain");
    const arn = "arn:aws:es:eu-west-2:123456789012:domain/d";
    expect(
      accessStatements(arn, [
        { principal: "p1", http: { GET: ["/a", "/b"], POST: ["/b", "/a"], DELETE: ["/c"] } },
        { principal: "p2", http: { HEAD: [] } },
      ]),
    ).toEqual([
      {
        Effect: "Allow",
        Principal: { AWS: "p1" },
        Action: ["es:ESHttpGet", "es:ESHttpPost"],
        Resource: [`${arn}/a`, `${arn}/b`],
      },
      { Effect: "Allow", Principal: { AWS: "p1" }, Action: ["es:ESHttpDelete"], Resource: [`${arn}/c`] },
    ]);
  });
});

describe("FGAC roles against the security plugin's action groups", () => {
  const { ROLE_CALLS, STORE_CALLS, roleNeeds, rolePermissions } = access;
  const roles = access.platformRoles(registeredTasks());
  const { isClusterAction, permissionProblems, grants, indexMatches } = groups;

  it("puts every call's actions at the level the plugin checks them (msearch and bulk are cluster-level)", () => {
    for (const [name, c] of Object.entries(STORE_CALLS)) {
      expect([name, c.cluster.filter((a) => !isClusterAction(a))]).toEqual([name, []]);
      expect([name, c.index.filter((a) => isClusterAction(a))]).toEqual([name, []]);
    }
    expect(isClusterAction("indices:data/read/msearch")).toBe(true);
    expect(grants(["cluster_composite_ops_ro"], "indices:data/read/msearch")).toBe(true);
    expect(grants(["crud"], "indices:data/read/msearch")).toBe(true); // …but crud is an index grant
  });

  it.each(Object.keys(ROLE_CALLS))("%s: every call is granted, and nothing more", (name) => {
    const role = roles[name as RoleName];
    expect(permissionProblems(rolePermissions(role), roleNeeds(role))).toEqual([]);
  });

  it("finds what the old ingest role lacked (msearch, scroll) and what it granted too widely", () => {
    const old = {
      cluster_permissions: ["indices:data/write/bulk"],
      index_permissions: [{ index_patterns: ["*"], allowed_actions: ["crud", "indices:admin/aliases/get"] }],
    };
    const problems = permissionProblems(old, roleNeeds(roles.sec_an_ingest));
    expect(problems).toEqual(
      expect.arrayContaining([
        "cluster action indices:data/read/msearch is not granted",
        "cluster action indices:data/read/scroll is not granted",
        "index grant indices:data/read* is wider than any call needs",
        "index pattern * is not one of the role's",
      ]),
    );
  });

  it("the ingestor's alias lookup names only the ingest role's patterns, and its access policy allows that path", () => {
    const patterns = roles.sec_an_ingest.indexPatterns;
    const env = { [access.INGEST_INDEX_PATTERNS_ENV]: patterns.join(",") };
    expect(access.ingestIndexPatternsFromEnv(env)).toEqual(patterns);
    const path = access.writeAliasPath(access.ingestIndexPatternsFromEnv(env));
    expect(path).toBe(`/_alias/${patterns.map((p) => `${p}.write`).join(",")}`);
    expect(path).not.toContain("dead_letter");
    // IAM matches a resource's `*` against any characters, commas included.
    const iamMatch = (resource: string, p: string) =>
      new RegExp(`^${resource.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(p);
    const gets = access.roleHttpAccess(roles.sec_an_ingest).GET ?? [];
    expect(gets.some((r) => iamMatch(r, path))).toBe(true);
    expect(gets.some((r) => iamMatch(r, "/_alias/*.write"))).toBe(false);
    expect(() =>
      access.ingestIndexPatternsFromEnv({ [access.INGEST_INDEX_PATTERNS_ENV]: "nmap_*,*" }),
    ).toThrow("not index patterns: *");
    expect(access.ingestIndexPatternsFromEnv({})).toBeUndefined();
  });

  it("names every store method the ingestor and the reporter call (add a call: one line in STORE_CALLS and the role)", () => {
    // Methods that make no HTTP request.
    const local = new Set(["invalidateAliases"]);
    const called = (files: string[]) =>
      new Set(
        files.flatMap((f) =>
          [...readFileSync(join(__dirname, "../src", f), "utf8").matchAll(/\bstore\.(\w+)(?:\?\.)?\(/g)]
            .map((m) => m[1])
            .filter((m) => !local.has(m)),
        ),
      );
    const under = (dir: string) =>
      existsSync(join(__dirname, "../src", dir))
        ? readdirSync(join(__dirname, "../src", dir))
            .filter((f) => f.endsWith(".ts"))
            .map((f) => `${dir}/${f}`)
        : [];
    expect([...called(["ingest.ts", "handlers/ingestor.ts", ...under("ingest")])].sort()).toEqual(
      [...ROLE_CALLS.sec_an_ingest].sort(),
    );
    expect([...called(["reporter.ts", "handlers/dead-letter-reporter.ts"])].sort()).toEqual(
      [...ROLE_CALLS.sec_an_reporter].sort(),
    );
  });

  it("names every search-client method the threat-service worker calls, and its role reads only the scanners' indices", () => {
    const adapters = readFileSync(join(__dirname, "../../threat-service/src/adapters.ts"), "utf8");
    const called = new Set([...adapters.matchAll(/\bthis\.client\.(\w+)\(/g)].map((m) => m[1]));
    expect([...called].sort()).toEqual([...ROLE_CALLS.sec_an_search_reader].sort());
    const reader = roles.sec_an_search_reader.indexPatterns;
    const covered = (index: string) => reader.some((p) => indexMatches(p, index));
    for (const idx of [
      readAlias(indexBase(NMAP_TASK, "ports", "snapshot")),
      readAlias(indexBase(SSL_TASK, "endpoint", "snapshot")),
      readAlias(ConfigFindingsIndex.snapshot),
      readAlias(ConfigFindingsIndex.history),
    ])
      expect([idx, covered(idx)]).toEqual([idx, true]);
    for (const idx of [
      readAlias(indexBase(PlatformIndex.deadLetter.task, PlatformIndex.deadLetter.docType, "")),
      readAlias(indexBase(PlatformIndex.resolvedHosts.task, PlatformIndex.resolvedHosts.docType, "")),
      readAlias(indexBase(IngestMarkerIndex.task, IngestMarkerIndex.docType, "")),
      ".kibana_1",
    ])
      expect([idx, covered(idx)]).toEqual([idx, false]);
  });

  it("names every store method the admin Lambda calls, so its access-policy paths cover them", () => {
    const text = ["admin.ts", "handlers/opensearch-admin.ts"]
      .map((f) => readFileSync(join(__dirname, "../src", f), "utf8"))
      .join("\n");
    const called = new Set([...text.matchAll(/\b(?:admin|store|sec)\.(\w+)\(/g)].map((m) => m[1]));
    expect([...called].sort()).toEqual(Object.keys(access.ADMIN_CALLS).sort());
  });

  it("scopes each role to the platform's index prefixes, derived from contracts' naming", () => {
    expect(registeredTasks()).toEqual(expect.arrayContaining([NMAP_TASK, SSL_TASK]));
    const ingest = roles.sec_an_ingest.indexPatterns;
    const reporter = roles.sec_an_reporter.indexPatterns;
    const covered = (patterns: readonly string[], index: string) =>
      patterns.some((p) => indexMatches(p, index));
    for (const idx of [
      writeAlias(indexBase(NMAP_TASK, "ports", "snapshot")),
      writeAlias(indexBase(SSL_TASK, "ssl_ciphers", "history")),
      `${indexBase(NMAP_TASK, "host", "snapshot")}.v0123456789ab`,
      writeAlias(indexBase(PlatformIndex.addressInfo.task, PlatformIndex.addressInfo.docType, "")),
      writeAlias(indexBase(PlatformIndex.resolvedHosts.task, PlatformIndex.resolvedHosts.docType, "")),
    ])
      expect([idx, covered(ingest, idx), covered(reporter, idx)]).toEqual([idx, true, false]);
    const markers = writeAlias(indexBase(IngestMarkerIndex.task, IngestMarkerIndex.docType, ""));
    expect([covered(ingest, markers), covered(reporter, markers)]).toEqual([true, false]);
    const deadLetters = writeAlias(
      indexBase(PlatformIndex.deadLetter.task, PlatformIndex.deadLetter.docType, ""),
    );
    expect([covered(ingest, deadLetters), covered(reporter, deadLetters)]).toEqual([false, true]);
    for (const other of [".kibana_1", ".opendistro_security", readAlias("other_data"), "security-auditlog-x"])
      expect([other, covered(ingest, other) || covered(reporter, other)]).toEqual([other, false]);
    // A newly registered scanner's indices are covered by the next deploy.
    expect(access.platformRoles(["acme"]).sec_an_ingest.indexPatterns).toContain("acme_*");
  });
});
