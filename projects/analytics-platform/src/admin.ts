import {
  readAlias,
  writeAlias,
  type AdminEvent,
  type AdminResult,
  type IndexSpec,
  type SavedObjectSpec,
  type SecurityRoleSpec,
} from "@sec-an/contracts";
import type { IndexAdmin, SavedObjectStore, SecurityAdmin } from "./store/types";

/**
 * Create/update/delete of managed indices and saved objects: the logic behind the admin Lambda that
 * `ElasticIndex` and `KibanaSavedObject` invoke (aws.lambda.Invocation, lifecycleScope CRUD). Every
 * operation is idempotent, because the provider may invoke again after a partial failure.
 */
export async function administer(
  event: AdminEvent,
  stores: { indices: IndexAdmin; savedObjects: SavedObjectStore; security?: SecurityAdmin },
): Promise<AdminResult> {
  const action = event.tf?.action ?? "create";
  if (event.kind === "security-role") {
    // A store without access control (the local runner's) has nothing to map.
    if (!stores.security) return { kind: "security-role", action: "unchanged", id: event.name };
    return applySecurityRole(event, action === "delete", stores.security);
  }
  if (event.kind === "index") {
    return action === "delete" ? deleteIndex(event, stores.indices) : applyIndex(event, stores.indices);
  }
  const prev = event.tf?.prev_input as Partial<SavedObjectSpec> | undefined;
  return action === "delete"
    ? deleteSavedObject(event, stores.savedObjects)
    : applySavedObject(event, prev, stores.savedObjects);
}

/**
 * Make `spec.index` the target of both aliases. A new mapping means a new physical index: create it,
 * move the write alias first (new documents land in the new index), copy the old documents without
 * overwriting newer ones, then move the read alias and drop the old index. Same mapping: no operation.
 */
export async function applyIndex(spec: IndexSpec, admin: IndexAdmin): Promise<AdminResult> {
  const w = writeAlias(spec.base);
  const r = readAlias(spec.base);
  const [writeTargets, readTargets] = await Promise.all([admin.aliasTargets(w), admin.aliasTargets(r)]);
  const exists = (await admin.getIndex(spec.index)) !== undefined;
  if (exists && writeTargets.join() === spec.index && readTargets.join() === spec.index) {
    return { kind: "index", action: "unchanged", id: spec.index };
  }
  if (!exists) await admin.createIndex(spec.index, { mappings: spec.mappings, settings: spec.settings });
  const oldWrite = writeTargets.filter((n) => n !== spec.index);
  const old = [...new Set([...oldWrite, ...readTargets.filter((n) => n !== spec.index)])];
  if (!writeTargets.includes(spec.index)) {
    await admin.updateAliases([
      ...oldWrite.map((index) => ({ remove: { index, alias: w } })),
      { add: { index: spec.index, alias: w } },
    ]);
  }
  let copied = 0;
  for (const o of old) copied += (await admin.reindex(o, spec.index)).copied;
  await admin.updateAliases([
    ...readTargets.filter((n) => n !== spec.index).map((index) => ({ remove: { index, alias: r } })),
    ...(readTargets.includes(spec.index) ? [] : [{ add: { index: spec.index, alias: r } }]),
  ]);
  for (const o of old) await admin.deleteIndex(o);
  return {
    kind: "index",
    action: old.length ? "migrated" : "created",
    id: spec.index,
    ...(old.length ? { copied } : {}),
  };
}

/** Refuses to drop documents unless `forceDestroy`; an index already gone is success. */
export async function deleteIndex(spec: IndexSpec, admin: IndexAdmin): Promise<AdminResult> {
  const targets = new Set([
    spec.index,
    ...(await admin.aliasTargets(writeAlias(spec.base))),
    ...(await admin.aliasTargets(readAlias(spec.base))),
  ]);
  let deleted = false;
  for (const name of targets) {
    if (!(await admin.getIndex(name))) continue;
    const docs = await admin.count(name);
    if (docs > 0 && !spec.forceDestroy) {
      throw new Error(
        `refusing to delete index ${name}: it holds ${docs} documents (set forceDestroy to delete it anyway)`,
      );
    }
    await admin.deleteIndex(name);
    deleted = true;
  }
  return { kind: "index", action: deleted ? "deleted" : "absent", id: spec.index };
}

export async function applySavedObject(
  spec: SavedObjectSpec,
  prev: Partial<SavedObjectSpec> | undefined,
  store: SavedObjectStore,
): Promise<AdminResult> {
  const outcome = await store.putSavedObject(spec.type, spec.id, {
    attributes: spec.attributes,
    references: spec.references,
  });
  // Identity changed: remove exactly the previous object (by its id), never anything matched by title.
  if (prev?.type && prev.id && (prev.type !== spec.type || prev.id !== spec.id))
    await store.deleteSavedObject(prev.type, prev.id);
  return { kind: "saved-object", action: outcome, id: spec.id };
}

export async function deleteSavedObject(
  spec: SavedObjectSpec,
  store: SavedObjectStore,
): Promise<AdminResult> {
  const gone = await store.deleteSavedObject(spec.type, spec.id);
  return { kind: "saved-object", action: gone ? "deleted" : "absent", id: spec.id };
}

/** Define (unless built in) and map a FGAC role; delete removes our mapping, and the role if we defined it. */
export async function applySecurityRole(
  spec: SecurityRoleSpec,
  remove: boolean,
  sec: SecurityAdmin,
): Promise<AdminResult> {
  if (remove) {
    await sec.deleteRoleMapping(spec.name);
    if (spec.permissions) await sec.deleteRole(spec.name);
    return { kind: "security-role", action: "deleted", id: spec.name };
  }
  if (spec.permissions) await sec.putRole(spec.name, spec.permissions);
  await sec.putRoleMapping(spec.name, spec.backendRoles);
  return { kind: "security-role", action: "updated", id: spec.name };
}
