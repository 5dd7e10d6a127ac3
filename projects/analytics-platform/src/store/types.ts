/**
 * The storage seam of the analytics platform. Handlers (ingestor, dead-letter reporter, admin) talk
 * only to these interfaces; `OpenSearchStore` implements them on Amazon OpenSearch Service and a local
 * runner can implement them on an embedded database. Keep them narrow: every method here is something
 * a handler needs, with semantics a SQL table can honour.
 */

export type RangeBounds = {
  lt?: string | number;
  lte?: string | number;
  gt?: string | number;
  gte?: string | number;
};

/** A conjunction of exact-match and range conditions on top-level document fields. */
export interface Filter {
  term?: Record<string, string | number | boolean>;
  range?: Record<string, RangeBounds>;
  /** Like `range`, but a document without the field (or with null) matches too. */
  rangeOrMissing?: Record<string, RangeBounds>;
}

/**
 * One write of a bulk request. `index` is an index or write alias. With `externalVersion` the write
 * only applies when no stored version of the id is greater (OpenSearch `version_type: external_gte`),
 * so an older scan replayed late never overwrites a newer document.
 */
export type BulkOp =
  | {
      action: "index";
      index: string;
      id: string;
      doc: Record<string, unknown>;
      externalVersion?: number;
      /** `JSON.stringify(doc)`, when the caller has it already (one document often goes to two indices). */
      source?: string;
      /**
       * Appends the op's NDJSON lines (action, then source, each ending in a newline) to `out`, for ops
       * that hold them in parts shared with other ops; they say what the fields above say.
       */
      ndjson?(out: string[]): void;
    }
  | { action: "delete"; index: string; id: string };

export interface BulkItemResult {
  /** Applied, or deliberately skipped because a newer version is stored (`stale`). */
  ok: boolean;
  status: number;
  /** A newer version of the document is already stored: not an error for idempotent ingest. */
  stale?: boolean;
  /** Worth retrying later (throttling, server error); otherwise the input is at fault. */
  retryable?: boolean;
  error?: string;
}

export interface StoredDoc {
  index: string;
  id: string;
  version?: number;
  source: Record<string, unknown>;
}

/** What the ingestor and the dead-letter reporter need. */
export interface DocumentStore {
  /**
   * One request for all ops; one result per op, in order. Retries throttled items itself (bounded).
   * With `visible`, returns only once the writes are searchable (a delete-by-query started afterwards,
   * here or in another process, sees them); stores that are always consistent ignore it.
   */
  bulk(ops: readonly BulkOp[], opts?: { visible?: boolean }): Promise<BulkItemResult[]>;
  /** Delete every document of `index` (alias) matching `filter`; returns how many were deleted. */
  deleteByQuery(index: string, filter: Filter): Promise<number>;
  /** Names of the write aliases that exist: the set of indices the ingestor may write to. */
  writeAliases(): Promise<ReadonlySet<string>>;
  /** Documents matching `filter` (tests, admin checks); at most `size`. */
  search(index: string, filter?: Filter, size?: number): Promise<StoredDoc[]>;
  count(index: string, filter?: Filter): Promise<number>;
  /**
   * Several counts in one request; a query's `index` may list several, comma-separated. Optional:
   * without it the ingestor skips its stale-replay guard and runs every superseded clean-up.
   */
  countMany?(queries: ReadonlyArray<{ index: string; filter: Filter }>): Promise<number[]>;
  /** Make recent writes visible to search (tests and admin reindex). */
  refresh(index: string): Promise<void>;
}

export interface IndexInfo {
  name: string;
  aliases: Record<string, { is_write_index?: boolean }>;
  mappings: Record<string, unknown>;
  settings: Record<string, unknown>;
}

export type AliasAction =
  | { add: { index: string; alias: string; is_write_index?: boolean } }
  | { remove: { index: string; alias: string } };

/** What the admin handler needs to manage versioned indices behind aliases. */
export interface IndexAdmin {
  getIndex(name: string): Promise<IndexInfo | undefined>;
  createIndex(
    name: string,
    body: { mappings: unknown; settings: unknown; aliases?: Record<string, unknown> },
  ): Promise<void>;
  deleteIndex(name: string): Promise<void>;
  /** Physical indices an alias points to ([] when the alias does not exist). */
  aliasTargets(alias: string): Promise<string[]>;
  /** Apply all actions atomically. */
  updateAliases(actions: readonly AliasAction[]): Promise<void>;
  /** Copy every document of `source` into `dest`; throws listing failures. */
  reindex(source: string, dest: string): Promise<{ copied: number }>;
  count(index: string): Promise<number>;
}

export interface SavedObjectBody {
  attributes: Record<string, unknown>;
  references?: unknown[];
}

/** OpenSearch Dashboards saved objects (`/_dashboards/api/saved_objects/{type}/{id}`). */
export interface SavedObjectStore {
  getSavedObject(
    type: string,
    id: string,
  ): Promise<(SavedObjectBody & { id: string; type: string }) | undefined>;
  /** Create, or update when it exists (409): never a query-string overwrite (SigV4 ignores POST params). */
  putSavedObject(type: string, id: string, body: SavedObjectBody): Promise<"created" | "updated">;
  /** true when deleted, false when it was not there (404 counts as success). */
  deleteSavedObject(type: string, id: string): Promise<boolean>;
}

/** Fine-grained access control (the security plugin's REST API). */
export interface SecurityAdmin {
  putRole(name: string, body: unknown): Promise<void>;
  /** Replace the role's mapping with exactly these backend roles. */
  putRoleMapping(name: string, backendRoles: readonly string[]): Promise<void>;
  /** 404 counts as success, for both. */
  deleteRole(name: string): Promise<void>;
  deleteRoleMapping(name: string): Promise<void>;
}
