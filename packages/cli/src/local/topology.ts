import type { ResourceRecord } from "@sec-an/testing";

/**
 * The local topology, read off the resources the real Pulumi programs register under the mock engine.
 * Nothing here is described by hand: a queue, subscription or function added to a program appears in
 * the local run without a second edit. Resources that have no local meaning (IAM, VPC, log groups,
 * OpenSearch domain, …) are simply not read.
 */
export interface LocalQueue {
  name: string;
  /** The ARN/URL the program saw (mock values), translated to the emulator's after provisioning. */
  mockArn: string;
  mockUrl: string;
  delaySeconds?: number;
  visibilityTimeout?: number;
  redrive?: { dlqMockArn: string; maxReceiveCount: number };
}
export interface LocalTopic {
  name: string;
  mockArn: string;
}
export interface LocalSubscription {
  topicMockArn: string;
  queueMockArn: string;
  rawDelivery: boolean;
  filterPolicy?: string;
  filterPolicyScope?: string;
}
export interface LocalBucket {
  name: string;
  mockArn: string;
}
export interface LocalNotification {
  bucket: string;
  functionMockArn: string;
  events: string[];
  prefix?: string;
  suffix?: string;
}
export interface LocalFunction {
  name: string;
  mockArn: string;
  /** Repository-relative path of the handler's TypeScript entry (tag `sec-an:entry`). */
  entry?: string;
  env: Record<string, string>;
  timeout: number;
  /** Where Lambda sends an asynchronous event that still fails after its retries (`deadLetterConfig`). */
  deadLetterMockArn?: string;
}
export interface LocalEventSource {
  functionRef: string;
  sourceMockArn: string;
  batchSize: number;
}
export interface LocalTable {
  name: string;
  mockArn: string;
  mockStreamArn?: string;
  hashKey: string;
  rangeKey?: string;
  attributes: { name: string; type: string }[];
  gsis: {
    name: string;
    hashKey: string;
    rangeKey?: string;
    projectionType: string;
    nonKeyAttributes?: string[];
  }[];
  stream: boolean;
}
export interface LocalSchedule {
  name: string;
  expression: string;
  targetMockArn: string;
}
/** An EventBridge rule on events (not a schedule), with the functions it targets. */
export interface LocalEventRule {
  name: string;
  /** The rule's event pattern, parsed. */
  pattern: Record<string, unknown>;
  targetMockArns: string[];
}
export interface LocalTaskDefinition {
  family: string;
  mockArn: string;
  /** Repository-relative path of the container's entrypoint source (tag `sec-an:entry`). */
  entry?: string;
  containers: { name: string; image?: string; environment: Record<string, string>; command?: string[] }[];
}

export interface LocalTopology {
  queues: LocalQueue[];
  topics: LocalTopic[];
  subscriptions: LocalSubscription[];
  buckets: LocalBucket[];
  notifications: LocalNotification[];
  functions: LocalFunction[];
  eventSources: LocalEventSource[];
  tables: LocalTable[];
  schedules: LocalSchedule[];
  eventRules: LocalEventRule[];
  taskDefinitions: LocalTaskDefinition[];
  /** SSM parameters the programs publish: full name → (mock) value. */
  parameters: Record<string, string>;
}

export function emptyTopology(): LocalTopology {
  return {
    queues: [],
    topics: [],
    subscriptions: [],
    buckets: [],
    notifications: [],
    functions: [],
    eventSources: [],
    tables: [],
    schedules: [],
    eventRules: [],
    taskDefinitions: [],
    parameters: {},
  };
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.length ? v : undefined);
const json = (v: unknown): any => (typeof v === "string" ? JSON.parse(v) : v);

/** Add what `records` (one program's registrations) define to `into`. */
export function readTopology(
  records: readonly ResourceRecord[],
  into: LocalTopology = emptyTopology(),
): LocalTopology {
  // Event rules and their targets are separate resources: join them after the pass.
  const rules = new Map<string, { schedule?: string; pattern?: Record<string, unknown> }>();
  const targets: { rule: string; arn: string }[] = [];
  for (const r of records) {
    const s = r.state;
    switch (r.type) {
      case "aws:sqs/queue:Queue": {
        const redrive = s.redrivePolicy ? json(s.redrivePolicy) : undefined;
        into.queues.push({
          name: s.name,
          mockArn: s.arn,
          mockUrl: s.url,
          delaySeconds: s.delaySeconds,
          visibilityTimeout: s.visibilityTimeoutSeconds,
          redrive: redrive
            ? { dlqMockArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount) }
            : undefined,
        });
        break;
      }
      case "aws:sns/topic:Topic":
        into.topics.push({ name: s.name, mockArn: s.arn });
        break;
      case "aws:sns/topicSubscription:TopicSubscription":
        if (s.protocol === "sqs") {
          into.subscriptions.push({
            topicMockArn: s.topic,
            queueMockArn: s.endpoint,
            rawDelivery: s.rawMessageDelivery === true || s.rawMessageDelivery === "true",
            filterPolicy: str(s.filterPolicy),
            filterPolicyScope: str(s.filterPolicyScope),
          });
        }
        break;
      case "aws:s3/bucket:Bucket":
      case "aws:s3/bucketV2:BucketV2":
        into.buckets.push({ name: s.bucket, mockArn: s.arn });
        break;
      case "aws:s3/bucketNotification:BucketNotification":
        for (const fn of s.lambdaFunctions ?? []) {
          into.notifications.push({
            bucket: s.bucket,
            functionMockArn: fn.lambdaFunctionArn,
            events: fn.events ?? [],
            prefix: str(fn.filterPrefix),
            suffix: str(fn.filterSuffix),
          });
        }
        break;
      case "aws:lambda/function:Function":
        into.functions.push({
          name: s.name,
          mockArn: s.arn,
          entry: str(s.tags?.["sec-an:entry"]),
          env: { ...(s.environment?.variables ?? {}) },
          timeout: Number(s.timeout ?? 3),
          deadLetterMockArn: str(s.deadLetterConfig?.targetArn),
        });
        break;
      case "aws:lambda/eventSourceMapping:EventSourceMapping":
        into.eventSources.push({
          functionRef: s.functionName,
          sourceMockArn: s.eventSourceArn,
          batchSize: Number(s.batchSize ?? 10),
        });
        break;
      case "aws:dynamodb/table:Table":
        into.tables.push({
          name: s.name,
          mockArn: s.arn,
          mockStreamArn: s.streamEnabled ? s.streamArn : undefined,
          hashKey: s.hashKey,
          rangeKey: str(s.rangeKey),
          attributes: (s.attributes ?? []).map((a: any) => ({ name: a.name, type: a.type })),
          gsis: (s.globalSecondaryIndexes ?? []).map((g: any) => ({
            name: g.name,
            hashKey: g.hashKey ?? g.keySchemas?.find((k: any) => k.keyType === "HASH")?.attributeName,
            rangeKey: g.rangeKey ?? g.keySchemas?.find((k: any) => k.keyType === "RANGE")?.attributeName,
            projectionType: g.projectionType ?? "ALL",
            nonKeyAttributes: g.nonKeyAttributes,
          })),
          stream: Boolean(s.streamEnabled),
        });
        break;
      case "aws:cloudwatch/eventRule:EventRule":
        rules.set(s.name ?? r.name, {
          schedule: str(s.scheduleExpression),
          pattern: s.eventPattern ? json(s.eventPattern) : undefined,
        });
        break;
      case "aws:cloudwatch/eventTarget:EventTarget":
        // The target's own `arn` input; the mock answers every resource with an `arn` of its own.
        targets.push({ rule: s.rule, arn: r.inputs.arn ?? s.arn });
        break;
      case "aws:scheduler/schedule:Schedule":
        into.schedules.push({
          name: s.name ?? r.name,
          expression: s.scheduleExpression,
          targetMockArn: s.target?.arn,
        });
        break;
      case "aws:ecs/taskDefinition:TaskDefinition": {
        const defs = json(s.containerDefinitions) ?? [];
        into.taskDefinitions.push({
          family: s.family,
          mockArn: s.arn,
          entry: str(s.tags?.["sec-an:entry"]),
          containers: defs.map((c: any) => ({
            name: c.name,
            image: c.image,
            command: c.command,
            environment: Object.fromEntries((c.environment ?? []).map((e: any) => [e.name, e.value])),
          })),
        });
        break;
      }
      case "aws:ssm/parameter:Parameter":
        into.parameters[s.name] = String(s.insecureValue ?? s.value);
        break;
    }
  }
  const patterned = new Map<string, LocalEventRule>();
  for (const t of targets) {
    const rule = rules.get(t.rule);
    if (rule?.schedule)
      into.schedules.push({ name: t.rule, expression: rule.schedule, targetMockArn: t.arn });
    if (rule?.pattern) {
      let local = patterned.get(t.rule);
      if (!local) {
        local = { name: t.rule, pattern: rule.pattern, targetMockArns: [] };
        patterned.set(t.rule, local);
        into.eventRules.push(local);
      }
      local.targetMockArns.push(t.arn);
    }
  }
  return into;
}
