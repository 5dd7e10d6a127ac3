import {
  OPENSEARCH_URL_ENV,
  readAlias,
  savedObjectId,
  versionedIndexName,
  withDocFieldMappings,
  writeAlias,
  type IndexSpec,
} from "@sec-an/contracts";
import { openSearchForTests, type OpenSearchUnderTest } from "@sec-an/testing";
import { handler } from "../src/handlers/opensearch-admin";
import { OpenSearchStore } from "../src/store/opensearch";

let os: OpenSearchUnderTest;
let store: OpenSearchStore;
beforeAll(async () => {
  os = await openSearchForTests();
  store = OpenSearchStore.unsigned(os.url, { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 });
  process.env[OPENSEARCH_URL_ENV] = os.url;
});
afterAll(async () => {
  delete process.env[OPENSEARCH_URL_ENV];
  await os.close();
});

function indexSpec(base: string, mappings: Record<string, unknown>, forceDestroy = false): IndexSpec {
  const m = withDocFieldMappings(mappings);
  return {
    kind: "index",
    base,
    index: versionedIndexName(base, { mappings: m, settings: {} }),
    mappings: m,
    settings: {},
    forceDestroy,
  };
}

describe("opensearch-admin handler: indices", () => {
  it("creates the versioned index behind both aliases, and a repeat is no operation", async () => {
    const base = `${os.prefix}_ports_snapshot`;
    const spec = indexSpec(base, { properties: { port: { type: "integer" } } });
    await expect(handler({ ...spec, tf: { action: "create" } })).resolves.toEqual({
      kind: "index",
      action: "created",
      id: spec.index,
    });
    expect(await store.aliasTargets(writeAlias(base))).toEqual([spec.index]);
    expect(await store.aliasTargets(readAlias(base))).toEqual([spec.index]);
    const info = await store.getIndex(spec.index);
    expect((info!.mappings as any).properties.__ParentKey.type).toBe("keyword");
    await expect(handler({ ...spec, tf: { action: "update", prev_input: spec } })).resolves.toMatchObject({
      action: "unchanged",
    });
  });

  it("migrates on a mapping change: new index, documents copied, aliases flipped, old index deleted", async () => {
    const base = `${os.prefix}_hosts_snapshot`;
    const v1 = indexSpec(base, { properties: { host: { type: "keyword" } } });
    await handler(v1);
    const put = await store.bulk([
      { action: "index", index: writeAlias(base), id: "a", doc: { host: "a" }, externalVersion: 100 },
      { action: "index", index: writeAlias(base), id: "b", doc: { host: "b" } },
    ]);
    expect(put.every((r) => r.ok)).toBe(true);
    await store.refresh(writeAlias(base));
    const v2 = indexSpec(base, { properties: { host: { type: "keyword" }, os: { type: "keyword" } } });
    expect(v2.index).not.toBe(v1.index);
    const r = await handler({ ...v2, tf: { action: "update", prev_input: v1 } });
    expect(r).toEqual({ kind: "index", action: "migrated", id: v2.index, copied: 2 });
    expect(await store.getIndex(v1.index)).toBeUndefined();
    expect(await store.aliasTargets(writeAlias(base))).toEqual([v2.index]);
    expect(await store.aliasTargets(readAlias(base))).toEqual([v2.index]);
    await store.refresh(readAlias(base));
    const docs = await store.search(readAlias(base));
    expect(docs.map((d) => d.id).sort()).toEqual(["a", "b"]);
    // External versions survive the copy, so an older scan still cannot overwrite.
    expect(docs.find((d) => d.id === "a")!.version).toBe(100);
  });

  it("refuses to delete an index holding documents unless forceDestroy; a missing index is success", async () => {
    const base = `${os.prefix}_keep_snapshot`;
    const spec = indexSpec(base, { properties: {} });
    await handler(spec);
    await store.bulk([{ action: "index", index: writeAlias(base), id: "x", doc: { a: 1 } }]);
    await store.refresh(writeAlias(base));
    await expect(handler({ ...spec, tf: { action: "delete" } })).rejects.toThrow(
      /refusing to delete index .* 1 documents/,
    );
    expect(await store.getIndex(spec.index)).toBeDefined();
    await expect(handler({ ...spec, forceDestroy: true, tf: { action: "delete" } })).resolves.toMatchObject({
      action: "deleted",
    });
    expect(await store.getIndex(spec.index)).toBeUndefined();
    await expect(handler({ ...spec, tf: { action: "delete" } })).resolves.toMatchObject({ action: "absent" });
  });

  it("rejects a malformed request with a clear error", async () => {
    await expect(
      handler({
        kind: "index",
        base: "Bad:Name",
        index: "x",
        mappings: {},
        settings: {},
        forceDestroy: false,
      }),
    ).rejects.toThrow(/admin request is invalid/);
    await expect(handler({ kind: "table" })).rejects.toThrow(/admin request is invalid/);
  });
});

describe("opensearch-admin handler: saved objects", () => {
  it("creates, updates (409 → PUT), renames by id and deletes (404 = success)", async () => {
    if (!os.double) return; // needs the Dashboards API (a bare OpenSearch lacks it)
    const id = savedObjectId("visualization", `${os.prefix}-vis`);
    const spec = {
      kind: "saved-object" as const,
      type: "visualization" as const,
      id,
      attributes: { title: "Dead Letters" },
      references: [],
    };
    await expect(handler(spec)).resolves.toEqual({ kind: "saved-object", action: "created", id });
    // Written to the global tenant, which signed-in users can read.
    expect(os.double.requests.filter((r) => r.path.endsWith(id)).map((r) => [r.method, r.tenant])).toEqual([
      ["POST", "global"],
    ]);
    await expect(
      handler({ ...spec, attributes: { title: "Dead letters" }, tf: { action: "update", prev_input: spec } }),
    ).resolves.toMatchObject({ action: "updated" });
    expect((await store.getSavedObject("visualization", id))!.attributes.title).toBe("Dead letters");
    // An unrelated object with the same title is never touched (the original deleted by title).
    const other = savedObjectId("visualization", `${os.prefix}-other`);
    await store.putSavedObject("visualization", other, { attributes: { title: "Dead letters" } });
    const id2 = savedObjectId("visualization", `${os.prefix}-vis2`);
    await handler({ ...spec, id: id2, tf: { action: "update", prev_input: spec } });
    expect(await store.getSavedObject("visualization", id)).toBeUndefined();
    expect(await store.getSavedObject("visualization", other)).toBeDefined();
    await expect(handler({ ...spec, id: id2, tf: { action: "delete" } })).resolves.toMatchObject({
      action: "deleted",
    });
    await expect(handler({ ...spec, id: id2, tf: { action: "delete" } })).resolves.toMatchObject({
      action: "absent",
    });
  });

  it("retries a throttled Dashboards call and surfaces a persistent failure", async () => {
    if (!os.double) return;
    const id = savedObjectId("dashboard", `${os.prefix}-dash`);
    os.double.failNext(/saved_objects\/dashboard/, 503, 2);
    await expect(store.putSavedObject("dashboard", id, { attributes: { title: "x" } })).resolves.toBe(
      "created",
    );
    os.double.failNext(/saved_objects\/dashboard/, 500, 3);
    await expect(store.putSavedObject("dashboard", id, { attributes: { title: "x" } })).rejects.toThrow(
      /500.*after 3 attempts/,
    );
  });
});

describe("opensearch-admin handler: security roles", () => {
  it("defines and maps a role, maps a built-in one without redefining it, and deletes (404 = success)", async () => {
    if (!os.double) return; // a bare OpenSearch has no security plugin
    const ingest = {
      kind: "security-role" as const,
      name: "sec_an_ingest",
      permissions: {
        cluster_permissions: ["indices:data/write/bulk"],
        index_permissions: [
          { index_patterns: ["*"], allowed_actions: ["crud", "indices:admin/aliases/get"] },
        ],
      },
      backendRoles: ["arn:aws:iam::123456789012:role/dev-sec-an-analytics-ingestor-role"],
    };
    await expect(handler(ingest)).resolves.toEqual({
      kind: "security-role",
      action: "updated",
      id: "sec_an_ingest",
    });
    expect(os.double.securityRoles.get("sec_an_ingest")).toEqual(ingest.permissions);
    expect(os.double.roleMappings.get("sec_an_ingest")).toEqual({
      backend_roles: ingest.backendRoles,
      hosts: [],
      users: [],
    });
    await handler({
      kind: "security-role",
      name: "readall",
      backendRoles: ["arn:aws:iam::123456789012:role/users"],
    });
    expect(os.double.securityRoles.has("readall")).toBe(false);
    expect(os.double.roleMappings.get("readall")!.backend_roles).toEqual([
      "arn:aws:iam::123456789012:role/users",
    ]);
    await handler({ ...ingest, tf: { action: "delete" } });
    await expect(handler({ ...ingest, tf: { action: "delete" } })).resolves.toMatchObject({
      action: "deleted",
    });
    expect(os.double.securityRoles.has("sec_an_ingest")).toBe(false);
    await expect(handler({ ...ingest, backendRoles: ["not-an-arn"] })).rejects.toThrow(
      /admin request is invalid/,
    );
  });
});

describe("opensearch-admin handler: store override (local runs)", () => {
  it("uses the override store, and treats security roles as nothing to do when it has no access control", async () => {
    const { setStoreOverride } = await import("../src/store/resolve");
    const calls: string[] = [];
    const local = Object.create(store, {
      putRole: { value: undefined },
      getIndex: { value: (n: string) => (calls.push(n), store.getIndex(n)) },
    });
    setStoreOverride(local);
    try {
      await expect(
        handler({
          kind: "security-role",
          name: "readall",
          backendRoles: ["arn:aws:iam::123456789012:role/u"],
        }),
      ).resolves.toEqual({ kind: "security-role", action: "unchanged", id: "readall" });
      const spec = indexSpec(`${os.prefix}_local_snapshot`, { properties: {} });
      await expect(handler(spec)).resolves.toMatchObject({ action: "created" });
      expect(calls).toContain(spec.index);
    } finally {
      setStoreOverride(undefined);
    }
  });
});
