import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  Attr,
  ResolvedAddresses,
  ResolvedHosts,
  validate,
  validateTarget,
  ScanRequest,
  type SearchJob,
} from "@sec-an/contracts";
import { logger } from "@sec-an/runtime";
import type { DnsReader, ScanRequester, SnapshotFilter, SnapshotReader } from "./searchers/types";

/** The DNS ingest tables of task-execution, read with the latest ingest first. */
export class DynamoDnsReader implements DnsReader {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: { readonly resolvedHosts: string; readonly resolvedAddresses: string },
  ) {}

  async addressesOf(host: string): Promise<string[]> {
    const r = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.resolvedHosts,
        KeyConditionExpression: "#h = :h",
        ExpressionAttributeNames: { "#h": ResolvedHosts.host },
        ExpressionAttributeValues: { ":h": host },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const set = r.Items?.[0]?.[ResolvedHosts.addresses] as Set<string> | string[] | undefined;
    return set ? [...set] : [];
  }

  async isOwned(address: string): Promise<boolean> {
    const r = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.resolvedAddresses,
        KeyConditionExpression: "#a = :a",
        ExpressionAttributeNames: { "#a": ResolvedAddresses.address },
        ExpressionAttributeValues: { ":a": address },
        Limit: 1,
      }),
    );
    return (r.Items?.length ?? 0) > 0;
  }
}

/**
 * Scan requests on the scan-initiator topic, as the initiator sends them (root depth, address type).
 * The requester is the one gate every searcher goes through, so it refuses (logs, sends nothing,
 * answers false) any value that is not a valid target or not an address we own.
 */
export class TopicScanRequester implements ScanRequester {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: () => Promise<string>,
    private readonly dns: Pick<DnsReader, "isOwned">,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async requestScan(address: string): Promise<boolean> {
    let t: ReturnType<typeof validateTarget>;
    try {
      // Checked like every scanner checks it: a hostile value never becomes a request.
      t = validateTarget(address);
    } catch (e) {
      logger.warn("scan refused: not a valid target", { reason: (e as Error).message.slice(0, 200) });
      return false;
    }
    if ((t.type !== "ipv4" && t.type !== "ipv6") || !(await this.dns.isOwned(t.target))) {
      logger.warn("scan refused: not an address we own", { target: t.target });
      return false;
    }
    const request = validate(ScanRequest, {
      target: t.target,
      targetType: t.type,
      requestedAt: this.now().toISOString(),
    });
    await this.sns.send(
      new PublishCommand({
        TopicArn: await this.topicArn(),
        Message: JSON.stringify(request),
        MessageAttributes: {
          [Attr.addressType]: { DataType: "String", StringValue: t.type },
          [Attr.depth]: { DataType: "Number", StringValue: "0" },
        },
      }),
    );
    return true;
  }
}

/** Search jobs on the service's queue (its DLQ holds the jobs that fail for good). */
export class SearchQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(job: SearchJob, delaySecs = 0): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(job),
        DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySecs))),
      }),
    );
  }
}

/** The narrow part of the OpenSearch client a reader needs. */
export interface SearchClient {
  search(params: { index: string; body: Record<string, unknown> }): Promise<{ body: unknown }>;
}

/** The query DSL of a filter: every condition in `bool.filter` (exact matches, no scoring). */
export function filterQuery(f: SnapshotFilter): Record<string, unknown> {
  const clauses = [
    ...Object.entries(f.term ?? {}).map(([k, v]) => ({ term: { [k]: v } })),
    ...Object.entries(f.terms ?? {}).map(([k, v]) => ({ terms: { [k]: v } })),
  ];
  return { bool: { filter: clauses } };
}

/** Snapshot documents from OpenSearch; an index not created yet (its task not deployed) holds none. */
export class OpenSearchSnapshots implements SnapshotReader {
  constructor(private readonly client: SearchClient) {}

  async search(index: string, filter: SnapshotFilter, size: number) {
    try {
      const r = await this.client.search({ index, body: { query: filterQuery(filter), size } });
      const hits =
        (r.body as { hits?: { hits?: Array<{ _source: Record<string, unknown> }> } }).hits?.hits ?? [];
      return hits.map((h) => ({ source: h._source }));
    } catch (e) {
      const err = e as { meta?: { statusCode?: number; body?: { error?: { type?: string } } } };
      if (err.meta?.statusCode === 404 && err.meta.body?.error?.type === "index_not_found_exception")
        return [];
      throw e;
    }
  }
}
