import { randomUUID } from "node:crypto";
import { PublishBatchCommand } from "@aws-sdk/client-sns";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { ResolvedAddresses, ResolvedHosts } from "@sec-an/contracts";
import { dynamoDocClient, logger, reportFailure, snsClient } from "@sec-an/runtime";
import {
  RequestRefused,
  checkOwnership,
  parseBody,
  policyFromEnv,
  publishEntries,
  type HttpResult,
  type Ownership,
  type PublishEntry,
  type ScanPolicy,
  ScansEnv,
} from "./logic";

/** A resource name the program put in the environment; missing means a broken deploy, not bad input. */
function env(key: string): string {
  const v = process.env[key];
  if (!v) throw new Error(`environment variable ${key} is not set`);
  return v;
}

/** True when the table holds at least one row for the key (any ingest time). */
async function hasRow(table: string, key: string, value: string): Promise<boolean> {
  const out = await dynamoDocClient().send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: "#k = :v",
      ExpressionAttributeNames: { "#k": key },
      ExpressionAttributeValues: { ":v": value },
      ProjectionExpression: "#k",
      Limit: 1,
    }),
  );
  return (out.Items?.length ?? 0) > 0;
}

/** Ownership from task-execution's DNS tables (created after this stack; named by the deployment's convention). */
const dnsOwnership: Ownership = {
  ownsAddress: (a) => hasRow(env(ScansEnv.addressesTable), ResolvedAddresses.address, a),
  ownsHost: (h) => hasRow(env(ScansEnv.hostsTable), ResolvedHosts.host, h),
};

/** Publishes every entry; returns the ids SNS did not take (each may be retried by the caller). */
async function publish(entries: PublishEntry[]): Promise<Array<{ id: string; reason: string }>> {
  const out = await snsClient().send(
    new PublishBatchCommand({
      TopicArn: env(ScansEnv.topicArn),
      PublishBatchRequestEntries: entries,
    }),
  );
  return (out.Failed ?? []).map((f) => ({
    id: f.Id ?? "",
    reason: `${f.Code ?? ""} ${f.Message ?? ""}`.trim(),
  }));
}

export interface ScansDeps {
  /** Read per request inside the handler's guard: a broken allow-list is a 503 that is reported, not a crash. */
  policy: () => ScanPolicy;
  owned: Ownership;
  publish: typeof publish;
  now: () => Date;
  newId: () => string;
}

/** Validate, check ownership, publish: 202 with the scan ids, 400/403 with the reason, 503 to retry. */
export async function handleScans(event: APIGatewayProxyEvent, deps: ScansDeps): Promise<HttpResult> {
  const requestedBy = (event.requestContext?.authorizer?.claims as Record<string, string> | undefined)?.sub;
  const requestId = event.requestContext?.requestId ?? "unknown";
  try {
    const policy = deps.policy();
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? "", "base64").toString("utf8")
      : event.body;
    const req = parseBody(text, policy);
    const via = await checkOwnership(req.targets, policy, deps.owned);
    const { entries, scans } = publishEntries(req, { now: deps.now(), newId: deps.newId, requestedBy });
    const failed = await deps.publish(entries);
    const failedIds = new Set(failed.map((f) => f.id));
    const queued = scans.filter((_, i) => !failedIds.has(entries[i].Id));
    logger.info("on-demand scans", { requestedBy, queued, via, failed });
    if (failed.length) {
      await reportFailure({
        code: "partly-queued",
        message: `${failed.length} of ${entries.length} scans not queued: ${failed[0].reason}`,
        requestId,
      });
      return {
        statusCode: 503,
        body: {
          error: "partly-queued",
          message: "some scans could not be queued; retry those targets",
          queued,
          notQueued: scans.filter((_, i) => failedIds.has(entries[i].Id)).map((s) => s.target),
        },
      };
    }
    return { statusCode: 202, body: { scanners: req.scanners, scans: queued } };
  } catch (e) {
    if (e instanceof RequestRefused) {
      logger.warn("scan request refused", {
        requestedBy,
        status: e.status,
        code: e.code,
        reason: e.message,
        targets: e.details,
      });
      return e.toResult();
    }
    // Our side (DynamoDB, SNS) failed: nothing of this request was published before the failure
    // except what the log above names, so the caller may simply retry.
    logger.error("scan request failed", { requestedBy, reason: (e as Error).message });
    await reportFailure({ code: "unavailable", message: (e as Error).message, requestId });
    return {
      statusCode: 503,
      body: { error: "unavailable", message: "could not queue the scans now; retry" },
    };
  }
}

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const result = await handleScans(event, {
    policy: () => policyFromEnv(),
    owned: dnsOwnership,
    publish,
    now: () => new Date(),
    newId: randomUUID,
  });
  return {
    statusCode: result.statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify(result.body),
  };
};
