/**
 * How the OpenSearch security plugin resolves a role's permissions, as data, so a test can check every
 * role we define against the calls its functions make without a real cluster.
 *
 * STATIC_ACTION_GROUPS is the part of the plugin's static action groups that concerns documents,
 * indices and composite requests: opensearch-project/security,
 * src/main/resources/static_config/static_action_groups.yml at commit
 * e3b55a9cfc77e31acab9a2a5b47877730d1d1899. Dashboards-only, snapshot, template, pipeline and
 * data-stream groups are left out: no role here may use them, so a role naming one fails the check as
 * unknown.
 */
export const STATIC_ACTION_GROUPS: Readonly<Record<string, readonly string[]>> = {
  unlimited: ["*"],
  cluster_all: ["cluster:*"],
  cluster_monitor: ["cluster:monitor/*"],
  cluster_composite_ops: [
    "indices:data/write/bulk",
    "indices:admin/aliases*",
    "indices:data/write/reindex",
    "cluster_composite_ops_ro",
  ],
  cluster_composite_ops_ro: [
    "indices:data/read/mget",
    "indices:data/read/msearch",
    "indices:data/read/mtv",
    "indices:admin/aliases/exists*",
    "indices:admin/aliases/get*",
    "indices:data/read/scroll",
  ],
  indices_all: ["indices:*"],
  crud: ["read", "write"],
  data_access: ["indices:data/*", "crud"],
  read: ["indices:data/read*", "indices:admin/mappings/fields/get*"],
  write: ["indices:data/write*", "indices:admin/mapping/put"],
  index: [
    "indices:data/write/index*",
    "indices:data/write/update*",
    "indices:admin/mapping/put",
    "indices:data/write/bulk*",
  ],
  delete: ["indices:data/write/delete*"],
  get: ["indices:data/read/get*", "indices:data/read/mget*"],
  search: ["indices:data/read/search*", "indices:data/read/msearch*", "suggest"],
  suggest: ["indices:data/read/suggest*"],
  create_index: ["indices:admin/create", "indices:admin/mapping/put"],
  manage: ["indices:monitor/*", "indices:admin/*"],
  manage_aliases: ["indices:admin/aliases*"],
  indices_monitor: ["indices:monitor/*"],
};

/**
 * Actions the plugin checks against cluster permissions rather than index permissions (its
 * `PrivilegesEvaluator.isClusterPerm`): everything `cluster:`, templates, scroll, and the composite
 * bulk / mget / msearch / mtv / reindex requests whose sub-requests are then checked per index.
 */
export function isClusterAction(action: string): boolean {
  return (
    action.startsWith("cluster:") ||
    action.startsWith("indices:admin/template/") ||
    action.startsWith("indices:admin/index_template/") ||
    action.startsWith("indices:data/read/scroll") ||
    action.startsWith("indices:data/read/msearch") ||
    [
      "indices:data/write/bulk",
      "indices:data/read/mget",
      "indices:data/read/mtv",
      "indices:data/write/reindex",
      "indices:data/read/search/template/render",
    ].includes(action)
  );
}

/** A permission pattern or group name expanded to action patterns (groups may nest); throws on a cycle. */
export function expandPermission(p: string, seen: readonly string[] = []): string[] {
  const group = STATIC_ACTION_GROUPS[p];
  if (!group) return [p];
  if (seen.includes(p)) throw new Error(`action group cycle: ${[...seen, p].join(" -> ")}`);
  return group.flatMap((x) => expandPermission(x, [...seen, p]));
}

/** A name that is neither a known group nor an action pattern (`indices:…`, `cluster:…`, `*`). */
export const isUnknownPermission = (p: string) =>
  !(p in STATIC_ACTION_GROUPS) && !/^(\*|indices:|cluster:)/.test(p);

/** The plugin's wildcard matching: `*` any run of characters, `?` one; everything else literal. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(action);
}

/** Whether any of `permissions` (patterns or group names) grants `action`. */
export const grants = (permissions: readonly string[], action: string): boolean =>
  permissions.flatMap((p) => expandPermission(p)).some((pat) => actionMatches(pat, action));

/** Index-pattern matching (same wildcard rules); `nmap_*` covers `nmap_ports_snapshot.write`. */
export const indexMatches = actionMatches;

export interface RoleNeeds {
  /** Actions checked at cluster level. */
  readonly cluster: readonly string[];
  /** Actions checked per index, on every one of `indexPatterns`. */
  readonly index: readonly string[];
  readonly indexPatterns: readonly string[];
}

interface RolePermissions {
  readonly cluster_permissions: readonly string[];
  readonly index_permissions: ReadonlyArray<{
    readonly index_patterns: readonly string[];
    readonly allowed_actions: readonly string[];
  }>;
}

/**
 * Everything wrong with `perms` for a role that needs `needs`, as sentences (empty when exact): a
 * needed action not granted at the level the plugin checks it, or a grant no call needs — a wildcard
 * or group wider than the calls, or an index pattern outside the role's own.
 */
export function permissionProblems(perms: RolePermissions, needs: RoleNeeds): string[] {
  const problems: string[] = [];
  const all = [...perms.cluster_permissions, ...perms.index_permissions.flatMap((e) => e.allowed_actions)];
  for (const p of all) if (isUnknownPermission(p)) problems.push(`unknown permission ${p}`);
  for (const a of needs.cluster)
    if (!grants(perms.cluster_permissions, a)) problems.push(`cluster action ${a} is not granted`);
  for (const pattern of needs.indexPatterns)
    for (const a of needs.index)
      if (
        !perms.index_permissions.some(
          (e) => e.index_patterns.some((ip) => indexMatches(ip, pattern)) && grants(e.allowed_actions, a),
        )
      )
        problems.push(`index action ${a} is not granted on ${pattern}`);
  const exact = (granted: readonly string[], needed: readonly string[], level: string) => {
    for (const g of granted.flatMap((p) => expandPermission(p)))
      if (!needed.includes(g)) problems.push(`${level} grant ${g} is wider than any call needs`);
  };
  exact(perms.cluster_permissions, needs.cluster, "cluster");
  for (const e of perms.index_permissions) {
    exact(e.allowed_actions, needs.index, "index");
    for (const ip of e.index_patterns)
      if (!needs.indexPatterns.includes(ip)) problems.push(`index pattern ${ip} is not one of the role's`);
  }
  return [...new Set(problems)];
}
