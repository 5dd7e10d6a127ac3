import { OPENSEARCH_URL_ENV, Params } from "@sec-an/contracts";
import { getParam } from "@sec-an/runtime";
import { OpenSearchStore } from "./opensearch";

let cached: { endpoint: string; store: OpenSearchStore } | undefined;

/**
 * The store for this invocation. The endpoint comes from `SEC_AN_OPENSEARCH_URL` when set (the admin
 * Lambda, which must work during the very deploy that publishes the parameter; local runs; tests) or
 * else from SSM `Params.esEndpointUrl`, read late and cached like every parameter. https endpoints
 * are SigV4-signed under the function's role.
 */
export async function openSearchStore(env: NodeJS.ProcessEnv = process.env): Promise<OpenSearchStore> {
  const direct = env[OPENSEARCH_URL_ENV];
  const endpoint = direct || (await getParam(Params.esEndpointUrl));
  if (cached?.endpoint === endpoint) return cached.store;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const url = endpoint.startsWith("http") ? endpoint : `https://${endpoint}`;
  // Plain http is a local cluster or the test double; Amazon OpenSearch Service is https and signed.
  const store = url.startsWith("http://") ? OpenSearchStore.unsigned(url) : OpenSearchStore.signed(url, region);
  cached = { endpoint, store };
  return store;
}
