import {
  CtsRetry,
  type CtsCapabilities,
  type CtsResponse,
  type SearchJob,
  type ThreatServiceArtifact,
} from "@sec-an/contracts";
import { canonicalArtifact, searchId } from "./id";
import { isSearchId } from "./request";
import type { Searcher } from "./searchers/types";
import type { ActiveSearch, SearchState } from "./state";

export interface Answer<T> {
  readonly status: 200 | 303;
  readonly body: T;
}

export interface ServiceDeps {
  readonly state: SearchState;
  /** The searchers by artifact type (any other type is answered with no hits). */
  readonly searchers: ReadonlyMap<string, Pick<Searcher, "accepts">>;
  /** Queues the search the caller just claimed. */
  readonly startSearch: (job: SearchJob) => Promise<void>;
  /** Epoch seconds (injected, so expiry is testable). */
  readonly now: () => number;
  /** A search older than this answers with what it has (default CtsRetry.searchTimeoutSecs). */
  readonly searchTimeoutSecs?: number;
}

export const CAPABILITIES: CtsCapabilities = { upload_file: false };

/** How long SOAR should wait: soon while a search is young, then a minute apart. */
export function retrySecs(active: ActiveSearch, now: number): number {
  return now - active.startedAt < CtsRetry.laterRetrySecs ? CtsRetry.firstRetrySecs : CtsRetry.laterRetrySecs;
}

/** An active search as SOAR sees it: pending (303, partial hits) until it expires, then complete with those hits. */
function activeAnswer(id: string, active: ActiveSearch, now: number): Answer<CtsResponse> {
  if (active.expiresAt <= now) return { status: 200, body: { id, hits: active.hits } };
  return { status: 303, body: { id, hits: active.hits, retry_secs: retrySecs(active, now) } };
}

/**
 * POST: a stored answer at once (200); otherwise start the search (one caller wins the conditional
 * claim, whatever the concurrency) and tell SOAR when to ask again (303). Unsupported types and values
 * their searcher does not accept: 200, no hits.
 */
export async function postArtifact(
  artifact: ThreatServiceArtifact,
  d: ServiceDeps,
): Promise<Answer<CtsResponse>> {
  const a = canonicalArtifact(artifact);
  const id = searchId(a);
  const searcher = d.searchers.get(a.type);
  // An unsupported type, or a value that can never be found (`resutil threatservicetest` sends
  // `localhost`): answered at once, with no claim, queued search or poll.
  if (!searcher || (searcher.accepts && !searcher.accepts(a.value)))
    return { status: 200, body: { id, hits: [] } };
  const now = d.now();
  const done = await d.state.result(id, now);
  if (done) return { status: 200, body: { id, hits: done.hits } };
  const timeout = d.searchTimeoutSecs ?? CtsRetry.searchTimeoutSecs;
  if (await d.state.claim(id, a, now, now + timeout)) {
    try {
      await d.startSearch({ id, artifact: a, startedAt: now, attempt: 1 });
    } catch (e) {
      // Not queued: give the claim back so SOAR's next POST starts it, instead of waiting out the timeout.
      await d.state.release(id, now);
      throw e;
    }
    return { status: 303, body: { id, hits: [], retry_secs: CtsRetry.firstRetrySecs } };
  }
  return getSearch(id, d);
}

/** GET: complete (200), running (303 + retry_secs), or unknown/expired (200, no hits): never an error. */
export async function getSearch(
  id: string,
  d: Pick<ServiceDeps, "state" | "now">,
): Promise<Answer<CtsResponse>> {
  if (!isSearchId(id)) return { status: 200, body: { id, hits: [] } };
  const now = d.now();
  const done = await d.state.result(id, now);
  if (done) return { status: 200, body: { id, hits: done.hits } };
  const active = await d.state.active(id);
  if (active) return activeAnswer(id, active, now);
  // It may have completed between the two reads.
  const late = await d.state.result(id, now);
  return { status: 200, body: { id, hits: late?.hits ?? [] } };
}
