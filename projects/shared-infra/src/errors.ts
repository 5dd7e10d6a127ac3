import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ErrorChannelEnv,
  errorsTopicName,
  type Deployment,
  type RedisBridgeSettings,
} from "@sec-an/contracts";
import { LambdaFunction, ServiceQueue, Topic, type PolicyStatement } from "@sec-an/components";

/** The bridge's stack config: where Redis is, and the CIDR its security group may reach it in. */
export interface RedisBridgeConfig extends RedisBridgeSettings {
  /** CIDR holding the Redis endpoint (default the VPC's): the bridge's only egress besides the VPC endpoints. */
  cidr?: string;
}

export interface ErrorChannelArgs {
  readonly deployment: Deployment;
  /** Publish every error event to Redis too; without it only the topic is created. */
  readonly redis?: RedisBridgeConfig;
  readonly vpcId: pulumi.Input<string>;
  readonly vpcCidr: string;
  /** Subnets the bridge runs in (private: Redis is inside the VPC). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security group of the interface endpoints (SQS for its dead letters, Secrets Manager for the token). */
  readonly endpointSecurityGroupId: pulumi.Input<string>;
  readonly deadLetterBucketArn: pulumi.Input<string>;
  readonly tags?: Record<string, string>;
}

/**
 * The errors topic every platform function publishes its failures to (encrypted, at the name every
 * function's role is granted), and, when the stack names a Redis endpoint, the bridge that republishes
 * each event on `${container}:${service}`.
 */
export class ErrorChannel extends pulumi.ComponentResource {
  public readonly topic: Topic;
  public readonly arn: pulumi.Output<string>;
  public readonly bridge?: RedisBridge;

  constructor(name: string, args: ErrorChannelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:shared:ErrorChannel", name, {}, opts);
    this.topic = new Topic(
      `${name}-topic`,
      { topicName: errorsTopicName(args.deployment), tags: args.tags },
      { parent: this },
    );
    this.arn = this.topic.arn;
    if (args.redis)
      this.bridge = new RedisBridge(
        `${name}-redis`,
        { ...args, redis: args.redis, topic: this.topic },
        { parent: this },
      );
    this.registerOutputs({ topic: this.topic, arn: this.arn });
  }
}

export interface RedisBridgeArgs extends ErrorChannelArgs {
  readonly redis: RedisBridgeConfig;
  readonly topic: Topic;
}

/** Errors topic → queue (with its DLQ) → bridge Lambda in the VPC → Redis PUBLISH. */
export class RedisBridge extends pulumi.ComponentResource {
  public readonly queue: ServiceQueue;
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly function: LambdaFunction;

  constructor(name: string, args: RedisBridgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:shared:RedisBridge", name, {}, opts);
    const parent = { parent: this };
    const r = args.redis;
    const timeout = 30;
    this.queue = new ServiceQueue(
      name,
      {
        deployment: args.deployment,
        consumerTimeout: timeout,
        snsTopicArns: [args.topic.arn],
        deadLetterBucketArn: args.deadLetterBucketArn,
        tags: args.tags,
      },
      parent,
    );
    args.topic.subscribeQueue("redis-bridge", this.queue, { rawMessageDelivery: true });

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: "Redis error bridge: out to Redis and the VPC endpoints only",
        ingress: [],
        egress: [
          {
            description: "Redis",
            protocol: "tcp",
            fromPort: r.port,
            toPort: r.port,
            cidrBlocks: [r.cidr ?? args.vpcCidr],
          },
          {
            description: "VPC endpoints (SQS dead letters, Secrets Manager)",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            securityGroups: [args.endpointSecurityGroupId],
          },
        ],
        tags: { ...args.tags, Name: `${name}-sg` },
      },
      parent,
    );

    const statements: pulumi.Input<PolicyStatement>[] = [this.queue.deadLetterStatement()];
    if (r.authSecretArn)
      statements.push({
        Sid: "ReadRedisToken",
        Action: "secretsmanager:GetSecretValue",
        Resource: r.authSecretArn,
      });
    this.function = new LambdaFunction(
      name,
      {
        entry: require.resolve("@sec-an/runtime/handlers/redis-bridge"),
        description: "Republishes platform error events to Redis pub/sub",
        timeout,
        deployment: args.deployment,
        // Its own failures are not error events (they would loop through an unreachable Redis).
        errorChannel: false,
        environment: {
          ...this.queue.consumerEnvironment,
          [ErrorChannelEnv.redisHost]: r.host,
          [ErrorChannelEnv.redisPort]: String(r.port),
          [ErrorChannelEnv.redisTls]: String(r.tls),
          [ErrorChannelEnv.redisContainer]: r.container,
          ...(r.authSecretArn ? { [ErrorChannelEnv.redisAuthSecretArn]: r.authSecretArn } : {}),
        },
        vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [this.securityGroup.id] },
        statements,
        tags: args.tags,
      },
      parent,
    );
    this.queue.eventSource(this.function, { batchSize: 10 });
    this.registerOutputs({ queue: this.queue, securityGroup: this.securityGroup, function: this.function });
  }
}
