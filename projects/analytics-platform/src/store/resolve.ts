import { OPENSEARCH_URL_ENV, Params } from "@sec-an/contracts";
import { getParam } from "@sec-an/runtime";
import { ingestIndexPatternsFromEnv } from "../infra/access";
import { OpenSearchStore } from "./opensearch";
import type { DocumentStore, IndexAdmin, SavedObjectStore, SecurityAdmin } from "./types";

/** Everything the handlers use; a store without access control (local runs) omits SecurityAdmin. */
export type AnalyticsStore = DocumentStore &
  IndexAdmin &
  SavedObjectStore &
  Partial<SecurityAdmin> & {
    invalidateAliases?(): void;
    /** The same store with every call bounded by `deadline` (epoch ms). */
    withDeadline?(deadline: number): AnalyticsStore;
  };

let cached: { key: string; store: OpenSearchStore } | undefined;
let override: AnalyticsStore | undefined;

/** Use `store` instead of OpenSearch in every handler of this process (the local runner); undefined restores. */
export function setStoreOverride(store: AnalyticsStore | undefined): void {
  override = store;
}

/**
 * The store for this invocation. The endpoint comes from `SEC_AN_OPENSEARCH_URL` when set (local
 * clusters, tests) or else from SSM `Params.esEndpointUrl`, read late and cached like every parameter.
 * https endpoints (Amazon OpenSearch Service) are SigV4-signed under the function's role. The write-alias
 * lookup covers the patterns in `SEC_AN_INGEST_INDEX_PATTERNS` (the ingest role's), or every alias.
 */
export async function openSearchStore(env: NodeJS.ProcessEnv = process.env): Promise<AnalyticsStore> {
  if (override) return override;
  const direct = env[OPENSEARCH_URL_ENV];
  const endpoint = direct || (await getParam(Params.esEndpointUrl));
  const patterns = ingestIndexPatternsFromEnv(env);
  const key = JSON.stringify([endpoint, patterns]);
  if (cached?.key === key) return cached.store;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const url = endpoint.startsWith("http") ? endpoint : `https://${endpoint}`;
  // Plain http is a local cluster or the test double; Amazon OpenSearch Service is https and signed.
  const store = url.startsWith("http://")
    ? OpenSearchStore.unsigned(url, undefined, patterns)
    : OpenSearchStore.signed(url, region, undefined, patterns);
  cached = { key, store };
  return store;
}
