import { PermanentFailure } from "@sec-an/runtime";
import { CtsRetry, type SearchJob } from "@sec-an/contracts";
import { keepHits } from "./hits";
import type { SearchContext, Searcher } from "./searchers/types";
import type { SearchState } from "./state";

export interface WorkerDeps {
  readonly state: SearchState;
  readonly searchers: ReadonlyMap<string, Searcher>;
  readonly context: Omit<SearchContext, "startedAt" | "attempt">;
  /** Queues the next look at a search that waits for a scan, after `delaySecs`. */
  readonly requeue: (job: SearchJob, delaySecs: number) => Promise<void>;
  readonly now: () => number;
  /** Seconds a completed search's hits are kept. */
  readonly hitTtlSecs: number;
  /** Seconds between looks while waiting for a scan (default CtsRetry.laterRetrySecs). */
  readonly recheckSecs?: number;
}

export type LookResult = "completed" | "waiting" | "gone";

/**
 * One look at a search: run its searcher; store the answer when complete or when the search has run
 * out of time (SOAR then gets what we have); otherwise keep the partial hits and look again later.
 */
export async function runSearch(job: SearchJob, d: WorkerDeps): Promise<LookResult> {
  const searcher = d.searchers.get(job.artifact.type);
  if (!searcher) throw new PermanentFailure("unsupported-artifact", `no searcher for ${job.artifact.type}`);
  const active = await d.state.active(job.id);
  // Completed (or given up) by an earlier delivery of this job: nothing to do.
  if (!active || active.startedAt !== job.startedAt) return "gone";
  let requested = false;
  const outcome = await searcher.search(job.artifact.value, {
    ...d.context,
    // Noted, so a redelivered look (the queue retries a look that failed after asking) does not ask again.
    scans: {
      requestScan: async (address) => {
        const sent = await d.context.scans.requestScan(address);
        requested ||= sent;
        return sent;
      },
    },
    startedAt: job.startedAt,
    attempt: job.attempt,
    scanRequested: active.scanRequested,
  });
  const hits = keepHits(outcome.hits);
  const now = d.now();
  const recheck = d.recheckSecs ?? CtsRetry.laterRetrySecs;
  if (!outcome.pending || now + recheck >= active.expiresAt) {
    await d.state.complete(job.id, job.artifact, hits, now, d.hitTtlSecs, job.startedAt);
    return "completed";
  }
  await d.state.savePartial(job.id, job.startedAt, hits, requested || active.scanRequested);
  await d.requeue({ ...job, attempt: job.attempt + 1 }, recheck);
  return "waiting";
}
