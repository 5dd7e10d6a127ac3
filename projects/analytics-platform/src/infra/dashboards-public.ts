import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Params, resourcePrefix, type Deployment } from "@sec-an/contracts";
import { ssmParam, tlsOnlyPolicy } from "@sec-an/components";
import { ConfigError } from "../stack-config";
import { PrivateHost } from "./dashboards-access";

/** TLS 1.2 and 1.3, forward-secret ciphers only. */
export const ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** AWS managed rule groups of the optional web ACL: common exploits, known bad inputs, IP reputation. */
export const WAF_MANAGED_RULE_GROUPS = [
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesKnownBadInputsRuleSet",
  "AWSManagedRulesAmazonIpReputationList",
] as const;
/** Days the load balancer's access logs are kept. */
export const ACCESS_LOG_DAYS = 90;

export interface PublicDashboardsArgs {
  /** Physical name prefix (`${stage}-${app}`). */
  prefix: string;
  /** Public DNS name people open (its record points at the load balancer; not managed here). */
  domainName: string;
  /** ACM certificate for `domainName`, in this region. */
  certificateArn: string;
  waf: boolean;
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string[]>;
  privateSubnetIds: pulumi.Input<string[]>;
  /**
   * The domain's endpoint host. This component is built before the domain (the domain admits the
   * proxy's security group), so the program hands it a deferred output it resolves afterwards.
   */
  domainHost: pulumi.Input<string>;
  proxyInstanceType: string;
  userPoolId: pulumi.Input<string>;
  userPoolArn: pulumi.Input<string>;
  /** Hosted-UI domain prefix of the user pool. */
  userPoolDomain: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * nginx on the proxy host: `/_dashboards` goes to the domain, the user pool's hosted-UI paths go to
 * Cognito, and redirects and cookies naming either host are rewritten to the public name, so the
 * domain's own Cognito sign-in works through this one name. Only the load balancer connects to it.
 */
export function proxyUserData(o: { domainHost: string; cognitoHost: string; publicHost: string }): string {
  for (const h of Object.values(o))
    if (!/^[a-z0-9.-]+$/i.test(h)) throw new Error(`not a host name: ${JSON.stringify(h)}`);
  const upstream = (host: string) => `
    proxy_pass https://${host};
    proxy_ssl_server_name on;
    proxy_ssl_name ${host};
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate /etc/pki/tls/certs/ca-bundle.crt;
    proxy_set_header Host ${host};
    proxy_redirect https://${o.domainHost} https://${o.publicHost};
    proxy_redirect https://${o.cognitoHost} https://${o.publicHost};
    proxy_cookie_domain ${host} ${o.publicHost};`;
  const conf = `server {
  listen 443 ssl;
  ssl_certificate /etc/nginx/proxy.crt;
  ssl_certificate_key /etc/nginx/proxy.key;
  location = /health { return 200 "ok"; }
  location = / { return 302 /_dashboards/; }
  location /_dashboards {${upstream(o.domainHost)}
  }
  location ~ ^/(login|logout|oauth2/authorize|oauth2/token|forgot|confirm|signup|mfa|error|static|saml2) {${upstream(o.cognitoHost)}
  }
}
`;
  return `#!/bin/bash
set -euo pipefail
dnf install -y nginx
# Self-signed: the load balancer does not validate its targets' certificates; only it connects here.
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=dashboards-proxy" \\
  -keyout /etc/nginx/proxy.key -out /etc/nginx/proxy.crt
cat > /etc/nginx/conf.d/dashboards.conf <<'NGINX'
${conf}NGINX
systemctl enable --now nginx
`;
}

/**
 * The optional public entry: an internet-facing ALB (HTTPS only, TLS 1.3 policy, HTTP redirected)
 * whose listener signs people in against the user pool before forwarding to the proxy host in the
 * private subnets; access logs in an encrypted bucket; an optional WAF web ACL.
 */
export class PublicDashboards extends pulumi.ComponentResource {
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly logBucket: aws.s3.Bucket;
  readonly client: aws.cognito.UserPoolClient;
  readonly webAcl?: aws.wafv2.WebAcl;
  readonly proxy: PrivateHost;

  constructor(name: string, args: PublicDashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:analytics:PublicDashboards", name, {}, opts);
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const region = aws.getRegionOutput({}, parent).region;
    const elbAccount = aws.elb.getServiceAccountOutput({}, parent).arn;

    this.logBucket = new aws.s3.Bucket(
      `${name}-logs`,
      { bucket: `${args.prefix}-dashboards-alb-logs`, tags: args.tags },
      parent,
    );
    const bucket = this.logBucket.bucket;
    new aws.s3.BucketPublicAccessBlock(
      `${name}-logs-pab`,
      {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-logs-ownership`,
      { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    // Load-balancer log delivery supports SSE-S3 only.
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-logs-sse`,
      { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      parent,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-logs-lifecycle`,
      {
        bucket,
        rules: [
          {
            id: "expire-access-logs",
            status: "Enabled",
            filter: {},
            expiration: { days: ACCESS_LOG_DAYS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      parent,
    );
    const logPolicy = new aws.s3.BucketPolicy(
      `${name}-logs-policy`,
      {
        bucket,
        policy: pulumi
          .all([this.logBucket.arn, account, elbAccount])
          .apply(([arn, acct, elb]) => JSON.stringify(accessLogBucketPolicy(arn, acct, elb))),
      },
      parent,
    );

    const albSg = new aws.ec2.SecurityGroup(
      `${name}-alb-sg`,
      {
        vpcId: args.vpcId,
        description: "Public Dashboards load balancer: HTTPS (and HTTP to redirect) in, HTTPS to the proxy",
        ingress: [
          {
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
            ipv6CidrBlocks: ["::/0"],
            description: "HTTPS",
          },
          {
            protocol: "tcp",
            fromPort: 80,
            toPort: 80,
            cidrBlocks: ["0.0.0.0/0"],
            ipv6CidrBlocks: ["::/0"],
            description: "HTTP, redirected",
          },
        ],
        // Sign-in reaches Cognito's token endpoint over the internet; targets are in the VPC.
        egress: [
          { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS" },
        ],
        tags: { ...args.tags, Name: `${name}-alb-sg` },
      },
      parent,
    );
    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        name: `${args.prefix}-dash`.slice(0, 32),
        internal: false,
        loadBalancerType: "application",
        subnets: args.publicSubnetIds,
        securityGroups: [albSg.id],
        dropInvalidHeaderFields: true,
        accessLogs: { bucket, enabled: true },
        tags: args.tags,
      },
      { parent: this, dependsOn: [logPolicy] },
    );
    this.proxy = new PrivateHost(
      `${name}-proxy`,
      {
        vpcId: args.vpcId,
        subnetIds: args.privateSubnetIds,
        instanceType: args.proxyInstanceType,
        role: "dashboards-proxy",
        description: "Public Dashboards proxy: HTTPS from its load balancer only, HTTPS out to the domain",
        ingress: [
          {
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            securityGroups: [albSg.id],
            description: "HTTPS from the load balancer",
          },
        ],
        userData: pulumi
          .all([args.domainHost, args.userPoolDomain, region])
          .apply(([domainHost, pool, reg]) =>
            proxyUserData({
              domainHost,
              cognitoHost: `${pool}.auth.${reg}.amazoncognito.com`,
              publicHost: args.domainName,
            }),
          ),
        tags: args.tags,
      },
      parent,
    );
    const targets = new aws.lb.TargetGroup(
      `${name}-proxy`,
      {
        port: 443,
        protocol: "HTTPS",
        targetType: "instance",
        vpcId: args.vpcId,
        healthCheck: { protocol: "HTTPS", path: "/health", matcher: "200" },
        tags: args.tags,
      },
      parent,
    );
    new aws.lb.TargetGroupAttachment(
      `${name}-proxy`,
      { targetGroupArn: targets.arn, targetId: this.proxy.instance.id, port: 443 },
      parent,
    );

    // The load balancer's own Cognito client: a secret, the code flow, and only its callback.
    this.client = new aws.cognito.UserPoolClient(
      `${name}-client`,
      {
        name: `${args.prefix}-dashboards-alb`,
        userPoolId: args.userPoolId,
        generateSecret: true,
        preventUserExistenceErrors: "ENABLED",
        allowedOauthFlowsUserPoolClient: true,
        allowedOauthFlows: ["code"],
        allowedOauthScopes: ["openid", "email"],
        callbackUrls: [`https://${args.domainName}/oauth2/idpresponse`],
        supportedIdentityProviders: ["COGNITO"],
        explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
      },
      parent,
    );
    new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: ALB_TLS_POLICY,
        certificateArn: args.certificateArn,
        defaultActions: [
          {
            type: "authenticate-cognito",
            order: 1,
            authenticateCognito: {
              userPoolArn: args.userPoolArn,
              userPoolClientId: this.client.id,
              userPoolDomain: args.userPoolDomain,
              onUnauthenticatedRequest: "authenticate",
              sessionTimeout: 8 * 3600,
            },
          },
          { type: "forward", order: 2, targetGroupArn: targets.arn },
        ],
        tags: args.tags,
      },
      parent,
    );
    new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [
          { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
        ],
        tags: args.tags,
      },
      parent,
    );

    if (args.waf) {
      this.webAcl = new aws.wafv2.WebAcl(
        `${name}-waf`,
        {
          name: `${args.prefix}-dashboards`,
          scope: "REGIONAL",
          defaultAction: { allow: {} },
          rules: WAF_MANAGED_RULE_GROUPS.map((group, i) => ({
            name: group,
            priority: i,
            overrideAction: { none: {} },
            statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
            visibilityConfig: {
              cloudwatchMetricsEnabled: true,
              metricName: group,
              sampledRequestsEnabled: true,
            },
          })),
          visibilityConfig: {
            cloudwatchMetricsEnabled: true,
            metricName: `${args.prefix}-dashboards`,
            sampledRequestsEnabled: true,
          },
          tags: args.tags,
        },
        parent,
      );
      new aws.wafv2.WebAclAssociation(
        `${name}-waf`,
        { resourceArn: this.loadBalancer.arn, webAclArn: this.webAcl.arn },
        parent,
      );
    }
    this.registerOutputs({
      dnsName: this.loadBalancer.dnsName,
      url: `https://${args.domainName}/_dashboards/`,
    });
  }
}

/**
 * Access-log bucket policy: TLS only, and log delivery writes under this account's prefix only, as the
 * region's ELB account (regions before 2022) or the log-delivery service (newer regions).
 */
export function accessLogBucketPolicy(bucketArn: string, account: string, elbAccountArn: string) {
  const logs = `${bucketArn}/AWSLogs/${account}/*`;
  return {
    Version: "2012-10-17",
    Statement: [
      ...(JSON.parse(tlsOnlyPolicy(bucketArn)) as { Statement: object[] }).Statement,
      {
        Sid: "ElbAccountDelivers",
        Effect: "Allow",
        Principal: { AWS: elbAccountArn },
        Action: "s3:PutObject",
        Resource: logs,
      },
      {
        Sid: "LogDeliveryServiceDelivers",
        Effect: "Allow",
        Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: logs,
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ],
  };
}

export interface PublicDashboardsConfig {
  readonly domainName: string;
  readonly certificateArn: string;
  readonly waf?: boolean;
  readonly proxyInstanceType?: string;
}

/**
 * The proxy fetches Cognito's hosted UI from a private subnet, so those subnets need a NAT. shared-infra
 * refuses private subnets for workloads without one, so its "using private subnets" parameter says there is.
 */
export function requireNat(usingPrivateSubnets: string): void {
  if (usingPrivateSubnets !== "true")
    throw new ConfigError(
      "publicDashboards",
      "needs shared-infra's private subnets behind a NAT (its natStrategy Single or OnePerAz, usePrivateSubnets true): the proxy reaches Cognito's hosted UI through it",
    );
}

/**
 * The public entry as the program builds it: reads the shared VPC and user-pool parameters, and
 * returns the setter that hands it the domain's endpoint once the domain exists.
 */
export function publicDashboards(
  name: string,
  cfg: PublicDashboardsConfig,
  ctx: {
    deployment: Deployment;
    vpcId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    tags: Record<string, string>;
  },
): { entry: PublicDashboards; setDomainHost: (host: pulumi.Output<string>) => void } {
  const d = ctx.deployment;
  const [domainHost, setDomainHost] = pulumi.deferredOutput<string>();
  const entry = new PublicDashboards(name, {
    prefix: resourcePrefix(d),
    domainName: cfg.domainName,
    certificateArn: cfg.certificateArn,
    waf: cfg.waf ?? false,
    proxyInstanceType: cfg.proxyInstanceType ?? "t4g.nano",
    vpcId: ctx.vpcId,
    publicSubnetIds: ssmParam(d, Params.vpcSubnetsPublic).apply((s) => s.split(",").filter(Boolean)),
    // Checked where the subnets are used: a preview fails here before any resource is planned on them.
    privateSubnetIds: pulumi
      .all([ctx.privateSubnetIds, ssmParam(d, Params.vpcUsingPrivateSubnets)])
      .apply(([ids, using]) => {
        requireNat(using);
        return ids;
      }),
    domainHost,
    userPoolId: ssmParam(d, Params.cognitoUserPool),
    userPoolArn: ssmParam(d, Params.cognitoUserPoolArn),
    userPoolDomain: ssmParam(d, Params.cognitoUserPoolDomain),
    tags: ctx.tags,
  });
  return { entry, setDomainHost };
}
