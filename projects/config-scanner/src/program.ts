/**
 * sec-an-config-scanner: security-group misconfigurations found the moment they are made. EventBridge
 * rules, generated from the plugins' realtime triggers, send the CloudTrail events of every configured
 * region (and member account) to the task queue; the handler maps each event to its groups, describes
 * their live state, runs the plugins in-process, keeps each finding's status in a table and alerts on
 * transitions only. A daily sweep of every group catches what no event reported. Evaluations go to the
 * lake and, as finding documents, through the results topic to the `config-scanner_findings` indices.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ConfigScannerEnv,
  ConfigStateTable,
  ConfigStateTableKeys,
  Params,
  resourcePrefix,
} from "@sec-an/contracts";
import {
  AlarmTopic,
  DeadLetterRecorder,
  Scanner,
  SsmExports,
  Topic,
  assumeRolePolicy,
  deadLetterAlarm,
  eventRuleArn,
  metricAlarm,
  policyDocument,
  readStackConfig,
  senderQueuePolicy,
  ssmParam,
  type PolicyStatement,
} from "@sec-an/components";
import { alarmArn, alarmStatePattern, busPolicyDocument, chunk, eventPatterns, sweepRequests } from "./rules";
import { scanner } from "./scanner";
import { configSchema, type Config } from "./stack-config";

/** EventBridge retries a failed delivery for up to a day, then parks the event in the rule's DLQ. */
const RETRY = { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 };

export function program(config: Config) {
  const d = config.deployment;
  const name = `${resourcePrefix(d)}-config-scanner`;
  const tags = { app: d.app, stage: d.stage, project: "config-scanner" };
  const account = aws.getCallerIdentityOutput({}).accountId;
  const partition = aws.getPartitionOutput({}).partition;

  const state = new aws.dynamodb.Table(`${name}-state`, {
    name: `${name}-state`,
    billingMode: "PAY_PER_REQUEST",
    hashKey: ConfigStateTable.partitionKey,
    rangeKey: ConfigStateTable.sortKey,
    attributes: ConfigStateTableKeys.AttributeDefinitions.map((a) => ({
      name: a.AttributeName,
      type: a.AttributeType,
    })),
    serverSideEncryption: { enabled: true },
    pointInTimeRecovery: { enabled: true },
    deletionProtectionEnabled: !config.forceDestroy,
    tags,
  });
  const alerts = new Topic(`${name}-alerts`, { topicName: `${name}-alerts`, tags });
  if (config.alertEmail)
    new aws.sns.TopicSubscription(`${name}-alerts-email`, {
      topic: alerts.arn,
      protocol: "email",
      endpoint: config.alertEmail,
    });

  const roles = memberRoles(config, partition);
  const s = new Scanner(name, {
    deployment: d,
    module: scanner,
    scanTimeout: config.scanTimeout,
    scanMemory: config.scanMemory,
    subscribeToIngest: true,
    views: config.views,
    forceDestroy: config.forceDestroy,
    tags,
    scanEnvironment: {
      [ConfigScannerEnv.stateTable]: state.name,
      [ConfigScannerEnv.alertsTopicArn]: alerts.arn,
      [ConfigScannerEnv.homeAccount]: account,
      [ConfigScannerEnv.memberRoles]: roles.apply((r) => JSON.stringify(r)),
    },
    scanStatements: [
      // Describe calls support no resource-level permissions: "*" resource, two read-only actions.
      {
        Sid: "DescribeSecurityGroups",
        Action: ["ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"],
        Resource: "*",
      },
      state.arn.apply((arn): PolicyStatement => ({
        Sid: "FindingsState",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        Resource: arn,
      })),
      alerts.arn.apply((arn): PolicyStatement => ({ Sid: "Alerts", Action: "sns:Publish", Resource: arn })),
      ...(config.memberAccounts.length && config.memberRoleName
        ? [
            roles.apply((r): PolicyStatement => ({
              Sid: "MemberAccounts",
              Action: "sts:AssumeRole",
              Resource: Object.values(r),
            })),
          ]
        : []),
    ],
  });
  const queue = s.task.queue;

  // Rules of the home region send to the queue; rules of other regions forward to the home bus.
  const homeRegion = aws.config.region;
  if (!homeRegion)
    throw new Error("config aws:region: required (the home region, where the queue and rules live)");
  const others = [...new Set(config.regions)].filter((r) => r !== homeRegion).sort();
  const ruleName = (suffix: string) => `${name}-${suffix}`;
  const patterns = eventPatterns();
  const eventRules = patterns.map((p) => ({
    ...p,
    ruleName: ruleName(`events-${p.source.replace(/^aws\./, "")}`),
  }));
  // The sweep covers the home region and every forwarding one, of each account the handler can read.
  const sweeps = chunk(
    sweepRequests([homeRegion, ...others], config.memberRoleName ? config.memberAccounts : []),
  );
  const sweepRules = sweeps.map((requests, i) => ({ requests, ruleName: ruleName(`sweep-${i}`) }));
  const ruleArns = [...eventRules, ...sweepRules].map((r) =>
    pulumi.all([partition, account]).apply(([p, a]) => eventRuleArn(p, homeRegion, a, r.ruleName)),
  );
  // The forwarders' DLQ alarms reach home through this rule (see RegionForwarder).
  const alarmsRuleName = ruleName("forwarded-alarms");
  const alarmsRuleArn = pulumi
    .all([partition, account])
    .apply(([p, a]) => eventRuleArn(p, homeRegion, a, alarmsRuleName));
  // Events the queue or the notifications topic never accepted (after a day of retries) are dead
  // letters with the rule's reason.
  const ruleDeadLetters = new DeadLetterRecorder(`${name}-rules-dlq`, {
    deployment: d,
    queueName: `${name}-rules-dlq`,
    eventRuleArns: others.length ? [...ruleArns, alarmsRuleArn] : ruleArns,
    tags,
  });
  const target = (n: string, rule: aws.cloudwatch.EventRule, input?: string) =>
    new aws.cloudwatch.EventTarget(n, {
      rule: rule.name,
      arn: queue.arn,
      ...(input ? { input } : {}),
      retryPolicy: RETRY,
      deadLetterConfig: { arn: ruleDeadLetters.arn },
    });
  for (const r of eventRules) {
    const rule = new aws.cloudwatch.EventRule(r.ruleName, {
      name: r.ruleName,
      description: `CloudTrail calls the config-scanner plugins watch (${r.source}), from every watched region and account`,
      eventPattern: JSON.stringify(r.pattern),
      tags,
    });
    target(`${r.ruleName}-target`, rule);
  }
  for (const r of sweepRules) {
    const rule = new aws.cloudwatch.EventRule(r.ruleName, {
      name: r.ruleName,
      description: "Sweep of every security group (drift no event reported)",
      scheduleExpression: config.sweepSchedule,
      tags,
    });
    r.requests.forEach((req, j) => target(`${r.ruleName}-target-${j}`, rule, JSON.stringify(req)));
  }
  // The task queue's one policy: the rules (the Task makes none: it subscribes to no topic).
  senderQueuePolicy(`${name}-queue-policy`, queue.queue, { eventRuleArns: ruleArns }, {});

  const busArn = pulumi.interpolate`arn:${partition}:events:${homeRegion}:${account}:event-bus/default`;
  if (config.memberAccounts.length)
    new aws.cloudwatch.EventBusPolicy(`${name}-bus-policy`, {
      eventBusName: "default",
      policy: busArn.apply((arn) => busPolicyDocument(arn, config.memberAccounts)),
    });
  const forwarders = others.map(
    (region) =>
      new RegionForwarder(
        `${name}-${region}`,
        {
          region,
          ruleName: ruleName(`forward-${region}`),
          busArn,
          account,
          partition,
          patterns,
          alertEmail: config.alertEmail,
          tags,
        },
        // Every child of a forwarder lives in its region.
        {
          providers: {
            aws: new aws.Provider(`${name}-${region}-provider`, { region: region as aws.Region }),
          },
        },
      ),
  );

  new SsmExports(`${name}-exports`, {
    deployment: d,
    values: {
      configAlertsTopicArn: { def: Params.configAlertsTopicArn, value: alerts.arn },
      configStateTableName: { def: Params.configStateTableName, value: state.name },
    },
    tags,
  });

  // Alarms notify topics of their own region only, and nobody subscribes to a forwarder's: their
  // state changes travel to the home bus like the CloudTrail events, and on to the platform's
  // notifications topic, whose policy admits this account's rules of the home region.
  if (forwarders.length) {
    const rule = new aws.cloudwatch.EventRule(alarmsRuleName, {
      name: alarmsRuleName,
      description: "DLQ alarms of the config-scanner's forwarding regions, to the platform's notifications",
      eventPattern: pulumi
        .all(forwarders.map((f) => f.alarmArn))
        .apply((arns) => JSON.stringify(alarmStatePattern(arns))),
      tags,
    });
    new aws.cloudwatch.EventTarget(`${alarmsRuleName}-target`, {
      rule: rule.name,
      arn: ssmParam(d, Params.notificationsTopicArn),
      retryPolicy: RETRY,
      deadLetterConfig: { arn: ruleDeadLetters.arn },
    });
  }

  return {
    taskQueueUrl: queue.url,
    resultsTopicArn: s.task.topic.arn,
    alertsTopicArn: alerts.arn,
    stateTableName: state.name,
    forwardedRegions: forwarders.map((f) => f.region),
  };
}

/** Member account → the role ARN the handler assumes there (none without a role name). */
function memberRoles(
  config: Config,
  partition: pulumi.Output<string>,
): pulumi.Output<Record<string, string>> {
  return partition.apply((p) =>
    config.memberRoleName
      ? Object.fromEntries(
          config.memberAccounts.map((a) => [a, `arn:${p}:iam::${a}:role/${config.memberRoleName}`]),
        )
      : {},
  );
}

export interface RegionForwarderArgs {
  readonly region: string;
  readonly ruleName: string;
  /** The home region's default event bus. */
  readonly busArn: pulumi.Input<string>;
  readonly account: pulumi.Input<string>;
  readonly partition: pulumi.Input<string>;
  readonly patterns: readonly { source: string; pattern: Record<string, unknown> }[];
  /** Also mailed when the region's forwarding DLQ fills, from the region's own alarm topic. */
  readonly alertEmail?: string;
  readonly tags?: Record<string, string>;
}

/**
 * One watched region other than the home one: its rules forward the same CloudTrail events to the
 * home region's default bus (where the home rule sends them to the queue), through a role that may
 * only put events there; undeliverable events park in a DLQ of that region (EventBridge needs it there).
 */
export class RegionForwarder extends pulumi.ComponentResource {
  public readonly region: string;
  /** The DLQ alarm, whose state changes are forwarded home too. */
  public readonly alarmArn: pulumi.Output<string>;

  constructor(name: string, args: RegionForwarderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:config-scanner:RegionForwarder", name, {}, opts);
    this.region = args.region;
    // Children inherit the region's provider the caller passes in `providers`.
    const parent = { parent: this };
    const role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: assumeRolePolicy("events.amazonaws.com"), tags: args.tags },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-role-policy`,
      {
        role: role.id,
        policy: policyDocument([
          pulumi.output(args.busArn).apply((arn): PolicyStatement => ({
            Sid: "ForwardToHomeBus",
            Action: "events:PutEvents",
            Resource: arn,
          })),
        ]),
      },
      parent,
    );
    const dlq = new aws.sqs.Queue(
      `${name}-dlq`,
      {
        name: `${args.ruleName}-dlq`,
        sqsManagedSseEnabled: true,
        messageRetentionSeconds: 14 * 86400,
        redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }),
        tags: args.tags,
      },
      parent,
    );
    const ruleNames = args.patterns.map((_, i) =>
      args.patterns.length > 1 ? `${args.ruleName}-${i}` : args.ruleName,
    );
    const forward = (key: string, rule: aws.cloudwatch.EventRule) =>
      new aws.cloudwatch.EventTarget(
        key,
        {
          rule: rule.name,
          arn: args.busArn,
          roleArn: role.arn,
          retryPolicy: RETRY,
          deadLetterConfig: { arn: dlq.arn },
        },
        parent,
      );
    args.patterns.forEach((p, i) => {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-rule-${i}`,
        {
          name: ruleNames[i],
          description: `Forwards ${p.source} CloudTrail calls to the config-scanner's home bus`,
          eventPattern: JSON.stringify(p.pattern),
          tags: args.tags,
        },
        parent,
      );
      forward(`${name}-target-${i}`, rule);
    });
    // Named, so that the rule below can match its ARN before it exists.
    const alarmName = `${args.ruleName}-dlq-alarm`;
    const scope = pulumi.all([args.partition, args.account]);
    this.alarmArn = scope.apply(([p, a]) => alarmArn(p, args.region, a, alarmName));
    // The alarm's state changes go home over the same route and role as the CloudTrail events.
    const alarmsRuleName = `${args.ruleName}-alarms`;
    const alarmsRule = new aws.cloudwatch.EventRule(
      `${name}-alarms-rule`,
      {
        name: alarmsRuleName,
        description: "Forwards the forwarding DLQ's alarm to the config-scanner's home bus",
        eventPattern: this.alarmArn.apply((arn) => JSON.stringify(alarmStatePattern([arn]))),
        tags: args.tags,
      },
      parent,
    );
    forward(`${name}-alarms-target`, alarmsRule);
    // Rule ARNs from their names: the DLQ's policy must name them before they exist.
    const ruleArns = [...ruleNames, alarmsRuleName].map((n) =>
      scope.apply(([p, a]) => eventRuleArn(p, args.region, a, n)),
    );
    senderQueuePolicy(`${name}-dlq-policy`, dlq, { eventRuleArns: ruleArns }, parent);
    // An alarm needs an action, and CloudWatch notifies topics of its own region only: the region
    // gets an alarm topic of its own (mailed when an alert email is configured).
    const notify = new AlarmTopic(
      `${name}-notifications`,
      {
        topicName: `${args.ruleName}-notifications`,
        emails: args.alertEmail ? [args.alertEmail] : [],
        tags: args.tags,
      },
      parent,
    );
    metricAlarm(
      `${name}-dlq-alarm`,
      { ...deadLetterAlarm(dlq.name), name: alarmName },
      [notify.arn],
      args.tags,
      parent,
    );
    this.registerOutputs({ region: args.region });
  }
}

/** The program as `pulumi up` runs it: the stack config read and checked first. */
export function runFromConfig(stack: string = pulumi.getStack()) {
  return program(
    readStackConfig(new pulumi.Config("sec-an-config-scanner"), "sec-an-config-scanner", configSchema, stack),
  );
}
