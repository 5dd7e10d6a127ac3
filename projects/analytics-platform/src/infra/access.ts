/**
 * Who may do what in the search domain, from one table: the HTTP calls each function makes
 * (`STORE_CALLS`, one line per store method), which role makes which calls (`ROLE_CALLS`), and from
 * those the fine-grained-access-control permissions and the domain access policy statements. A test
 * checks every role's permissions against the security plugin's action groups, so a call added to the
 * ingestor without its permission fails in CI instead of on a real domain.
 */
import { IngestMarkerIndex, PlatformIndex, type SecurityRoleSpec } from "@sec-an/contracts";
import type { RoleNeeds } from "./action-groups";

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** The IAM action of an HTTP method on an OpenSearch Service domain, e.g. `es:ESHttpGet`. */
export const esHttpAction = (m: HttpMethod) => `es:ESHttp${m[0]}${m.slice(1).toLowerCase()}`;

/** One HTTP call to the domain and the security-plugin transport actions it is authorised as. */
export interface StoreCall {
  readonly method: HttpMethod;
  /** Request path; `{index}` stands for each of the role's index patterns. */
  readonly path: string;
  /** Actions the plugin checks against cluster permissions (`isClusterPerm`: bulk, msearch, scroll…). */
  readonly cluster: readonly string[];
  /** Actions it checks against index permissions, on the indices the request names. */
  readonly index: readonly string[];
}

/**
 * Every `OpenSearchStore` method the ingestor and the reporter use, and the threat-service search
 * worker's one call (`OpenSearchSnapshots.search`). delete_by_query runs as the caller: it searches and
 * scrolls, deletes in bulk, clears the scroll and (refresh=true) refreshes.
 */
export const STORE_CALLS = {
  // One request naming each of the role's patterns: `/_alias/nmap_*.write,ssl_*.write,…` (see
  // `writeAliasPath`). Each pattern's resource matches it, since `*` in an ARN matches commas too.
  writeAliases: {
    method: "GET",
    path: "/_alias/{index}.write",
    cluster: [],
    index: ["indices:admin/aliases/get"],
  },
  countMany: {
    method: "POST",
    path: "/_msearch",
    cluster: ["indices:data/read/msearch"],
    index: ["indices:data/read/search"],
  },
  // A query of one read alias, e.g. `POST /nmap_ports_snapshot.read/_search`.
  search: {
    method: "POST",
    path: "/{index}/_search",
    cluster: [],
    index: ["indices:data/read/search"],
  },
  bulk: {
    method: "POST",
    path: "/_bulk",
    cluster: ["indices:data/write/bulk"],
    index: ["indices:data/write/bulk[s]", "indices:data/write/index", "indices:data/write/delete"],
  },
  deleteByQuery: {
    method: "POST",
    path: "/{index}/_delete_by_query",
    cluster: ["indices:data/read/scroll", "indices:data/read/scroll/clear", "indices:data/write/bulk"],
    index: [
      "indices:data/write/delete/byquery",
      "indices:data/read/search",
      "indices:data/write/bulk[s]",
      "indices:data/write/delete",
      "indices:admin/refresh",
    ],
  },
} as const satisfies Record<string, StoreCall>;
export type StoreCallName = keyof typeof STORE_CALLS;

/** Index patterns of a task's indices: base names, `.write`/`.read` aliases and versioned physical indices. */
export const taskIndexPattern = (task: string) => `${task}_*`;

/**
 * The ingest role's index patterns, comma-separated, in the ingestor's environment. The program sets it
 * from `platformRoles`, the same list the role is granted, so the alias lookup asks for nothing else
 * (a wildcard over every alias would name indices the role may not read, e.g. the dead letters').
 */
export const INGEST_INDEX_PATTERNS_ENV = "SEC_AN_INGEST_INDEX_PATTERNS";

/** The patterns in `SEC_AN_INGEST_INDEX_PATTERNS`, or undefined when unset (local runs, tests). */
export function ingestIndexPatternsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const raw = env[INGEST_INDEX_PATTERNS_ENV]?.trim();
  if (!raw) return undefined;
  const patterns = raw.split(",").map((p) => p.trim());
  const bad = patterns.filter((p) => !/^[a-z0-9][a-z0-9_\-]*\*?$/.test(p));
  if (bad.length) throw new Error(`${INGEST_INDEX_PATTERNS_ENV}: not index patterns: ${bad.join(", ")}`);
  return patterns;
}

/** The path of one alias lookup for the write aliases of `patterns` (every alias without). */
export const writeAliasPath = (patterns: readonly string[] | undefined) =>
  `/_alias/${(patterns?.length ? patterns : ["*"]).map((p) => `${p}.write`).join(",")}`;

export interface RoleCalls {
  /** Store methods the role's functions call (see `STORE_CALLS`). */
  readonly calls: readonly StoreCallName[];
  /** The only indices it touches. */
  readonly indexPatterns: readonly string[];
}

/** The FGAC roles we define and the store methods their functions call. Adding a call is one line. */
export const ROLE_CALLS = {
  sec_an_ingest: ["writeAliases", "countMany", "bulk", "deleteByQuery"],
  sec_an_reporter: ["bulk"],
  sec_an_search_reader: ["search"],
} as const satisfies Record<string, readonly StoreCallName[]>;
export type RoleName = keyof typeof ROLE_CALLS;

/**
 * Each role with its calls and indices: the ingestor writes every scanner task's collections, the
 * platform's DynamoDB views and its own latest-scan markers; the reporter writes dead letters only; the
 * search reader (other projects' read-only functions) queries the scanner tasks' snapshot and history
 * indices and nothing else. `scannerTasks` are the registered
 * tasks (`@sec-an/contracts/registry`), so a new scanner's indices are covered by the next deploy.
 */
export function platformRoles(scannerTasks: readonly string[]): Record<RoleName, RoleCalls> {
  const views = [
    PlatformIndex.addressInfo,
    PlatformIndex.resolvedAddresses,
    PlatformIndex.resolvedHosts,
    IngestMarkerIndex,
  ];
  return {
    sec_an_ingest: {
      calls: ROLE_CALLS.sec_an_ingest,
      indexPatterns: [...new Set([...scannerTasks, ...views.map((v) => v.task)])]
        .sort()
        .map(taskIndexPattern),
    },
    sec_an_reporter: {
      calls: ROLE_CALLS.sec_an_reporter,
      indexPatterns: [taskIndexPattern(PlatformIndex.deadLetter.task)],
    },
    sec_an_search_reader: {
      calls: ROLE_CALLS.sec_an_search_reader,
      indexPatterns: [...new Set(scannerTasks)].sort().map(taskIndexPattern),
    },
  };
}

const uniq = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** The actions a role's calls need, per level, and the indices it needs them on. */
export function roleNeeds(role: RoleCalls): RoleNeeds {
  const calls = role.calls.map((c) => STORE_CALLS[c] as StoreCall);
  return {
    cluster: uniq(calls.flatMap((c) => c.cluster)),
    index: uniq(calls.flatMap((c) => c.index)),
    indexPatterns: [...role.indexPatterns],
  };
}

/** The FGAC permissions of a role: exactly the actions of its calls, on exactly its index patterns. */
export function rolePermissions(role: RoleCalls): NonNullable<SecurityRoleSpec["permissions"]> {
  const n = roleNeeds(role);
  return {
    cluster_permissions: [...n.cluster],
    index_permissions: [{ index_patterns: [...n.indexPatterns], allowed_actions: [...n.index] }],
  };
}

/** Domain-relative resource paths of HTTP calls, per method; `{index}` becomes each index pattern. */
export function httpAccess(
  calls: ReadonlyArray<{ readonly method: HttpMethod; readonly path: string }>,
  indexPatterns: readonly string[],
): Partial<Record<HttpMethod, string[]>> {
  const out: Partial<Record<HttpMethod, Set<string>>> = {};
  for (const c of calls) {
    const paths = c.path.includes("{index}")
      ? indexPatterns.map((p) => c.path.replace("{index}", p))
      : [c.path];
    // An ARN resource has no query string, and `*` in it already matches any characters.
    for (const p of paths) (out[c.method] ??= new Set()).add(p);
  }
  return Object.fromEntries(HTTP_METHODS.filter((m) => out[m]).map((m) => [m, uniq(out[m]!)]));
}

/** Domain-relative resource paths of a role's calls, per HTTP method (for the access policy). */
export const roleHttpAccess = (role: RoleCalls) =>
  httpAccess(
    role.calls.map((c) => STORE_CALLS[c] as StoreCall),
    role.indexPatterns,
  );

const SAVED_OBJECT = "/_dashboards/api/saved_objects/*";
const SECURITY_API = "/_plugins/_security/api";

/**
 * Every HTTP call of the admin Lambda, by the store method that makes it. It is the FGAC master user,
 * so only the domain access policy bounds it: to the platform's indices, saved objects and the two
 * security-plugin resources it manages (roles and role mappings).
 */
export const ADMIN_CALLS = {
  getIndex: [{ method: "GET", path: "/{index}" }],
  createIndex: [{ method: "PUT", path: "/{index}" }],
  deleteIndex: [{ method: "DELETE", path: "/{index}" }],
  count: [{ method: "POST", path: "/{index}/_count" }],
  aliasTargets: [{ method: "GET", path: "/_alias/{index}" }],
  updateAliases: [{ method: "POST", path: "/_aliases" }],
  reindex: [{ method: "POST", path: "/_reindex" }],
  putSavedObject: [
    { method: "POST", path: SAVED_OBJECT },
    { method: "PUT", path: SAVED_OBJECT },
  ],
  deleteSavedObject: [{ method: "DELETE", path: SAVED_OBJECT }],
  putRole: [{ method: "PUT", path: `${SECURITY_API}/roles/*` }],
  deleteRole: [{ method: "DELETE", path: `${SECURITY_API}/roles/*` }],
  putRoleMapping: [{ method: "PUT", path: `${SECURITY_API}/rolesmapping/*` }],
  deleteRoleMapping: [{ method: "DELETE", path: `${SECURITY_API}/rolesmapping/*` }],
} as const satisfies Record<string, ReadonlyArray<{ method: HttpMethod; path: string }>>;

/** What the admin Lambda may send: its calls, on every index the platform manages. */
export function adminHttpAccess(scannerTasks: readonly string[]): Partial<Record<HttpMethod, string[]>> {
  const roles = platformRoles(scannerTasks);
  const indices = uniq([...roles.sec_an_ingest.indexPatterns, ...roles.sec_an_reporter.indexPatterns]);
  return httpAccess(Object.values(ADMIN_CALLS).flat(), indices);
}
