import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "@sec-an/components";

/**
 * Tag naming why a security group may reach the domain's HTTPS port; the `domain-reach` policy rule
 * admits only these roles, so a new client of the domain is a visible, reviewed change.
 */
export const DOMAIN_CLIENT_TAG = "sec-an:domain-client";
export type DomainClientRole =
  "analytics-lambdas" | "dashboards-tunnel" | "dashboards-proxy" | "search-readers";
export const domainClientTag = (role: DomainClientRole) => ({ [DOMAIN_CLIENT_TAG]: role });

/**
 * The group other projects' read-only search functions join (its id is published in SSM) so the
 * domain admits them. It has no rules of its own: it only names its members as domain clients, and
 * each member's own group decides where it may connect. What they may read is the FGAC reader role's.
 */
export function searchReadersGroup(
  name: string,
  args: { vpcId: pulumi.Input<string>; tags: Record<string, string> },
  opts?: pulumi.CustomResourceOptions,
): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(
    name,
    {
      vpcId: args.vpcId,
      description: "Read-only search functions of other projects: admitted to the domain's HTTPS",
      ingress: [],
      egress: [],
      tags: { ...args.tags, ...domainClientTag("search-readers"), Name: name },
    },
    opts,
  );
}

/**
 * Latest Amazon Linux 2023 for Graviton, which ships the SSM agent. EC2 resolves the public parameter
 * when it launches the host, so the program reads nothing outside the catalogue at deploy time.
 */
export const AL2023_ARM64_IMAGE =
  "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";

/**
 * What the SSM agent needs to register and carry sessions (the agent part of AmazonSSMManagedInstanceCore,
 * without its parameter, document and S3 reads). None of these actions has resource-level permissions.
 */
export const SSM_AGENT_ACTIONS = [
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
] as const;

export interface PrivateHostArgs {
  vpcId: pulumi.Input<string>;
  /** Private subnets; the host runs in the first. */
  subnetIds: pulumi.Input<string[]>;
  instanceType: string;
  role: DomainClientRole;
  description: string;
  /** Inbound rules (none for the tunnel host: Session Manager connections are outbound from the agent). */
  ingress?: pulumi.Input<aws.types.input.ec2.SecurityGroupIngress>[];
  userData?: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * A small EC2 host in a private subnet reachable only through Session Manager: no public IP, no key
 * pair, IMDSv2 only, encrypted root volume, and an instance role that lets the SSM agent connect and
 * nothing else. Its security group is tagged as a client of the domain.
 */
export class PrivateHost extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly instance: aws.ec2.Instance;
  readonly role: aws.iam.Role;

  constructor(name: string, args: PrivateHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:analytics:PrivateHost", name, {}, opts);
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: args.description,
        ingress: args.ingress ?? [],
        // The domain and the Session Manager endpoints (or, through a NAT, the regional service) are HTTPS.
        egress: [
          { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS" },
        ],
        tags: { ...args.tags, ...domainClientTag(args.role), Name: `${name}-sg` },
      },
      parent,
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Instance role of ${name}: the SSM agent only`,
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "ec2.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ],
        }),
        tags: args.tags,
      },
      parent,
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-ssm-agent`,
      {
        role: this.role.id,
        policy: policyDocument([{ Sid: "SsmAgent", Action: [...SSM_AGENT_ACTIONS], Resource: "*" }]),
      },
      parent,
    );
    const profile = new aws.iam.InstanceProfile(
      `${name}-profile`,
      { role: this.role.name, tags: args.tags },
      parent,
    );
    const template = new aws.ec2.LaunchTemplate(
      `${name}-template`,
      {
        description: `Image of ${name}`,
        imageId: AL2023_ARM64_IMAGE,
        updateDefaultVersion: true,
        tags: args.tags,
      },
      parent,
    );
    this.instance = new aws.ec2.Instance(
      name,
      {
        launchTemplate: { id: template.id, version: "$Default" },
        instanceType: args.instanceType,
        subnetId: pulumi.output(args.subnetIds).apply((s) => s[0]),
        vpcSecurityGroupIds: [this.securityGroup.id],
        iamInstanceProfile: profile.name,
        associatePublicIpAddress: false,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { encrypted: true, volumeType: "gp3", deleteOnTermination: true },
        userData: args.userData,
        userDataReplaceOnChange: true,
        tags: { ...args.tags, Name: name },
        volumeTags: args.tags,
      },
      { parent: this, dependsOn: [policy] },
    );
    this.registerOutputs({ instanceId: this.instance.id, securityGroupId: this.securityGroup.id });
  }
}

export interface DashboardsTunnelArgs {
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string[]>;
  /** Default t4g.nano: the host only relays one TCP stream per session. */
  instanceType?: string;
  tags: Record<string, string>;
}

/**
 * The default way in: `sec-an dashboards` forwards a local port through Session Manager to the
 * domain's endpoint via this host. Nothing listens on it; who may start a session is IAM's decision
 * (`ssm:StartSession` on the instance and the port-forwarding document).
 */
export function dashboardsTunnel(
  name: string,
  args: DashboardsTunnelArgs,
  opts?: pulumi.ComponentResourceOptions,
) {
  return new PrivateHost(
    name,
    {
      vpcId: args.vpcId,
      subnetIds: args.subnetIds,
      instanceType: args.instanceType ?? "t4g.nano",
      role: "dashboards-tunnel",
      description: "Dashboards tunnel host: no inbound; HTTPS out to the domain and Session Manager",
      tags: args.tags,
    },
    opts,
  );
}
