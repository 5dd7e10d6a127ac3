/**
 * AWS on-demand list prices the cost model uses, in USD, for us-east-1 (N. Virginia) as published in
 * 2025. Other regions are typically 5–20 % dearer (London, Frankfurt). Free tiers are ignored, so the
 * figures are an upper bound for a small account. Update a price here and every figure follows.
 */
export const HOURS_PER_MONTH = 730;

export const PRICES = {
  region: "us-east-1",
  /** OpenSearch Service data/master node, per hour. */
  openSearchInstanceHour: {
    "t3.small.search": 0.036,
    "t3.medium.search": 0.073,
    "m6g.large.search": 0.128,
    "m7g.large.search": 0.136,
    "r6g.large.search": 0.167,
    "r7g.large.search": 0.167,
    "r6g.xlarge.search": 0.335,
    "r7g.xlarge.search": 0.335,
    "c6g.large.search": 0.113,
  } as Record<string, number>,
  /** OpenSearch gp3 EBS storage, per GiB-month. */
  openSearchGp3GbMonth: 0.122,
  /** Interface VPC endpoint, per endpoint per AZ per hour; and per GB processed. */
  interfaceEndpointAzHour: 0.01,
  interfaceEndpointGb: 0.01,
  /** NAT gateway, per hour and per GB processed. */
  natGatewayHour: 0.045,
  natGatewayGb: 0.045,
  /** EC2 on-demand (tunnel hosts, proxies), per hour. */
  ec2InstanceHour: {
    "t4g.nano": 0.0042,
    "t4g.micro": 0.0084,
    "t4g.small": 0.0168,
    "t3.nano": 0.0052,
    "t3.micro": 0.0104,
  } as Record<string, number>,
  /** Application Load Balancer hour plus one LCU-hour (a lightly used ALB). */
  albHour: 0.0225 + 0.008,
  /** WAFv2: per web ACL per month, per rule per month. */
  wafAclMonth: 5,
  wafRuleMonth: 1,
  kmsKeyMonth: 1,
  secretMonth: 0.4,
  alarmMonth: 0.1,
  /** Fargate Linux, per vCPU-hour and per GiB-hour, by CPU architecture. */
  fargate: {
    X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 },
    ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 },
  } as Record<string, { vcpuHour: number; gbHour: number }>,
  /** Fargate bills at least one minute per task. */
  fargateMinimumSeconds: 60,
  /** Lambda, per GiB-second by architecture, and per request. */
  lambdaGbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 } as Record<string, number>,
  lambdaRequest: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6,
  snsPublish: 0.5 / 1e6,
  /** DynamoDB on demand: per write and read request unit; storage per GB-month. */
  dynamoWrite: 0.625 / 1e6,
  dynamoRead: 0.125 / 1e6,
  dynamoGbMonth: 0.25,
  s3GbMonth: 0.023,
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  logsIngestGb: 0.5,
  logsStoreGbMonth: 0.03,
  /** Data transfer out to the internet (the scan traffic), per GB. */
  transferOutGb: 0.09,
} as const;

export type Prices = typeof PRICES;
