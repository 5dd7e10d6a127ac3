import { Client } from "@opensearch-project/opensearch";
import { AwsSigv4Signer } from "@opensearch-project/opensearch/aws";
import { CtsEnv, CtsRetry, OPENSEARCH_URL_ENV, Params, SearchJob } from "@sec-an/contracts";
import {
  dynamoDocClient,
  getParam,
  parseRecordBody,
  snsClient,
  sqsBatchHandler,
  sqsClient,
} from "@sec-an/runtime";
import { DynamoDnsReader, OpenSearchSnapshots, SearchQueue, TopicScanRequester } from "../adapters";
import { searcherRegistry } from "../searchers";
import type { SnapshotReader } from "../searchers/types";
import { epochNow, requiredEnv, secondsEnv, tablesFromEnv } from "../settings";
import { SearchState } from "../state";
import { runSearch, type WorkerDeps } from "../worker";

let override: SnapshotReader | undefined;
/** Read snapshots from `reader` instead of OpenSearch in this process (the local run's store); undefined restores. */
export function setSnapshotReaderOverride(reader: SnapshotReader | undefined): void {
  override = reader;
}

let cachedReader: { url: string; reader: SnapshotReader } | undefined;

/** OpenSearch from `SEC_AN_OPENSEARCH_URL` (local clusters, tests) or SSM; https endpoints are SigV4-signed. */
async function snapshots(env: NodeJS.ProcessEnv): Promise<SnapshotReader> {
  if (override) return override;
  const endpoint = env[OPENSEARCH_URL_ENV] || (await getParam(Params.esEndpointUrl));
  const url = endpoint.startsWith("http") ? endpoint : `https://${endpoint}`;
  if (cachedReader?.url === url) return cachedReader.reader;
  const region = env.AWS_REGION ?? "us-east-1";
  const client = url.startsWith("http://")
    ? new Client({ node: url })
    : new Client({ ...AwsSigv4Signer({ region, service: "es" }), node: url });
  cachedReader = { url, reader: new OpenSearchSnapshots(client as never) };
  return cachedReader.reader;
}

const searchers = searcherRegistry();

/** The worker's dependencies: its own tables and queue from the environment, the platform's from SSM (late). */
export async function workerDeps(env: NodeJS.ProcessEnv = process.env): Promise<WorkerDeps> {
  const doc = dynamoDocClient();
  const queue = new SearchQueue(sqsClient(), requiredEnv(CtsEnv.searchQueueUrl, env));
  const [resolvedHosts, resolvedAddresses] = await Promise.all([
    getParam(Params.resolvedHostsTableId),
    getParam(Params.resolvedAddressesTableId),
  ]);
  const dns = new DynamoDnsReader(doc, { resolvedHosts, resolvedAddresses });
  return {
    state: new SearchState(doc, tablesFromEnv(env)),
    searchers,
    context: {
      snapshots: await snapshots(env),
      dns,
      scans: new TopicScanRequester(snsClient(), () => getParam(Params.scanInitiatorTopicArn), dns),
      scanMaxAgeSecs: secondsEnv(CtsEnv.scanMaxAgeSecs, 86_400, env),
    },
    requeue: (job, delay) => queue.send(job, delay),
    now: epochNow,
    hitTtlSecs: secondsEnv(CtsEnv.hitTtlSecs, 86_400, env),
    recheckSecs: secondsEnv(CtsEnv.recheckSecs, CtsRetry.laterRetrySecs, env),
  };
}

/** One look per search job; a bad job is dead-lettered with its reason, a failing look retried. */
export const handler = sqsBatchHandler(async (record) => {
  const job = parseRecordBody(SearchJob, record);
  return runSearch(job, await workerDeps());
});
