import { Client } from "@opensearch-project/opensearch";
import { AwsSigv4Signer } from "@opensearch-project/opensearch/aws";
import { writeAliasPath } from "../infra/access";
import { bulkBody } from "./bulk";
import type {
  AliasAction,
  BulkItemResult,
  BulkOp,
  DocumentStore,
  Filter,
  IndexAdmin,
  IndexInfo,
  SavedObjectBody,
  SavedObjectStore,
  SecurityAdmin,
  StoredDoc,
} from "./types";

export { bulkBody } from "./bulk";

export interface RetryPolicy {
  /** Attempts in all, including the first (default 5). */
  attempts: number;
  /** First back-off in ms; doubles each attempt, with full jitter (default 200). */
  baseDelayMs: number;
  /** Cap of one back-off (default 5000). */
  maxDelayMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };

/** 429 and 5xx are worth retrying; 4xx are the request's fault. */
export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** Full-jitter exponential back-off (AWS Architecture Blog "Exponential Backoff And Jitter"). */
export function backoffMs(attempt: number, p: RetryPolicy, random = Math.random): number {
  return Math.floor(random() * Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** attempt));
}

/** A retry is not worth starting with less time than this left for its request. */
const MIN_REQUEST_MS = 250;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An OpenSearch answer that ended a call: a status we do not retry, or the last of the retried ones.
 * Carries the status and OpenSearch's error type, and a message without request or response bodies.
 */
export class OpenSearchError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = "OpenSearchError";
  }
}

/** The invocation's time ran out before the call could finish (or be retried): retry the record later. */
export class DeadlineExceeded extends Error {
  constructor(what: string) {
    super(`${what}: no time left before the invocation deadline`);
    this.name = "DeadlineExceeded";
  }
}

/** Longest one HTTP request may take when no deadline is nearer. */
const REQUEST_TIMEOUT_MS = 30_000;

/** A `_bulk` answer: one item per op, keyed by the op's action. */
interface BulkAnswer {
  items: Array<Record<string, { status: number; error?: { type?: string; reason?: string } }>>;
}

interface RawResponse {
  statusCode: number;
  body: any;
}

/** Translate our narrow filter into query DSL (every condition in `bool.filter`: no scoring). */
export function filterToQuery(f: Filter | undefined): Record<string, unknown> {
  const clauses: unknown[] = [];
  for (const [field, value] of Object.entries(f?.term ?? {})) clauses.push({ term: { [field]: value } });
  for (const [field, r] of Object.entries(f?.range ?? {})) clauses.push({ range: { [field]: r } });
  for (const [field, r] of Object.entries(f?.rangeOrMissing ?? {}))
    clauses.push({
      bool: {
        should: [{ range: { [field]: r } }, { bool: { must_not: { exists: { field } } } }],
        minimum_should_match: 1,
      },
    });
  return clauses.length ? { bool: { filter: clauses } } : { match_all: {} };
}

/** OpenSearch's error type and reason, bounded: a reason may quote the request (document bodies). */
function describe(body: any): string {
  const e = body?.error;
  if (!e) return JSON.stringify(body ?? "").slice(0, 300);
  if (typeof e === "string") return e.slice(0, 300);
  return `${e.type ?? "error"}: ${String(e.reason ?? JSON.stringify(e)).slice(0, 300)}`;
}

/** The write-alias lookup: which patterns it covers (undefined: every alias) and its cached answer. */
interface AliasState {
  patterns?: readonly string[];
  cache?: { at: number; names: ReadonlySet<string> };
}

/** Amazon OpenSearch Service (or any OpenSearch) behind our storage interfaces. */
export class OpenSearchStore implements DocumentStore, IndexAdmin, SavedObjectStore, SecurityAdmin {
  /** Shared with every `withDeadline` view of this store, so one invocation's lookup serves the next. */
  private readonly aliases: AliasState;

  constructor(
    private readonly client: Client,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    /** How long the write-alias list is trusted (ms): new indices appear within this. */
    private readonly aliasCacheMs = 60_000,
    /** Epoch ms by which every call must have returned: retries and request timeouts shrink to fit. */
    private readonly deadline?: number,
    aliases?: AliasState,
  ) {
    this.aliases = aliases ?? {};
  }

  /**
   * This store, bounded by `deadline` (epoch ms): each request times out by then and no retry starts
   * that could not finish, so a Lambda returns its partial-batch answer instead of being killed mid-retry.
   */
  withDeadline(deadline: number): OpenSearchStore {
    return new OpenSearchStore(this.client, this.retry, this.aliasCacheMs, deadline, this.aliases);
  }

  /** A SigV4-signing client (service `es`, default credential chain, read at call time). */
  static signed(
    endpoint: string,
    region: string,
    retry?: RetryPolicy,
    writeAliasPatterns?: readonly string[],
  ): OpenSearchStore {
    const client = new Client({
      ...AwsSigv4Signer({ region, service: "es" }),
      node: endpoint,
      maxRetries: 0,
      requestTimeout: 30_000,
    });
    return new OpenSearchStore(client, retry, undefined, undefined, { patterns: writeAliasPatterns });
  }

  /** An unsigned client (the test double, a local cluster). */
  static unsigned(
    endpoint: string,
    retry?: RetryPolicy,
    writeAliasPatterns?: readonly string[],
  ): OpenSearchStore {
    const client = new Client({ node: endpoint, maxRetries: 0, requestTimeout: 30_000 });
    return new OpenSearchStore(client, retry, undefined, undefined, { patterns: writeAliasPatterns });
  }

  /** One HTTP call, retried with back-off on 429/5xx and connection errors; other statuses returned. */
  private async call(
    method: string,
    path: string,
    body?: unknown,
    opts: { bulk?: string; headers?: Record<string, string>; query?: Record<string, string> } = {},
  ): Promise<RawResponse> {
    for (let attempt = 0; ; attempt++) {
      const timeout = this.timeLeft(`${method} ${path}`, REQUEST_TIMEOUT_MS);
      let res: RawResponse | undefined;
      let err: unknown;
      try {
        const params: Record<string, unknown> = { method, path, querystring: opts.query };
        if (opts.bulk !== undefined) params.bulkBody = opts.bulk;
        else if (body !== undefined) params.body = body;
        const r = await this.client.transport.request(params as any, {
          ignore: [400, 401, 403, 404, 409, 429, 500, 502, 503, 504],
          headers: opts.headers,
          requestTimeout: timeout,
        });
        res = { statusCode: r.statusCode ?? 0, body: r.body };
      } catch (e) {
        err = e; // connection failure, timeout, or a body that is not JSON (cut short)
      }
      const retryable = err !== undefined || isRetryableStatus(res!.statusCode);
      if (!retryable) return res!;
      // The client's errors carry the request and response (bodies included): keep name and message only.
      const failure = err
        ? new OpenSearchError(
            0,
            (err as Error).name ?? "connection",
            `${method} ${path}: ${(err as Error).message}`.slice(0, 500),
          )
        : new OpenSearchError(
            res!.statusCode,
            res!.body?.error?.type ?? "unavailable",
            `${method} ${path}: ${res!.statusCode} ${describe(res!.body)}`,
          );
      const pause = backoffMs(attempt, this.retry);
      if (attempt + 1 >= this.retry.attempts || !this.hasTime(pause)) {
        failure.message += ` (after ${attempt + 1} attempt${attempt ? "s" : ""})`;
        throw failure;
      }
      await sleep(pause);
    }
  }

  /** Time one request may take: `max`, or less when the deadline is nearer; throws when none is left. */
  private timeLeft(what: string, max: number): number {
    if (this.deadline === undefined) return max;
    const left = this.deadline - Date.now();
    if (left <= 0) throw new DeadlineExceeded(what);
    return Math.min(max, left);
  }

  /** Whether a pause of `ms` still leaves time for a request afterwards. */
  private hasTime(ms: number): boolean {
    return this.deadline === undefined || Date.now() + ms + MIN_REQUEST_MS < this.deadline;
  }

  private async ok(
    method: string,
    path: string,
    body?: unknown,
    opts?: Parameters<OpenSearchStore["call"]>[3],
  ): Promise<any> {
    const r = await this.call(method, path, body, opts);
    if (r.statusCode >= 300)
      throw new OpenSearchError(
        r.statusCode,
        r.body?.error?.type ?? "error",
        `${method} ${path}: ${r.statusCode} ${describe(r.body)}`,
      );
    return r.body;
  }

  // ---- DocumentStore ----

  async bulk(ops: readonly BulkOp[], opts: { visible?: boolean } = {}): Promise<BulkItemResult[]> {
    const results: BulkItemResult[] = new Array(ops.length);
    let pending = ops.map((_, i) => i);
    for (let attempt = 0; pending.length > 0; attempt++) {
      const body = await this.bulkOnce(
        pending.map((i) => ops[i]),
        attempt,
        opts.visible === true,
      );
      const items = body.items;
      const again: number[] = [];
      items.forEach((item, k) => {
        const i = pending[k];
        const r = Object.values(item)[0];
        if (r.status < 300 || (ops[i].action === "delete" && r.status === 404))
          results[i] = { ok: true, status: r.status };
        else if (
          r.status === 409 &&
          ops[i].action === "index" &&
          (ops[i] as { externalVersion?: number }).externalVersion !== undefined
        ) {
          results[i] = { ok: true, stale: true, status: 409 };
        } else {
          const retryable = isRetryableStatus(r.status);
          results[i] = {
            ok: false,
            status: r.status,
            retryable,
            error: `${r.error?.type ?? "error"}: ${r.error?.reason ?? ""}`.slice(0, 1000),
          };
          if (retryable) again.push(i);
        }
      });
      const pause = backoffMs(attempt, this.retry);
      if (again.length === 0 || attempt + 1 >= this.retry.attempts || !this.hasTime(pause)) break;
      await sleep(pause);
      pending = again;
    }
    return results;
  }

  /**
   * One `_bulk` request whose answer accounts for every op. An answer with a different number of items
   * (a proxy or node cut it) says nothing about the missing ops: the whole request is sent again, which
   * is safe because every op is idempotent (ids and external versions), and fails after the attempts.
   */
  private async bulkOnce(ops: readonly BulkOp[], attempt: number, visible: boolean): Promise<BulkAnswer> {
    const ndjson = bulkBody(ops);
    for (let k = attempt; ; k++) {
      const body = await this.ok("POST", "/_bulk", undefined, {
        bulk: ndjson,
        // wait_for: answered after the next scheduled refresh, without forcing one.
        ...(visible ? { query: { refresh: "wait_for" } } : {}),
      });
      const n = Array.isArray(body?.items) ? body.items.length : -1;
      if (n === ops.length) return body;
      const pause = backoffMs(k, this.retry);
      if (k + 1 >= this.retry.attempts || !this.hasTime(pause))
        throw new OpenSearchError(
          502,
          "bulk_item_count",
          `POST /_bulk: ${n < 0 ? "no items" : `${n} items`} in the answer for ${ops.length} operations`,
        );
      await sleep(pause);
    }
  }

  async deleteByQuery(index: string, filter: Filter): Promise<number> {
    // conflicts=proceed: a document rewritten meanwhile is newer than the query saw; leave it.
    const body = await this.ok(
      "POST",
      `/${encodeURIComponent(index)}/_delete_by_query`,
      { query: filterToQuery(filter) },
      { query: { conflicts: "proceed", refresh: "true" } },
    );
    if (body.failures?.length)
      throw new OpenSearchError(
        500,
        "delete_by_query_failure",
        `delete_by_query on ${index}: ${JSON.stringify(body.failures).slice(0, 500)}`,
      );
    return body.deleted ?? 0;
  }

  /**
   * The write aliases within the store's patterns (all without). Only a 200 with an object says which
   * exist (a wildcard that matches nothing is `200 {}`); any other answer (401/403 while credentials
   * rotate, a 404 from a proxy) throws, is never cached, and leaves the records to be retried rather
   * than rejected as naming unknown indices.
   */
  async writeAliases(): Promise<ReadonlySet<string>> {
    const cached = this.aliases.cache;
    if (cached && Date.now() - cached.at < this.aliasCacheMs) return cached.names;
    const path = writeAliasPath(this.aliases.patterns);
    const r = await this.call("GET", path);
    if (r.statusCode !== 200 || r.body === null || typeof r.body !== "object")
      throw new OpenSearchError(
        r.statusCode,
        r.body?.error?.type ?? "alias_lookup",
        `GET ${path}: ${r.statusCode} ${describe(r.body)}`,
      );
    const names = new Set<string>();
    for (const v of Object.values(r.body) as Array<{ aliases?: Record<string, unknown> }>)
      for (const a of Object.keys(v?.aliases ?? {})) names.add(a);
    this.aliases.cache = { at: Date.now(), names };
    return names;
  }

  /** Forget the cached alias list (after the admin creates an index, or when a name is unknown). */
  invalidateAliases(): void {
    this.aliases.cache = undefined;
  }

  async search(index: string, filter?: Filter, size = 100): Promise<StoredDoc[]> {
    const body = await this.ok("POST", `/${encodeURIComponent(index)}/_search`, {
      query: filterToQuery(filter),
      size,
      version: true,
    });
    return (body.hits?.hits ?? []).map((h: any) => ({
      index: h._index,
      id: h._id,
      version: h._version,
      source: h._source,
    }));
  }

  async count(index: string, filter?: Filter): Promise<number> {
    return (await this.ok("POST", `/${encodeURIComponent(index)}/_count`, { query: filterToQuery(filter) }))
      .count;
  }

  async countMany(queries: ReadonlyArray<{ index: string; filter: Filter }>): Promise<number[]> {
    if (queries.length === 0) return [];
    const q = JSON.stringify;
    const body = queries
      .map(
        (x) =>
          `${q({ index: x.index })}\n${q({ size: 0, track_total_hits: true, query: filterToQuery(x.filter) })}\n`,
      )
      .join("");
    const res = await this.ok("POST", "/_msearch", undefined, { bulk: body });
    return (
      res.responses as Array<{ status?: number; error?: unknown; hits?: { total?: { value: number } } }>
    ).map((r, i) => {
      if (r.error)
        throw new OpenSearchError(r.status ?? 500, "msearch", `count on ${queries[i].index}: ${describe(r)}`);
      return r.hits?.total?.value ?? 0;
    });
  }

  async refresh(index: string): Promise<void> {
    await this.ok("POST", `/${encodeURIComponent(index)}/_refresh`);
  }

  // ---- IndexAdmin ----

  async getIndex(name: string): Promise<IndexInfo | undefined> {
    const r = await this.call("GET", `/${encodeURIComponent(name)}`);
    if (r.statusCode === 404) return undefined;
    if (r.statusCode >= 300)
      throw new OpenSearchError(
        r.statusCode,
        r.body?.error?.type ?? "error",
        `GET ${name}: ${describe(r.body)}`,
      );
    const [physical, v] = Object.entries(r.body as Record<string, any>)[0];
    return {
      name: physical,
      aliases: v.aliases ?? {},
      mappings: v.mappings ?? {},
      settings: v.settings ?? {},
    };
  }

  async createIndex(
    name: string,
    body: { mappings: unknown; settings: unknown; aliases?: Record<string, unknown> },
  ): Promise<void> {
    await this.ok("PUT", `/${encodeURIComponent(name)}`, body);
    this.invalidateAliases();
  }

  async deleteIndex(name: string): Promise<void> {
    const r = await this.call("DELETE", `/${encodeURIComponent(name)}`);
    if (r.statusCode >= 300 && r.statusCode !== 404)
      throw new OpenSearchError(
        r.statusCode,
        r.body?.error?.type ?? "error",
        `DELETE ${name}: ${describe(r.body)}`,
      );
    this.invalidateAliases();
  }

  async aliasTargets(alias: string): Promise<string[]> {
    const r = await this.call("GET", `/_alias/${encodeURIComponent(alias)}`);
    if (r.statusCode === 404) return [];
    if (r.statusCode >= 300)
      throw new OpenSearchError(r.statusCode, "error", `GET _alias/${alias}: ${describe(r.body)}`);
    return Object.keys(r.body ?? {}).sort();
  }

  async updateAliases(actions: readonly AliasAction[]): Promise<void> {
    await this.ok("POST", "/_aliases", { actions });
    this.invalidateAliases();
  }

  async reindex(source: string, dest: string): Promise<{ copied: number }> {
    // external versions: a document already rewritten in `dest` (newer) is kept; conflicts are expected.
    const spec = {
      conflicts: "proceed",
      source: { index: source },
      dest: { index: dest, version_type: "external" },
    };
    const body = await this.ok("POST", "/_reindex", spec, {
      query: { refresh: "true", wait_for_completion: "true" },
    });
    if (body.failures?.length)
      throw new OpenSearchError(
        500,
        "reindex_failure",
        `reindex ${source} → ${dest}: ${body.failures.length} failures, first: ${JSON.stringify(body.failures[0]).slice(0, 400)}`,
      );
    return { copied: (body.created ?? 0) + (body.updated ?? 0) };
  }

  // ---- SavedObjectStore ----

  /** Saved objects live in the global tenant, which every signed-in user with dashboards rights can read. */
  private static readonly SO_HEADERS = { "osd-xsrf": "true", securitytenant: "global" };

  private soPath(type: string, id: string): string {
    return `/_dashboards/api/saved_objects/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
  }

  async getSavedObject(type: string, id: string) {
    const r = await this.call("GET", this.soPath(type, id), undefined, {
      headers: { securitytenant: "global" },
    });
    if (r.statusCode === 404) return undefined;
    if (r.statusCode >= 300)
      throw new OpenSearchError(r.statusCode, "saved_object", `GET ${type}/${id}: ${describe(r.body)}`);
    return { id: r.body.id, type: r.body.type, attributes: r.body.attributes, references: r.body.references };
  }

  async putSavedObject(type: string, id: string, body: SavedObjectBody): Promise<"created" | "updated"> {
    const headers = OpenSearchStore.SO_HEADERS;
    const payload = { attributes: body.attributes, references: body.references ?? [] };
    const created = await this.call("POST", this.soPath(type, id), payload, { headers });
    if (created.statusCode < 300) return "created";
    if (created.statusCode !== 409)
      throw new OpenSearchError(
        created.statusCode,
        "saved_object",
        `POST ${type}/${id}: ${describe(created.body)}`,
      );
    const updated = await this.call("PUT", this.soPath(type, id), payload, { headers });
    if (updated.statusCode >= 300)
      throw new OpenSearchError(
        updated.statusCode,
        "saved_object",
        `PUT ${type}/${id}: ${describe(updated.body)}`,
      );
    return "updated";
  }

  async deleteSavedObject(type: string, id: string): Promise<boolean> {
    const r = await this.call("DELETE", this.soPath(type, id), undefined, {
      headers: OpenSearchStore.SO_HEADERS,
    });
    if (r.statusCode === 404) return false;
    if (r.statusCode >= 300)
      throw new OpenSearchError(r.statusCode, "saved_object", `DELETE ${type}/${id}: ${describe(r.body)}`);
    return true;
  }

  // ---- SecurityAdmin ----

  private async securityPut(path: string, body: unknown): Promise<void> {
    await this.ok("PUT", `/_plugins/_security/api/${path}`, body);
  }

  private async securityDelete(path: string): Promise<void> {
    const r = await this.call("DELETE", `/_plugins/_security/api/${path}`);
    if (r.statusCode >= 300 && r.statusCode !== 404)
      throw new OpenSearchError(r.statusCode, "security", `DELETE ${path}: ${describe(r.body)}`);
  }

  putRole(name: string, body: unknown): Promise<void> {
    return this.securityPut(`roles/${encodeURIComponent(name)}`, body);
  }

  putRoleMapping(name: string, backendRoles: readonly string[]): Promise<void> {
    return this.securityPut(`rolesmapping/${encodeURIComponent(name)}`, {
      backend_roles: backendRoles,
      hosts: [],
      users: [],
    });
  }

  deleteRole(name: string): Promise<void> {
    return this.securityDelete(`roles/${encodeURIComponent(name)}`);
  }

  deleteRoleMapping(name: string): Promise<void> {
    return this.securityDelete(`rolesmapping/${encodeURIComponent(name)}`);
  }
}
