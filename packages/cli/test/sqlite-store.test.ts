import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../src/local/sqlite-store";

describe("SqliteStore (the local run's document store)", () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = await SqliteStore.open();
    await store.createIndex("nmap_ports_snapshot.vabc", {
      mappings: {},
      settings: {},
      aliases: { "nmap_ports_snapshot.write": { is_write_index: true }, "nmap_ports_snapshot.read": {} },
    });
  });

  it("writes through aliases and upserts by id", async () => {
    const r = await store.bulk([
      {
        action: "index",
        index: "nmap_ports_snapshot.write",
        id: "a",
        doc: { port: 80, host: { addr: "127.0.0.1" } },
      },
      {
        action: "index",
        index: "nmap_ports_snapshot.write",
        id: "a",
        doc: { port: 81, host: { addr: "127.0.0.1" } },
      },
    ]);
    expect(r.map((x) => x.ok)).toEqual([true, true]);
    const docs = await store.search("nmap_ports_snapshot.read");
    expect(docs.map((d) => [d.id, d.source.port])).toEqual([["a", 81]]);
    expect(await store.count("nmap_ports_snapshot.read", { term: { "host.addr": "127.0.0.1" } })).toBe(1);
  });

  it("honours external_gte versions: an older write never replaces a newer one", async () => {
    await store.bulk([
      {
        action: "index",
        index: "nmap_ports_snapshot.write",
        id: "a",
        doc: { v: "new" },
        externalVersion: 200,
      },
    ]);
    const [r] = await store.bulk([
      {
        action: "index",
        index: "nmap_ports_snapshot.write",
        id: "a",
        doc: { v: "old" },
        externalVersion: 100,
      },
    ]);
    expect(r).toMatchObject({ ok: true, stale: true });
    expect((await store.search("nmap_ports_snapshot.read"))[0].source.v).toBe("new");
  });

  it("deletes by term and range", async () => {
    await store.bulk(
      ["a", "b", "c"].map((id, i) => ({
        action: "index" as const,
        index: "nmap_ports_snapshot.write",
        id,
        doc: { __ParentKey: "p", scan_end_time: `2026-01-0${i + 1}T00:00:00Z` },
      })),
    );
    const n = await store.deleteByQuery("nmap_ports_snapshot.write", {
      term: { __ParentKey: "p" },
      range: { scan_end_time: { lt: "2026-01-03T00:00:00Z" } },
    });
    expect(n).toBe(2);
    expect((await store.search("nmap_ports_snapshot.read")).map((d) => d.id)).toEqual(["c"]);
  });

  it("deletes by a range that documents without the field also meet (written before the field existed)", async () => {
    await store.bulk(
      [
        ["old", {}],
        ["nulled", { __generation: null }],
        ["low", { __generation: 5 }],
        ["same", { __generation: 7 }],
        ["high", { __generation: 9 }],
        ["other", { __generation: 1, __ParentKey: "q" }],
      ].map(([id, extra]) => ({
        action: "index" as const,
        index: "nmap_ports_snapshot.write",
        id: id as string,
        doc: { __ParentKey: "p", ...(extra as object) },
      })),
    );
    const n = await store.deleteByQuery("nmap_ports_snapshot.write", {
      term: { __ParentKey: "p" },
      rangeOrMissing: { __generation: { lte: 7 } },
    });
    expect(n).toBe(4);
    expect((await store.search("nmap_ports_snapshot.read")).map((d) => d.id).sort()).toEqual([
      "high",
      "other",
    ]);
  });

  it("rejects writes to an unknown index and names it", async () => {
    const [r] = await store.bulk([{ action: "index", index: "nope.write", id: "x", doc: {} }]);
    expect(r).toMatchObject({ ok: false, status: 404 });
    expect(r.error).toContain("nope.write");
    await expect(store.createIndex("bad:name", { mappings: {}, settings: {} })).rejects.toThrow(
      "invalid_index_name_exception",
    );
  });

  it("swaps aliases atomically and reindexes", async () => {
    await store.bulk([{ action: "index", index: "nmap_ports_snapshot.write", id: "a", doc: { x: 1 } }]);
    await store.createIndex("nmap_ports_snapshot.vdef", { mappings: {}, settings: {} });
    expect(await store.reindex("nmap_ports_snapshot.vabc", "nmap_ports_snapshot.vdef")).toEqual({
      copied: 1,
    });
    await store.updateAliases([
      { remove: { index: "nmap_ports_snapshot.vabc", alias: "nmap_ports_snapshot.write" } },
      {
        add: { index: "nmap_ports_snapshot.vdef", alias: "nmap_ports_snapshot.write", is_write_index: true },
      },
    ]);
    expect(await store.aliasTargets("nmap_ports_snapshot.write")).toEqual(["nmap_ports_snapshot.vdef"]);
  });

  it("persists to its data file between runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sec-an-store-"));
    try {
      const file = join(dir, "analytics.sqlite");
      const a = await SqliteStore.open(file);
      await a.createIndex("x_y.v1", {
        mappings: {},
        settings: {},
        aliases: { "x_y.write": { is_write_index: true }, "x_y.read": {} },
      });
      await a.bulk([{ action: "index", index: "x_y.write", id: "1", doc: { k: true } }]);
      a.close();
      const b = await SqliteStore.open(file);
      expect(b.dump()).toEqual({
        "x_y.read": [{ index: "x_y.read", id: "1", version: undefined, source: { k: true } }],
      });
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
