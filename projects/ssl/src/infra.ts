import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ElasticIndex, KibanaSavedObject, senderQueuePolicy } from "@sec-an/components";
import { sslIndexes, sslViews } from "./views";

export interface PortsSubscriptionArgs {
  /** The nmap ports (port-detected) topic. */
  readonly topicArn: pulumi.Input<string>;
  /** The ssl task queue. */
  readonly queue: aws.sqs.Queue;
  /** SNS filter policy on message attributes: only TLS ports reach the queue. */
  readonly filterPolicy: Record<string, unknown>;
}

/**
 * The ssl task queue's subscription to port-detected events, filtered by SNS (the original subscribed
 * with no filter and dropped non-443 ports in code), raw delivery, and the queue policy that lets
 * exactly this topic send.
 */
export class PortsSubscription extends pulumi.ComponentResource {
  readonly queuePolicy: aws.sqs.QueuePolicy;
  readonly subscription: aws.sns.TopicSubscription;

  constructor(name: string, args: PortsSubscriptionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:ssl:PortsSubscription", name, {}, opts);
    const policy = senderQueuePolicy(
      `${name}-queue-policy`,
      args.queue,
      { snsTopicArns: [args.topicArn] },
      { parent: this },
    );
    if (!policy) throw new Error("internal: a queue policy with one sender was not created");
    this.queuePolicy = policy;
    this.subscription = new aws.sns.TopicSubscription(
      name,
      {
        topic: args.topicArn,
        protocol: "sqs",
        endpoint: args.queue.arn,
        rawMessageDelivery: true,
        filterPolicy: JSON.stringify(args.filterPolicy),
        filterPolicyScope: "MessageAttributes",
      },
      // SNS confirms an SQS subscription only once the queue policy lets the topic send.
      { parent: this, dependsOn: [policy] },
    );
    this.registerOutputs({ subscriptionArn: this.subscription.arn });
  }
}

export interface SslViewsArgs {
  /** Name of the analytics admin Lambda that manages indices and saved objects. */
  readonly adminFunctionName: pulumi.Input<string>;
  /** Let destroy drop indices that hold documents (ephemeral stacks). */
  readonly forceDestroy?: boolean;
}

/** The ssl indices (snapshot + history per document type) and the searches, visualisations and dashboard. */
export class SslViews extends pulumi.ComponentResource {
  readonly indexes: ElasticIndex[];
  readonly objects: KibanaSavedObject[];

  constructor(name: string, args: SslViewsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:ssl:Views", name, {}, opts);
    const byName = new Map<string, pulumi.Resource>();
    this.indexes = sslIndexes().map((ix) => {
      const index = new ElasticIndex(
        `${name}-${ix.base}`,
        {
          adminFunctionName: args.adminFunctionName,
          base: ix.base,
          mappings: ix.mappings,
          forceDestroy: args.forceDestroy,
        },
        { parent: this },
      );
      byName.set(ix.base, index);
      return index;
    });
    this.objects = sslViews().map((v) => {
      const obj = new KibanaSavedObject(
        `${name}-${v.type}-${v.logicalName}`,
        {
          adminFunctionName: args.adminFunctionName,
          type: v.type,
          logicalName: v.logicalName,
          title: v.title,
          template: v.template,
          substitutions: v.substitutions,
        },
        {
          parent: this,
          dependsOn: v.dependsOn.map((d) => byName.get(d)).filter((r): r is pulumi.Resource => !!r),
        },
      );
      byName.set(v.logicalName, obj);
      return obj;
    });
    this.registerOutputs({
      indexes: this.indexes.map((i) => i.readAlias),
      objects: this.objects.map((o) => o.objectId),
    });
  }
}
