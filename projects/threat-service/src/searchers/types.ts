import type { ArtifactHit, SoarArtifactType } from "@sec-an/contracts";

/** Exact-match conditions on top-level document fields (`terms`: any of the values). */
export interface SnapshotFilter {
  readonly term?: Readonly<Record<string, string | number>>;
  readonly terms?: Readonly<Record<string, readonly (string | number)[]>>;
}

/** Read access to the analytics store's snapshot documents (OpenSearch, or the local run's store). */
export interface SnapshotReader {
  /** Documents of `index` (a read alias) matching `filter`, at most `size`; none when the index does not exist. */
  search(
    index: string,
    filter: SnapshotFilter,
    size: number,
  ): Promise<ReadonlyArray<{ source: Record<string, unknown> }>>;
}

/** The DNS ingest tables: which addresses a name resolved to, and whether an address is ours. */
export interface DnsReader {
  /** Addresses of the host name at its latest ingest; empty when the name is not one of ours. */
  addressesOf(host: string): Promise<string[]>;
  /** True when the address resolved from one of our names (it is in the resolved-addresses table). */
  isOwned(address: string): Promise<boolean>;
}

/** Asks the platform to scan one address (a scan request on the scan-initiator topic). */
export interface ScanRequester {
  /** True when the request was sent; false (nothing sent) for a value that is not an address we own. */
  requestScan(address: string): Promise<boolean>;
}

export interface SearchContext {
  readonly snapshots: SnapshotReader;
  readonly dns: DnsReader;
  readonly scans: ScanRequester;
  /** Epoch seconds the search started, and this look's number (the first is 1). */
  readonly startedAt: number;
  readonly attempt: number;
  /** An earlier look of this search asked for a scan: do not ask again (absent: none has). */
  readonly scanRequested?: boolean;
  /** An owned address whose last scan is older than this (seconds) before the search is scanned. */
  readonly scanMaxAgeSecs: number;
}

export interface SearchOutcome {
  readonly hits: ArtifactHit[];
  /** More is coming (a scan was asked for): look again later; the hits so far are kept meanwhile. */
  readonly pending: boolean;
}

/** Answers one SOAR artifact type from the platform's data. */
export interface Searcher {
  readonly type: SoarArtifactType;
  /**
   * A cheap shape check of a value, made before a search is started: a value it rejects (one that can
   * never be found) is answered at once with no hits. Absent: every value is searched.
   */
  readonly accepts?: (value: string) => boolean;
  search(value: string, ctx: SearchContext): Promise<SearchOutcome>;
}

export const nothing: SearchOutcome = { hits: [], pending: false };
