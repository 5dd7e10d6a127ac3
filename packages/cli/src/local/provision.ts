import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { CreateTopicCommand, SubscribeCommand, type SNSClient } from "@aws-sdk/client-sns";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { CreateTableCommand, type DynamoDBClient, type KeySchemaElement } from "@aws-sdk/client-dynamodb";
import type { LocalTopology } from "./topology";

export interface LocalClients {
  sqs: SQSClient;
  sns: SNSClient;
  s3: S3Client;
  dynamo: DynamoDBClient;
}

/**
 * Mock value → emulator value. The programs ran under mocks and saw mock ARNs/URLs; once the emulators
 * hold the real local resources, every string handed to a handler (environment, SSM values) is
 * translated through this map, longest match first.
 */
export class Translation {
  private readonly map = new Map<string, string>();
  /** The pairs longest first (a longer mock value may contain a shorter one), sorted once per change. */
  private longestFirst?: [string, string][];
  set(from: string | undefined, to: string | undefined): void {
    if (from && to && from !== to) {
      this.map.set(from, to);
      this.longestFirst = undefined;
    }
  }
  get(from: string): string | undefined {
    return this.map.get(from);
  }
  apply(value: string): string {
    if (this.map.has(value)) return this.map.get(value)!;
    let out = value;
    this.longestFirst ??= [...this.map].sort((a, b) => b[0].length - a[0].length);
    for (const [from, to] of this.longestFirst) if (out.includes(from)) out = out.split(from).join(to);
    return out;
  }
  applyAll(values: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, this.apply(v)]));
  }
}

/** Create every queue, topic, subscription, bucket and table of the topology on the emulators. */
export async function provision(
  t: LocalTopology,
  c: LocalClients,
  tr: Translation = new Translation(),
): Promise<Translation> {
  // Queues: dead-letter targets first so redrive policies can name their real ARNs.
  const created = new Set<string>();
  const ordered = [...t.queues].sort((a, b) => Number(Boolean(a.redrive)) - Number(Boolean(b.redrive)));
  for (const q of ordered) {
    if (created.has(q.name)) continue;
    const attributes: Record<string, string> = {};
    if (q.delaySeconds) attributes.DelaySeconds = String(q.delaySeconds);
    // A short visibility timeout keeps local retries quick; AWS uses the program's value.
    attributes.VisibilityTimeout = String(Math.min(q.visibilityTimeout ?? 30, 10));
    if (q.redrive) {
      const dlq = tr.get(q.redrive.dlqMockArn);
      if (!dlq)
        throw new Error(
          `queue ${q.name}: dead-letter queue ${q.redrive.dlqMockArn} is not part of the local topology`,
        );
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: dlq,
        maxReceiveCount: q.redrive.maxReceiveCount,
      });
    }
    const { QueueUrl } = await c.sqs.send(
      new CreateQueueCommand({ QueueName: q.name, Attributes: attributes }),
    );
    const { Attributes } = await c.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    tr.set(q.mockArn, Attributes?.QueueArn);
    tr.set(q.mockUrl, QueueUrl);
    created.add(q.name);
  }
  for (const topic of t.topics) {
    const { TopicArn } = await c.sns.send(new CreateTopicCommand({ Name: topic.name }));
    tr.set(topic.mockArn, TopicArn);
  }
  for (const s of t.subscriptions) {
    const topicArn = tr.get(s.topicMockArn);
    const queueArn = tr.get(s.queueMockArn);
    if (!topicArn || !queueArn) continue; // a cross-project subscription whose other end is not local
    const Attributes: Record<string, string> = { RawMessageDelivery: String(s.rawDelivery) };
    if (s.filterPolicy) Attributes.FilterPolicy = s.filterPolicy;
    if (s.filterPolicyScope) Attributes.FilterPolicyScope = s.filterPolicyScope;
    await c.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn, Attributes }),
    );
  }
  for (const b of t.buckets) {
    await c.s3.send(new CreateBucketCommand({ Bucket: b.name }));
  }
  for (const table of t.tables) {
    const keys = (hash: string, range?: string): KeySchemaElement[] => [
      { AttributeName: hash, KeyType: "HASH" },
      ...(range ? [{ AttributeName: range, KeyType: "RANGE" as const }] : []),
    ];
    const out = await c.dynamo.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: table.attributes.map((a) => ({
          AttributeName: a.name,
          AttributeType: a.type as "S" | "N" | "B",
        })),
        KeySchema: keys(table.hashKey, table.rangeKey),
        GlobalSecondaryIndexes: table.gsis.length
          ? table.gsis.map((g) => ({
              IndexName: g.name,
              KeySchema: keys(g.hashKey, g.rangeKey),
              Projection: {
                ProjectionType: g.projectionType as "ALL" | "KEYS_ONLY" | "INCLUDE",
                NonKeyAttributes: g.nonKeyAttributes,
              },
            }))
          : undefined,
      }),
    );
    tr.set(table.mockArn, out.TableDescription?.TableArn);
  }
  return tr;
}
