import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HTTP_METHODS, esHttpAction, type HttpMethod } from "./access";

/** What one IAM principal may send through the domain's access policy (FGAC then decides per index). */
export interface DomainAccess {
  principal: pulumi.Input<string>;
  /** Domain-relative resource paths (`/*` is everything) each HTTP method is allowed on. */
  http: Partial<Record<HttpMethod, readonly string[]>>;
}

export interface SearchDomainArgs {
  /** Physical domain name (3..28 lower-case letters, digits, hyphens). */
  domainName: string;
  engineVersion: string;
  instanceType: string;
  instanceCount: number;
  zoneCount: number;
  volumeSize: number;
  vpcId: pulumi.Input<string>;
  /** Private subnets (at least `zoneCount`); the first `zoneCount` are used. */
  subnetIds: pulumi.Input<string[]>;
  /** Security groups of the clients (tagged domain clients) allowed to reach HTTPS. */
  clientSecurityGroupIds: pulumi.Input<string>[];
  masterUserArn: pulumi.Input<string>;
  /** Each principal allowed through the domain policy, with only the methods and paths it uses. */
  access: readonly DomainAccess[];
  cognito: { userPoolId: pulumi.Input<string>; identityPoolId: pulumi.Input<string> };
  logRetentionDays: number;
  tags?: Record<string, string>;
}

const LOG_TYPES = ["AUDIT_LOGS", "ES_APPLICATION_LOGS", "SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS"] as const;

/**
 * The OpenSearch domain: VPC-only in private subnets, encrypted at rest and node to node, HTTPS with
 * TLS 1.2+ (PFS), fine-grained access control with an IAM master user, Cognito sign-in for Dashboards,
 * and audit, error and slow logs in CloudWatch.
 */
export class SearchDomain extends pulumi.ComponentResource {
  readonly domain: aws.opensearch.Domain;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly cognitoRole: aws.iam.Role;
  readonly endpoint: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: SearchDomainArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:analytics:SearchDomain", name, {}, opts);
    if (!/^[a-z][a-z0-9-]{2,27}$/.test(args.domainName))
      throw new Error(
        `OpenSearch domain name ${JSON.stringify(args.domainName)} must be 3..28 of a-z 0-9 - starting with a letter`,
      );
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const region = aws.getRegionOutput({}, parent).region;
    const partition = aws.getPartitionOutput({}, parent).partition;

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: `HTTPS to ${args.domainName} from its tagged clients only`,
        ingress: [
          {
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            securityGroups: args.clientSecurityGroupIds,
            description: "HTTPS from the domain clients",
          },
        ],
        egress: [],
        tags: args.tags,
      },
      parent,
    );

    const logGroups = LOG_TYPES.map(
      (t) =>
        [
          t,
          new aws.cloudwatch.LogGroup(
            `${name}-${t.toLowerCase().replace(/_/g, "-")}`,
            {
              name: `/aws/opensearch/${args.domainName}/${t.toLowerCase()}`,
              retentionInDays: args.logRetentionDays,
              tags: args.tags,
            },
            parent,
          ),
        ] as const,
    );
    // OpenSearch Service writes the logs; only for this account's domains (confused-deputy guard).
    const logPolicy = new aws.cloudwatch.LogResourcePolicy(
      `${name}-logs-policy`,
      {
        policyName: `${args.domainName}-logs`,
        policyDocument: pulumi
          .all([pulumi.all(logGroups.map(([, g]) => g.arn)), account, region, partition])
          .apply(([arns, acct, reg, part]) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { Service: "es.amazonaws.com" },
                  Action: ["logs:PutLogEvents", "logs:CreateLogStream"],
                  Resource: arns.map((a) => `${a}:*`),
                  Condition: {
                    StringEquals: { "aws:SourceAccount": acct },
                    ArnLike: { "aws:SourceArn": `arn:${part}:es:${reg}:${acct}:domain/${args.domainName}` },
                  },
                },
              ],
            }),
          ),
      },
      parent,
    );

    this.cognitoRole = new aws.iam.Role(
      `${name}-cognito-role`,
      {
        description: `Lets OpenSearch Service configure Cognito sign-in for ${args.domainName}`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "opensearchservice.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
          ],
        }),
        tags: args.tags,
      },
      parent,
    );
    const cognitoAccess = new aws.iam.RolePolicyAttachment(
      `${name}-cognito-access`,
      {
        role: this.cognitoRole.name,
        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonOpenSearchServiceCognitoAccess`,
      },
      parent,
    );

    const domainArn = pulumi.interpolate`arn:${partition}:es:${region}:${account}:domain/${args.domainName}`;
    const accessPolicies = pulumi
      .all([domainArn, pulumi.all(args.access.map((a) => a.principal))])
      .apply(([arn, principals]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: accessStatements(
            arn,
            args.access.map((a, i) => ({ principal: principals[i], http: a.http })),
          ),
        }),
      );

    this.domain = new aws.opensearch.Domain(
      name,
      {
        domainName: args.domainName,
        engineVersion: args.engineVersion,
        clusterConfig: {
          instanceType: args.instanceType,
          instanceCount: args.instanceCount,
          zoneAwarenessEnabled: args.zoneCount > 1,
          zoneAwarenessConfig: args.zoneCount > 1 ? { availabilityZoneCount: args.zoneCount } : undefined,
        },
        ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: args.volumeSize },
        vpcOptions: {
          subnetIds: pulumi.output(args.subnetIds).apply((s) => s.slice(0, args.zoneCount)),
          securityGroupIds: [this.securityGroup.id],
        },
        encryptAtRest: { enabled: true },
        nodeToNodeEncryption: { enabled: true },
        domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
        advancedSecurityOptions: {
          enabled: true,
          internalUserDatabaseEnabled: false,
          masterUserOptions: { masterUserArn: args.masterUserArn },
        },
        cognitoOptions: {
          enabled: true,
          userPoolId: args.cognito.userPoolId,
          identityPoolId: args.cognito.identityPoolId,
          roleArn: this.cognitoRole.arn,
        },
        logPublishingOptions: logGroups.map(([logType, g]) => ({
          logType,
          cloudwatchLogGroupArn: g.arn,
          enabled: true,
        })),
        accessPolicies,
        softwareUpdateOptions: { autoSoftwareUpdateEnabled: true },
        tags: args.tags,
      },
      { parent: this, dependsOn: [logPolicy, cognitoAccess] },
    );
    this.endpoint = pulumi.interpolate`https://${this.domain.endpoint}`;
    this.arn = this.domain.arn;
    this.registerOutputs({ domain: this.domain, endpoint: this.endpoint, arn: this.arn });
  }
}

/**
 * Access-policy statements: per principal, one statement per distinct set of paths, holding every
 * method allowed on exactly those paths. Pure, so a test can assert the exact document.
 */
export function accessStatements(
  domainArn: string,
  access: ReadonlyArray<{ principal: string; http: DomainAccess["http"] }>,
): Array<{ Effect: "Allow"; Principal: { AWS: string }; Action: string[]; Resource: string[] }> {
  const out: ReturnType<typeof accessStatements> = [];
  for (const { principal, http } of access) {
    const byPaths = new Map<string, HttpMethod[]>();
    for (const m of HTTP_METHODS) {
      const paths = http[m];
      if (!paths?.length) continue;
      const key = JSON.stringify([...new Set(paths)].sort());
      byPaths.set(key, [...(byPaths.get(key) ?? []), m]);
    }
    for (const [key, methods] of byPaths)
      out.push({
        Effect: "Allow",
        Principal: { AWS: principal },
        Action: methods.map(esHttpAction),
        Resource: (JSON.parse(key) as string[]).map((p) => `${domainArn}${p}`),
      });
  }
  return out;
}
