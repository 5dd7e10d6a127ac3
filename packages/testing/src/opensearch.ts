import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * OpenSearch test double: an in-memory HTTP server on 127.0.0.1 implementing exactly the subset of the
 * OpenSearch REST API (and the Dashboards saved-objects API) that sec-an relies on, with the same
 * status codes and error types. Behaviour mirrors a domain created with `action.auto_create_index:
 * false` (analytics-platform sets that), so writes to an unknown index fail with
 * `index_not_found_exception` instead of creating one.
 *
 * Tests call `openSearchForTests()`: when `OPENSEARCH_URL` is set they get that real cluster instead
 * (see projects/analytics-platform/README.md), so the same tests prove the double honest.
 */

type Doc = { source: Record<string, unknown>; version: number; seqNo: number };

/**
 * An index's documents by id, with the ids of each value of a field kept for the fields term queries
 * have asked about (built on first use, kept current on every write and delete): a query with a term
 * filter reads only the documents holding that term, as OpenSearch's inverted index would, instead of
 * every document of the index.
 */
class DocMap extends Map<string, Doc> {
  private readonly terms = new Map<string, Map<string, Set<string>>>();

  private static keys(src: Record<string, unknown>, field: string): string[] {
    return valuesAt(src, field).map((v) => String(v));
  }

  override set(id: string, doc: Doc): this {
    const old = super.get(id);
    for (const [field, byValue] of this.terms ?? []) {
      if (old) for (const k of DocMap.keys(old.source, field)) byValue.get(k)?.delete(id);
      for (const k of DocMap.keys(doc.source, field)) {
        let ids = byValue.get(k);
        if (!ids) byValue.set(k, (ids = new Set()));
        ids.add(id);
      }
    }
    return super.set(id, doc);
  }

  override delete(id: string): boolean {
    const old = super.get(id);
    if (old)
      for (const [field, byValue] of this.terms)
        for (const k of DocMap.keys(old.source, field)) byValue.get(k)?.delete(id);
    return super.delete(id);
  }

  /** Ids of the documents where `field` has a value whose text is `text`. */
  withTerm(field: string, text: string): ReadonlySet<string> {
    let byValue = this.terms.get(field);
    if (!byValue) {
      byValue = new Map();
      for (const [id, doc] of this)
        for (const k of DocMap.keys(doc.source, field)) {
          let ids = byValue.get(k);
          if (!ids) byValue.set(k, (ids = new Set()));
          ids.add(id);
        }
      this.terms.set(field, byValue);
    }
    return byValue.get(text) ?? new Set();
  }
}

interface Index {
  settings: Record<string, unknown>;
  mappings: Record<string, unknown>;
  docs: DocMap;
}
interface SavedObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: unknown[];
  version: number;
  updated_at: string;
}
type Query = Record<string, unknown>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(reason);
  }
}

const INVALID_CHARS = /[\\/*?"<>|\s,#:A-Z]/;
/** OpenSearch's index/alias name rules (MetadataCreateIndexService.validateIndexOrAliasName). */
export function checkIndexName(name: string): void {
  if (!name || name === "." || name === "..")
    throw new HttpError(400, "invalid_index_name_exception", `Invalid index name [${name}]`);
  if (/^[_\-+]/.test(name))
    throw new HttpError(
      400,
      "invalid_index_name_exception",
      `Invalid index name [${name}], must not start with '_', '-', or '+'`,
    );
  if (INVALID_CHARS.test(name))
    throw new HttpError(
      400,
      "invalid_index_name_exception",
      `Invalid index name [${name}], must be lowercase and must not contain \\, /, *, ?, ", <, >, |, ' ', ',', #, :`,
    );
  if (Buffer.byteLength(name) > 255)
    throw new HttpError(
      400,
      "invalid_index_name_exception",
      `Invalid index name [${name}], index name is too long`,
    );
}

/** An OpenSearch name expression with `*` wildcards (comma lists allowed) as a regex. */
function glob(expr: string): RegExp {
  const alts = expr.split(",").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*"));
  return new RegExp(`^(?:${alts.join("|")})$`);
}

function getPath(obj: Record<string, unknown>, path: string): unknown {
  if (path in obj) return obj[path];
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Comparable form: dates (ISO strings) compare as epoch ms, numbers as numbers. */
function comparable(v: unknown): number | string {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v)))
    return Date.parse(v);
  return String(v);
}

function valuesAt(src: Record<string, unknown>, field: string): unknown[] {
  const f = field.endsWith(".keyword") ? field.slice(0, -".keyword".length) : field;
  const v = getPath(src, f);
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

export function matches(id: string, src: Record<string, unknown>, q: Query | undefined): boolean {
  return compileQuery(q)(id, src);
}

type Predicate = (id: string, src: Record<string, unknown>) => boolean;

/**
 * A term every match must hold (top level, or in a bool's must/filter): field and the value's text. A
 * term matches a value when their texts are equal (`v === want` implies it).
 */
function requiredTerm(q: Query | undefined): [string, string] | undefined {
  if (!q || Object.keys(q).length === 0) return undefined;
  const [kind, body] = Object.entries(q)[0] as [string, Record<string, unknown>];
  if (kind === "term") {
    const [field, spec] = Object.entries(body)[0];
    const want = spec !== null && typeof spec === "object" ? (spec as { value: unknown }).value : spec;
    return [field, String(want)];
  }
  if (kind !== "bool") return undefined;
  for (const k of ["must", "filter"]) {
    const x = body[k];
    for (const c of x === undefined ? [] : Array.isArray(x) ? (x as Query[]) : [x as Query]) {
      const t = requiredTerm(c);
      if (t) return t;
    }
  }
  return undefined;
}
const always: Predicate = () => true;
const RANGE_OPS = [
  ["gt", (a: number | string, b: number | string) => a > b],
  ["gte", (a: number | string, b: number | string) => a >= b],
  ["lt", (a: number | string, b: number | string) => a < b],
  ["lte", (a: number | string, b: number | string) => a <= b],
] as const;

/**
 * A query as a predicate, read once for a whole search rather than once per document (a delete-by-query
 * per parent over a large index made the double the slowest part of an ingest). An unknown query kind
 * throws when it is evaluated, as it did when matching read the query per document.
 */
export function compileQuery(q: Query | undefined): Predicate {
  if (!q || Object.keys(q).length === 0) return always;
  const [kind, body] = Object.entries(q)[0] as [string, Record<string, unknown>];
  switch (kind) {
    case "match_all":
      return always;
    case "term": {
      const [field, spec] = Object.entries(body)[0];
      const want = spec !== null && typeof spec === "object" ? (spec as { value: unknown }).value : spec;
      const wantText = String(want);
      return (_, src) => valuesAt(src, field).some((v) => v === want || String(v) === wantText);
    }
    case "terms": {
      const [field, wanted] = Object.entries(body)[0] as [string, unknown[]];
      const texts = wanted.map((w) => String(w));
      return (_, src) => valuesAt(src, field).some((v) => texts.includes(String(v)));
    }
    case "ids": {
      const values = (body as { values: string[] }).values ?? [];
      return (id) => values.includes(id);
    }
    case "exists": {
      const field = (body as { field: string }).field;
      return (_, src) => valuesAt(src, field).length > 0;
    }
    case "range": {
      const [field, r] = Object.entries(body)[0] as [string, Record<string, unknown>];
      const bounds = RANGE_OPS.filter(([op]) => r[op] !== undefined).map(
        ([op, f]) => [comparable(r[op]), f] as const,
      );
      return (_, src) =>
        valuesAt(src, field).some((raw) => {
          const v = comparable(raw);
          return bounds.every(([b, f]) => f(v, b));
        });
    }
    case "bool": {
      const list = (k: string): Predicate[] => {
        const x = body[k];
        const qs = x === undefined ? [] : Array.isArray(x) ? (x as Query[]) : [x as Query];
        return qs.map(compileQuery);
      };
      const all = [...list("must"), ...list("filter")];
      const none = list("must_not");
      const should = list("should");
      return (id, src) =>
        all.every((c) => c(id, src)) &&
        none.every((c) => !c(id, src)) &&
        (should.length === 0 || should.some((c) => c(id, src)));
    }
    default:
      return () => {
        throw new HttpError(400, "parsing_exception", `unknown query [${kind}]`);
      };
  }
}

/** Checks the field types our mappings declare, like OpenSearch's mapper (date and numeric fields). */
function checkMapping(mappings: Record<string, unknown>, src: Record<string, unknown>): void {
  const props = (mappings.properties ?? {}) as Record<string, { type?: string }>;
  for (const [field, def] of Object.entries(props)) {
    const values = valuesAt(src, field);
    for (const v of values) {
      if (
        def.type === "date" &&
        !(typeof v === "number" || (typeof v === "string" && !Number.isNaN(Date.parse(v))))
      ) {
        throw new HttpError(
          400,
          "mapper_parsing_exception",
          `failed to parse field [${field}] of type [date]`,
        );
      }
      if (
        ["long", "integer", "short", "double", "float"].includes(def.type ?? "") &&
        Number.isNaN(Number(v))
      ) {
        throw new HttpError(
          400,
          "mapper_parsing_exception",
          `failed to parse field [${field}] of type [${def.type}]`,
        );
      }
    }
  }
}

export class OpenSearchDouble {
  readonly indices = new Map<string, Index>();
  /** alias → (index → isWriteIndex) */
  readonly aliases = new Map<string, Map<string, boolean>>();
  readonly savedObjects = new Map<string, SavedObject>();
  /** Security plugin roles and role mappings (`_plugins/_security/api/{roles,rolesmapping}`). */
  readonly securityRoles = new Map<string, unknown>();
  readonly roleMappings = new Map<string, { backend_roles: string[] }>();
  /** Every request seen, for assertions such as "one bulk per batch". */
  readonly requests: Array<{ method: string; path: string; tenant?: string }> = [];
  private faults: Array<{ path: RegExp; status: number; remaining: number }> = [];
  private seq = 0;
  private server?: Server;

  private itemFaults: number[] = [];

  /**
   * Reject the first `count` items of each of the next `requests` bulk requests with 429
   * `es_rejected_execution_exception` (a busy write queue).
   */
  rejectNextBulkItems(count: number, requests = 1): void {
    for (let k = 0; k < requests; k++) this.itemFaults.push(count);
  }

  /** Answer the next `count` requests whose path matches with `status` (429/5xx: tests retries). */
  failNext(path: RegExp, status: number, count = 1): void {
    this.faults.push({ path, status, remaining: count });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    const tenant = req.headers.securitytenant;
    this.requests.push({ method, path: url.pathname, ...(typeof tenant === "string" ? { tenant } : {}) });
    const send = (status: number, payload: unknown) => {
      const text = method === "HEAD" ? "" : JSON.stringify(payload);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(text);
    };
    const fault = this.faults.find((f) => f.remaining > 0 && f.path.test(url.pathname));
    if (fault) {
      fault.remaining -= 1;
      send(fault.status, {
        error: { type: "injected_fault", reason: `injected ${fault.status}` },
        status: fault.status,
      });
      return;
    }
    try {
      const [status, payload] = this.route(method, url, body, req.headers);
      send(status, payload);
    } catch (e) {
      if (e instanceof HttpError) {
        send(e.status, {
          error: { root_cause: [{ type: e.type, reason: e.message }], type: e.type, reason: e.message },
          status: e.status,
        });
      } else {
        send(500, { error: { type: "exception", reason: String(e) }, status: 500 });
      }
    }
  }

  private route(
    method: string,
    url: URL,
    body: string,
    headers: IncomingMessage["headers"],
  ): [number, unknown] {
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const json = () => (body ? (JSON.parse(body) as Record<string, unknown>) : {});
    if (parts[0] === "_dashboards") return this.savedObjectsRoute(method, parts.slice(1), json, headers);
    if (parts[0] === "_plugins" && parts[1] === "_security" && parts[2] === "api")
      return this.securityRoute(method, parts[3], parts[4], json);
    if (parts.length === 0)
      return [
        200,
        {
          version: { distribution: "opensearch", number: "2.19.0-double" },
          tagline: "The OpenSearch Project: https://opensearch.org/",
        },
      ];
    const [first, second] = parts;
    if (first === "_bulk" || second === "_bulk")
      return [200, this.bulk(body, second === "_bulk" ? first : undefined)];
    if (first === "_aliases" && method === "POST") return [200, this.updateAliases(json())];
    if (first === "_alias" || second === "_alias")
      return this.getAliases(
        second === "_alias" ? first : undefined,
        second === "_alias" ? parts[2] : second,
      );
    if (first === "_reindex") return [200, this.reindex(json())];
    if (first === "_msearch" || second === "_msearch")
      return [200, this.msearch(body, second === "_msearch" ? first : undefined)];
    if (first === "_refresh" || second === "_refresh")
      return [200, { _shards: { total: 1, successful: 1, failed: 0 } }];
    if (second === "_search") return [200, this.search(first, json())];
    if (second === "_count")
      return [200, { count: this.find(first, json().query as Query, { anyOrder: true }).length }];
    if (second === "_delete_by_query") return [200, this.deleteByQuery(first, json())];
    if (second === "_doc" && parts[2] && method === "GET") return this.getDoc(first, parts[2]);
    if (parts.length === 1 && method === "PUT") return [200, this.createIndex(first, json())];
    if (parts.length === 1 && !first.startsWith("_")) {
      if (method === "HEAD") return [this.resolve(first, false).length ? 200 : 404, {}];
      if (method === "GET") return [200, this.getIndex(first)];
      if (method === "DELETE") return [200, this.deleteIndex(first)];
    }
    throw new HttpError(400, "illegal_argument_exception", `no handler for ${method} ${url.pathname}`);
  }

  // ---- indices and aliases ----

  private createIndex(name: string, spec: Record<string, unknown>): unknown {
    checkIndexName(name);
    if (this.indices.has(name) || this.aliases.has(name))
      throw new HttpError(400, "resource_already_exists_exception", `index [${name}] already exists`);
    this.indices.set(name, {
      settings: (spec.settings ?? {}) as Record<string, unknown>,
      mappings: (spec.mappings ?? {}) as Record<string, unknown>,
      docs: new DocMap(),
    });
    for (const [alias, def] of Object.entries(
      (spec.aliases ?? {}) as Record<string, { is_write_index?: boolean }>,
    ))
      this.addAlias(name, alias, def.is_write_index);
    return { acknowledged: true, shards_acknowledged: true, index: name };
  }

  /** Index names an expression (index, alias, or comma list; `*` suffix wildcard) resolves to. */
  resolve(expr: string, required = true): string[] {
    const out = new Set<string>();
    for (const part of expr.split(",")) {
      if (part.includes("*")) {
        const re = glob(part);
        for (const n of this.indices.keys()) if (re.test(n)) out.add(n);
        for (const [a, m] of this.aliases) if (re.test(a)) for (const n of m.keys()) out.add(n);
      } else if (this.indices.has(part)) out.add(part);
      else if (this.aliases.has(part)) for (const n of this.aliases.get(part)!.keys()) out.add(n);
      else if (required) throw new HttpError(404, "index_not_found_exception", `no such index [${part}]`);
    }
    return [...out];
  }

  /** The single index a write to `name` goes to (an alias needs one index or an explicit write index). */
  private writeIndex(name: string): string {
    if (this.indices.has(name)) return name;
    const m = this.aliases.get(name);
    if (!m) throw new HttpError(404, "index_not_found_exception", `no such index [${name}]`);
    const writers = [...m].filter(([, w]) => w).map(([n]) => n);
    if (writers.length === 1) return writers[0];
    if (m.size === 1) return [...m.keys()][0];
    throw new HttpError(400, "illegal_argument_exception", `no write index is defined for alias [${name}]`);
  }

  private getIndex(expr: string): unknown {
    const out: Record<string, unknown> = {};
    for (const n of this.resolve(expr)) {
      const ix = this.indices.get(n)!;
      out[n] = {
        aliases: this.aliasesOf(n),
        mappings: ix.mappings,
        settings: { index: { ...ix.settings, provided_name: n } },
      };
    }
    return out;
  }

  private aliasesOf(index: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [a, m] of this.aliases)
      if (m.has(index)) out[a] = m.get(index) ? { is_write_index: true } : {};
    return out;
  }

  private deleteIndex(expr: string): unknown {
    for (const n of this.resolve(expr)) {
      if (!this.indices.has(expr) && !expr.includes("*") && !expr.includes(",")) {
        throw new HttpError(
          400,
          "illegal_argument_exception",
          `The provided expression [${expr}] matches an alias, specify the corresponding concrete indices instead.`,
        );
      }
      this.indices.delete(n);
      for (const [a, m] of this.aliases) {
        m.delete(n);
        if (m.size === 0) this.aliases.delete(a);
      }
    }
    return { acknowledged: true };
  }

  private addAlias(index: string, alias: string, isWrite?: boolean): void {
    checkIndexName(alias);
    if (this.indices.has(alias))
      throw new HttpError(
        400,
        "invalid_alias_name_exception",
        `Invalid alias name [${alias}]: an index or data stream exists with the same name as the alias`,
      );
    const m = this.aliases.get(alias) ?? new Map<string, boolean>();
    m.set(index, isWrite === true);
    this.aliases.set(alias, m);
  }

  private getAliases(indexExpr: string | undefined, aliasName: string | undefined): [number, unknown] {
    const indices = indexExpr ? this.resolve(indexExpr) : [...this.indices.keys()];
    const out: Record<string, { aliases: Record<string, unknown> }> = {};
    for (const n of indices) {
      const all = this.aliasesOf(n);
      const picked = Object.fromEntries(
        Object.entries(all).filter(([a]) => !aliasName || glob(aliasName).test(a)),
      );
      if (!aliasName || Object.keys(picked).length) out[n] = { aliases: picked };
    }
    if (aliasName && !aliasName.includes("*") && Object.keys(out).length === 0)
      return [404, { error: `alias [${aliasName}] missing`, status: 404 }];
    return [200, out];
  }

  /** `_aliases` applies every action or none (validated first), as OpenSearch does. */
  private updateAliases(spec: Record<string, unknown>): unknown {
    const actions = (spec.actions ?? []) as Array<
      Record<string, { index?: string; alias?: string; is_write_index?: boolean }>
    >;
    const snapshot = new Map([...this.aliases].map(([a, m]) => [a, new Map(m)]));
    const indicesBefore = new Map(this.indices);
    try {
      for (const action of actions) {
        const [kind, a] = Object.entries(action)[0];
        const targets = this.resolve(a.index ?? "");
        for (const index of targets) {
          if (kind === "add") this.addAlias(index, a.alias!, a.is_write_index);
          else if (kind === "remove") {
            const m = this.aliases.get(a.alias!);
            if (!m?.has(index))
              throw new HttpError(404, "aliases_not_found_exception", `aliases [${a.alias}] missing`);
            m.delete(index);
            if (m.size === 0) this.aliases.delete(a.alias!);
          } else if (kind === "remove_index") this.deleteIndex(index);
          else throw new HttpError(400, "illegal_argument_exception", `unknown alias action [${kind}]`);
        }
      }
    } catch (e) {
      this.aliases.clear();
      for (const [a, m] of snapshot) this.aliases.set(a, m);
      this.indices.clear();
      for (const [n, ix] of indicesBefore) this.indices.set(n, ix);
      throw e;
    }
    return { acknowledged: true };
  }

  // ---- documents ----

  private write(
    indexName: string,
    id: string,
    source: Record<string, unknown>,
    opts: { op: string; version?: number; versionType?: string },
  ): { status: number; result: string; version: number; index: string } {
    const index = this.writeIndex(indexName);
    const ix = this.indices.get(index)!;
    checkMapping(ix.mappings, source);
    const existing = ix.docs.get(id);
    if (opts.op === "create" && existing)
      throw new HttpError(
        409,
        "version_conflict_engine_exception",
        `[${id}]: version conflict, document already exists (current version [${existing.version}])`,
      );
    let version = (existing?.version ?? 0) + 1;
    if (opts.versionType === "external" || opts.versionType === "external_gte") {
      if (opts.version === undefined)
        throw new HttpError(
          400,
          "action_request_validation_exception",
          "Validation Failed: 1: an explicit version is required for external versioning;",
        );
      const ok =
        !existing ||
        (opts.versionType === "external"
          ? opts.version > existing.version
          : opts.version >= existing.version);
      if (!ok)
        throw new HttpError(
          409,
          "version_conflict_engine_exception",
          `[${id}]: version conflict, current version [${existing!.version}] is higher or equal to the one provided [${opts.version}]`,
        );
      version = opts.version;
    }
    ix.docs.set(id, { source, version, seqNo: this.seq++ });
    return { status: existing ? 200 : 201, result: existing ? "updated" : "created", version, index };
  }

  private bulk(body: string, defaultIndex?: string): unknown {
    const lines = body.split("\n").filter((l) => l.trim() !== "");
    const items: unknown[] = [];
    let rejections = this.itemFaults.shift() ?? 0;
    for (let i = 0; i < lines.length; i++) {
      const [op, meta] = Object.entries(JSON.parse(lines[i]) as Record<string, Record<string, unknown>>)[0];
      const indexName = (meta._index as string | undefined) ?? defaultIndex ?? "";
      const id = meta._id as string;
      try {
        if (rejections > 0) {
          rejections -= 1;
          if (op === "index" || op === "create") i++;
          throw new HttpError(
            429,
            "es_rejected_execution_exception",
            "rejected execution of coordinating operation",
          );
        }
        if (op === "index" || op === "create") {
          const source = JSON.parse(lines[++i]) as Record<string, unknown>;
          const r = this.write(indexName, id, source, {
            op,
            version: meta.version as number | undefined,
            versionType: meta.version_type as string | undefined,
          });
          items.push({
            [op]: { _index: r.index, _id: id, _version: r.version, result: r.result, status: r.status },
          });
        } else if (op === "delete") {
          const index = this.writeIndex(indexName);
          const found = this.indices.get(index)!.docs.delete(id);
          items.push({
            delete: {
              _index: index,
              _id: id,
              result: found ? "deleted" : "not_found",
              status: found ? 200 : 404,
            },
          });
        } else
          throw new HttpError(
            400,
            "illegal_argument_exception",
            `Malformed action/metadata line [${i + 1}], expected one of [create, delete, index, update] but found [${op}]`,
          );
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        items.push({
          [op]: {
            _index: indexName,
            _id: id,
            status: e.status,
            error: { type: e.type, reason: e.message, index: indexName },
          },
        });
      }
    }
    return { took: 1, errors: items.some((it) => Object.values(it as object)[0].error), items };
  }

  /**
   * The documents matching `query`. With `anyOrder` (callers that sort or only count or delete), a
   * required term narrows the candidates to the documents holding it; otherwise index order.
   */
  private find(
    expr: string,
    query: Query | undefined,
    opts: { anyOrder?: boolean } = {},
  ): Array<{ index: string; id: string; doc: Doc }> {
    const out: Array<{ index: string; id: string; doc: Doc }> = [];
    const match = compileQuery(query);
    const term = opts.anyOrder ? requiredTerm(query) : undefined;
    for (const index of this.resolve(expr)) {
      const docs = this.indices.get(index)!.docs;
      if (term) {
        for (const id of docs.withTerm(...term)) {
          const doc = docs.get(id)!;
          if (match(id, doc.source)) out.push({ index, id, doc });
        }
      } else for (const [id, doc] of docs) if (match(id, doc.source)) out.push({ index, id, doc });
    }
    return out;
  }

  private search(expr: string, spec: Record<string, unknown>): unknown {
    const all = this.find(expr, spec.query as Query, { anyOrder: true }).sort(
      (a, b) => a.doc.seqNo - b.doc.seqNo,
    );
    const sort = (spec.sort ?? []) as Array<Record<string, "asc" | "desc" | { order: "asc" | "desc" }>>;
    for (const s of [...sort].reverse()) {
      const [field, o] = Object.entries(s)[0];
      const dir = (typeof o === "string" ? o : o.order) === "desc" ? -1 : 1;
      all.sort((a, b) => {
        const x = comparable(getPath(a.doc.source, field));
        const y = comparable(getPath(b.doc.source, field));
        return x < y ? -dir : x > y ? dir : 0;
      });
    }
    const from = (spec.from as number | undefined) ?? 0;
    const size = (spec.size as number | undefined) ?? 10;
    return {
      took: 1,
      timed_out: false,
      hits: {
        total: { value: all.length, relation: "eq" },
        hits: all.slice(from, from + size).map((h) => ({
          _index: h.index,
          _id: h.id,
          _version: h.doc.version,
          _score: 1,
          _source: h.doc.source,
        })),
      },
    };
  }

  /** `_msearch`: header/body line pairs; each answers like `_search` or with its own error. */
  private msearch(body: string, defaultIndex?: string): unknown {
    const lines = body.split("\n").filter((l) => l.trim() !== "");
    const responses: unknown[] = [];
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const header = JSON.parse(lines[i]) as { index?: string };
      try {
        responses.push({
          ...(this.search(header.index ?? defaultIndex ?? "", JSON.parse(lines[i + 1])) as object),
          status: 200,
        });
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        responses.push({ error: { type: e.type, reason: e.message }, status: e.status });
      }
    }
    return { took: 1, responses };
  }

  private getDoc(expr: string, id: string): [number, unknown] {
    for (const index of this.resolve(expr)) {
      const d = this.indices.get(index)!.docs.get(id);
      if (d) return [200, { _index: index, _id: id, _version: d.version, found: true, _source: d.source }];
    }
    return [404, { _index: expr, _id: id, found: false }];
  }

  private deleteByQuery(expr: string, spec: Record<string, unknown>): unknown {
    const hits = this.find(expr, spec.query as Query, { anyOrder: true });
    for (const h of hits) this.indices.get(h.index)!.docs.delete(h.id);
    return {
      took: 1,
      timed_out: false,
      total: hits.length,
      deleted: hits.length,
      version_conflicts: 0,
      failures: [],
    };
  }

  private reindex(spec: Record<string, unknown>): unknown {
    const src = (spec.source as { index: string }).index;
    const dest = (spec.dest as { index: string }).index;
    let created = 0;
    let updated = 0;
    let conflicts = 0;
    const failures: unknown[] = [];
    for (const h of this.find(src, (spec.source as { query?: Query }).query)) {
      try {
        const external = (spec.dest as { version_type?: string }).version_type === "external";
        const r = this.write(dest, h.id, h.doc.source, {
          op: "index",
          version: external ? h.doc.version : undefined,
          versionType: external ? "external" : undefined,
        });
        if (r.result === "created") created++;
        else updated++;
      } catch (e) {
        if ((e as HttpError).status === 409 && spec.conflicts === "proceed") {
          conflicts++;
          continue;
        }
        failures.push({
          index: dest,
          id: h.id,
          cause: { type: (e as HttpError).type, reason: (e as Error).message },
          status: (e as HttpError).status,
        });
      }
    }
    return {
      took: 1,
      timed_out: false,
      total: created + updated + conflicts + failures.length,
      created,
      updated,
      version_conflicts: conflicts,
      failures,
    };
  }

  // ---- security plugin ----

  private securityRoute(
    method: string,
    kind: string,
    name: string,
    json: () => Record<string, unknown>,
  ): [number, unknown] {
    const map =
      kind === "roles" ? this.securityRoles : kind === "rolesmapping" ? this.roleMappings : undefined;
    if (!map || !name)
      throw new HttpError(400, "illegal_argument_exception", `no handler for security ${kind}`);
    if (method === "PUT") {
      const existed = map.has(name);
      map.set(name, json() as never);
      return [
        existed ? 200 : 201,
        { status: existed ? "OK" : "CREATED", message: `'${name}' ${existed ? "updated" : "created"}.` },
      ];
    }
    if (method === "GET")
      return map.has(name)
        ? [200, { [name]: map.get(name) }]
        : [404, { status: "NOT_FOUND", message: `Resource '${name}' not found.` }];
    if (method === "DELETE")
      return map.delete(name)
        ? [200, { status: "OK", message: `'${name}' deleted.` }]
        : [404, { status: "NOT_FOUND", message: `Resource '${name}' not found.` }];
    throw new HttpError(405, "method_not_allowed", method);
  }

  // ---- Dashboards saved objects ----

  private savedObjectsRoute(
    method: string,
    parts: string[],
    json: () => Record<string, unknown>,
    headers: IncomingMessage["headers"],
  ): [number, unknown] {
    if (parts[0] !== "api" || parts[1] !== "saved_objects" || parts.length !== 4)
      throw new HttpError(404, "not_found", "Not Found");
    if (method !== "GET" && headers["osd-xsrf"] === undefined)
      return [
        400,
        { statusCode: 400, error: "Bad Request", message: "Request must contain a osd-xsrf header." },
      ];
    const [type, id] = [parts[2], parts[3]];
    const key = `${type}/${id}`;
    const existing = this.savedObjects.get(key);
    const view = (o: SavedObject) => ({
      id: o.id,
      type: o.type,
      attributes: o.attributes,
      references: o.references,
      version: `WzEsMV0=${o.version}`,
      updated_at: o.updated_at,
    });
    const notFound: [number, unknown] = [
      404,
      { statusCode: 404, error: "Not Found", message: `Saved object [${key}] not found` },
    ];
    switch (method) {
      case "GET":
        return existing ? [200, view(existing)] : notFound;
      case "POST": {
        if (existing)
          return [
            409,
            {
              statusCode: 409,
              error: "Conflict",
              message: `[${key}]: version conflict, document already exists`,
            },
          ];
        const b = json();
        const o: SavedObject = {
          type,
          id,
          attributes: (b.attributes ?? {}) as Record<string, unknown>,
          references: (b.references ?? []) as unknown[],
          version: 1,
          updated_at: new Date().toISOString(),
        };
        this.savedObjects.set(key, o);
        return [200, view(o)];
      }
      case "PUT": {
        if (!existing) return notFound;
        const b = json();
        existing.attributes = {
          ...existing.attributes,
          ...((b.attributes ?? {}) as Record<string, unknown>),
        };
        if (b.references) existing.references = b.references as unknown[];
        existing.version += 1;
        existing.updated_at = new Date().toISOString();
        return [200, view(existing)];
      }
      case "DELETE":
        if (!existing) return notFound;
        this.savedObjects.delete(key);
        return [200, {}];
      default:
        throw new HttpError(405, "method_not_allowed", method);
    }
  }
}

export interface OpenSearchUnderTest {
  /** Base URL of the cluster (the double's, or `OPENSEARCH_URL`). */
  url: string;
  /** The in-memory double, or undefined when running against a real cluster. */
  double?: OpenSearchDouble;
  /** A fresh name prefix so tests sharing a real cluster never collide. */
  prefix: string;
  close(): Promise<void>;
}

let prefixCounter = 0;
/** Start the double, or use the real cluster at `OPENSEARCH_URL` when that is set. */
export async function openSearchForTests(): Promise<OpenSearchUnderTest> {
  prefixCounter += 1;
  const prefix = `t${process.pid}${Date.now().toString(36)}${prefixCounter}`;
  const real = process.env.OPENSEARCH_URL;
  if (real) return { url: real.replace(/\/$/, ""), prefix, close: async () => {} };
  const double = new OpenSearchDouble();
  const url = await double.start();
  return { url, double, prefix, close: () => double.stop() };
}
