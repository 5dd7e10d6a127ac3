/**
 * sec-an-ssl: the TLS scanner. Port-detected events from nmap reach its task queue through an SNS filter
 * policy (TLS ports and services only); the scan Lambda checks protocols, the served chain, trust and
 * host names with Node's TLS stack; the parser publishes one collection per scan to the ingest queue;
 * views show root CAs, chain errors and expiry.
 */
import * as pulumi from "@pulumi/pulumi";
import { Params, SslEnv, resourcePrefix, tlsPortsFilterPolicy } from "@sec-an/contracts";
import { Scanner, ssmParam, ssmReadStatement, type Task } from "@sec-an/components";
import { sslTask } from "./task";
import { sslIndexes } from "./views";
import { parseConfig, type SslConfig } from "./stack-config";

/**
 * Stacks deployed before the ports subscription moved into the Task knew its queue policy and
 * subscription under a `PortsSubscription` component. Without aliases, `up` would create the new ones
 * (SNS hands back the same subscription, the policy is rewritten identically) and then delete the old
 * ones, which removes the live subscription and the queue's only policy.
 */
export function portsSubscriptionAliases(prefix: string): pulumi.ResourceTransformation {
  const old = pulumi.createUrn(`${prefix}-ssl-ports`, "sec-an:ssl:PortsSubscription");
  const renamed: Record<string, string> = {
    [`aws:sqs/queuePolicy:QueuePolicy::${prefix}-ssl-queue-policy`]: `${prefix}-ssl-ports-queue-policy`,
    [`aws:sns/topicSubscription:TopicSubscription::${prefix}-ssl-ports-to-queue`]: `${prefix}-ssl-ports`,
  };
  return (args) => {
    const was = renamed[`${args.type}::${args.name}`];
    return was === undefined
      ? undefined
      : {
          props: args.props,
          opts: pulumi.mergeOptions(args.opts, { aliases: [{ name: was, parent: old }] }),
        };
  };
}

export function program(config: SslConfig) {
  const d = config.deployment;
  const prefix = resourcePrefix(d);
  const tags = { app: d.app, stage: d.stage, project: "ssl" };
  const tableArn = config.resolvedAddressesTableArn ?? ssmParam(d, Params.resolvedAddressesTableArn);

  // Stacks deployed before the Scanner component knew the task at the top level and the views as
  // `SslViews`: these aliases keep them (and their live subscription) instead of replacing them.
  const scanner = new Scanner(`${prefix}-ssl`, {
    deployment: d,
    module: sslTask,
    scanTimeout: config.scanTimeout,
    scanMemory: 256,
    scanEnvironment: {
      [SslEnv.handshakeTimeoutMs]: String(config.handshakeTimeoutMs),
      [SslEnv.maxHostnames]: String(config.maxHostnames),
    },
    scanStatements: [
      // The table ARN only: the scanner reads host names of one address, nothing else in DynamoDB.
      { Sid: "QueryResolvedAddresses", Action: "dynamodb:Query", Resource: tableArn },
      { ...ssmReadStatement(d, [Params.resolvedAddressesTableId]), Sid: "ReadResolvedAddressesTableName" },
    ],
    // Port-detected events filtered by SNS (the original subscribed unfiltered and dropped non-TLS
    // ports in code); the task queue's one policy lets exactly the subscribed topics send.
    subscribeTo: [
      {
        name: "ports",
        topic: config.portsTopicArn ?? ssmParam(d, Params.portsTopicArn),
        filterPolicy: tlsPortsFilterPolicy(config.maxCascadeDepth),
      },
    ],
    subscribeToIngest: true,
    ingestQueueArn: config.ingestQueueArn,
    forceDestroy: config.forceDestroy,
    tags,
    views: config.views,
    adminFunctionName: config.adminFunctionName,
    taskOptions: {
      transformations: [portsSubscriptionAliases(prefix)],
      aliases: [{ parent: pulumi.rootStackResource }],
    },
    viewsOptions: { aliases: [{ type: "sec-an:ssl:Views", parent: pulumi.rootStackResource }] },
    viewsFormerNames: Object.fromEntries(
      sslIndexes().map((ix) => [
        `${prefix}-ssl-views-${ix.base.replace(/_/g, "-")}`,
        `${prefix}-ssl-views-${ix.base}`,
      ]),
    ),
  });
  const task = scanner.task as Task;
  const views = scanner.views;

  return {
    taskQueueUrl: task.queue.url,
    taskQueueArn: task.queue.arn,
    resultsBucket: task.bucket.bucket,
    resultsTopicArn: task.topic.arn,
    scanFunctionName: task.scanFunction.name,
    parserFunctionName: task.parserFunction.name,
    portsSubscriptionArn: task.subscriptions.ports.arn,
    views: pulumi.output(views ? Object.values(views.objects).map((o) => o.objectId) : []),
  };
}

/** The program as `pulumi up` runs it: config from the stack, validated first. */
export function runFromConfig(stack: string = pulumi.getStack()) {
  return program(parseConfig(new pulumi.Config("sec-an-ssl"), stack));
}
