import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "@sec-an/components";
import type { FlowLogTraffic, NatStrategy } from "./config";

/**
 * Interface endpoints private subnets need to run sec-an without a NAT (service name suffixes);
 * ssmmessages and ec2messages carry the Session Manager sessions of the Dashboards tunnel host.
 */
export const INTERFACE_ENDPOINTS = [
  "sqs",
  "sns",
  "ssm",
  "ssmmessages",
  "ec2messages",
  "ecr.api",
  "ecr.dkr",
  "logs",
  "sts",
] as const;
/** Gateway endpoints (free): S3 also serves ECR image layers. */
export const GATEWAY_ENDPOINTS = ["s3", "dynamodb"] as const;

export interface NetworkArgs {
  cidrBlock: string;
  azCount: number;
  natStrategy: NatStrategy;
  interfaceEndpoints: boolean;
  /** Further interface endpoints a configured feature needs (e.g. `secretsmanager` for the Redis bridge's token). */
  extraInterfaceEndpoints?: readonly string[];
  /** VPC flow logs to CloudWatch: REJECT (default; small), ALL (scanner traffic makes this large) or NONE. */
  flowLogTraffic: FlowLogTraffic;
  flowLogRetentionDays: number;
  tags: Record<string, string>;
}

/** Prefix length of the VPC CIDR. */
const prefixOf = (cidr: string) => Number(cidr.split("/")[1]);

/**
 * The VPC: public and private subnets in `azCount` AZs (awsx), no NAT by default, and VPC endpoints
 * so private subnets reach SQS/SNS/SSM/ECR/logs/STS/S3/DynamoDB without one.
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpc: awsx.ec2.Vpc;
  public readonly endpointSecurityGroup: aws.ec2.SecurityGroup;
  public readonly vpcId: pulumi.Output<string>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:shared:Network", name, {}, opts);
    const parent = { parent: this };
    const prefix = prefixOf(args.cidrBlock);

    this.vpc = new awsx.ec2.Vpc(
      name,
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: args.azCount,
        enableDnsHostnames: true, // private DNS of interface endpoints needs both
        enableDnsSupport: true,
        natGateways: { strategy: args.natStrategy },
        subnetStrategy: "Auto",
        // Per AZ: a private subnet of 1/8 of the VPC and a public one of 1/16 (a /16 gives /19 and /20).
        subnetSpecs: [
          { type: "Public", cidrMask: prefix + 4 },
          { type: "Private", cidrMask: prefix + 3 },
        ],
        tags: args.tags,
      },
      parent,
    );
    this.vpcId = this.vpc.vpcId;
    this.publicSubnetIds = this.vpc.publicSubnetIds;
    this.privateSubnetIds = this.vpc.privateSubnetIds;

    this.endpointSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId: this.vpcId,
        description: "HTTPS from inside the VPC to the interface VPC endpoints",
        ingress: [
          {
            description: "HTTPS from the VPC",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: [args.cidrBlock],
          },
        ],
        egress: [], // endpoints only answer; no rule needed for replies
        tags: { ...args.tags, Name: `${name}-endpoints` },
      },
      parent,
    );

    // Adopt the VPC's default security group with no rules, so nothing lands in an allow-all group by accident.
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default`,
      { vpcId: this.vpcId, ingress: [], egress: [], tags: { ...args.tags, Name: `${name}-default-deny` } },
      parent,
    );

    const region = aws.getRegionOutput({}, parent).region;
    // awsx returns aws.ec2.RouteTable references; take their ids (public tables too, so public-subnet tasks use the free path).
    const routeTableIds = this.vpc.routeTables.apply((tables) => pulumi.all(tables.map((t) => t.id)));
    for (const svc of GATEWAY_ENDPOINTS) {
      new aws.ec2.VpcEndpoint(
        `${name}-${svc}`,
        {
          vpcId: this.vpcId,
          serviceName: pulumi.interpolate`com.amazonaws.${region}.${svc}`,
          vpcEndpointType: "Gateway",
          routeTableIds,
          tags: { ...args.tags, Name: `${name}-${svc}` },
        },
        parent,
      );
    }
    if (args.interfaceEndpoints) {
      for (const svc of [...INTERFACE_ENDPOINTS, ...(args.extraInterfaceEndpoints ?? [])]) {
        new aws.ec2.VpcEndpoint(
          `${name}-${svc.replace(".", "-")}`,
          {
            vpcId: this.vpcId,
            serviceName: pulumi.interpolate`com.amazonaws.${region}.${svc}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: this.privateSubnetIds,
            securityGroupIds: [this.endpointSecurityGroup.id],
            tags: { ...args.tags, Name: `${name}-${svc}` },
          },
          parent,
        );
      }
    }

    if (args.flowLogTraffic !== "NONE") this.flowLogs(name, args);

    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }

  private flowLogs(name: string, args: NetworkArgs): void {
    const parent = { parent: this };
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const group = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { name: `/sec-an/vpc/${name}/flow-logs`, retentionInDays: args.flowLogRetentionDays, tags: args.tags },
      parent,
    );
    const role = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "vpc-flow-logs.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ],
        }),
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: role.id,
        policy: policyDocument([
          {
            Sid: "WriteFlowLogs",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [group.arn, pulumi.interpolate`${group.arn}:log-stream:*`],
          },
        ]),
      },
      parent,
    );
    new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId: this.vpcId,
        trafficType: args.flowLogTraffic,
        logDestinationType: "cloud-watch-logs",
        logDestination: group.arn,
        iamRoleArn: role.arn,
        maxAggregationInterval: 600,
        tags: args.tags,
      },
      parent,
    );
  }
}
