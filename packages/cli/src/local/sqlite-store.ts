import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import initSqlJs, { type Database, type SqlValue } from "sql.js";
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
  StoredDoc,
} from "@sec-an/project-analytics-platform";

/**
 * The analytics store for the local run: SQLite (sql.js, compiled to WebAssembly: no native build)
 * behind the same interfaces OpenSearch implements, with OpenSearch's semantics where our handlers rely
 * on them: writes go through aliases, upsert by id, `external_gte` versions, delete-by-query on
 * exact/range filters, atomic alias swaps. Persisted to one file when a data directory is given.
 */
export class SqliteStore implements DocumentStore, IndexAdmin, SavedObjectStore {
  private constructor(
    private readonly db: Database,
    private readonly file?: string,
  ) {}

  static async open(file?: string): Promise<SqliteStore> {
    const SQL = await initSqlJs();
    const db = file && existsSync(file) ? new SQL.Database(readFileSync(file)) : new SQL.Database();
    db.run(`
      CREATE TABLE IF NOT EXISTS indices (name TEXT PRIMARY KEY, mappings TEXT NOT NULL, settings TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS aliases (alias TEXT NOT NULL, idx TEXT NOT NULL, is_write INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (alias, idx));
      CREATE TABLE IF NOT EXISTS docs (idx TEXT NOT NULL, id TEXT NOT NULL, version INTEGER, source TEXT NOT NULL, PRIMARY KEY (idx, id));
      CREATE TABLE IF NOT EXISTS saved_objects (type TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (type, id));
    `);
    return new SqliteStore(db, file);
  }

  /** Write the database to its file (atomically), if it has one. */
  save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, this.db.export());
    renameSync(`${this.file}.tmp`, this.file);
  }

  close(): void {
    this.save();
    this.db.close();
  }

  private rows(sql: string, params: SqlValue[] = []): Record<string, SqlValue>[] {
    const st = this.db.prepare(sql);
    try {
      st.bind(params);
      const out: Record<string, SqlValue>[] = [];
      while (st.step()) out.push(st.getAsObject());
      return out;
    } finally {
      st.free();
    }
  }

  /** Physical indices behind a name: the index itself, or an alias's targets (write target for writes). */
  private resolve(name: string, forWrite: boolean): string[] {
    if (this.rows("SELECT 1 FROM indices WHERE name = ?", [name]).length) return [name];
    const targets = this.rows("SELECT idx, is_write FROM aliases WHERE alias = ?", [name]);
    if (!forWrite) return targets.map((t) => String(t.idx));
    const w = targets.filter((t) => t.is_write === 1);
    const chosen = w.length ? w : targets.length === 1 ? targets : [];
    return chosen.map((t) => String(t.idx));
  }

  async bulk(ops: readonly BulkOp[]): Promise<BulkItemResult[]> {
    return ops.map((op) => {
      const [idx] = this.resolve(op.index, true);
      if (!idx)
        return { ok: false, status: 404, error: `index_not_found_exception: no such index [${op.index}]` };
      if (op.action === "delete") {
        this.db.run("DELETE FROM docs WHERE idx = ? AND id = ?", [idx, op.id]);
        return { ok: true, status: this.db.getRowsModified() ? 200 : 404 };
      }
      const v = op.externalVersion ?? null;
      this.db.run(
        `INSERT INTO docs (idx, id, version, source) VALUES (?, ?, ?, ?)
         ON CONFLICT (idx, id) DO UPDATE SET version = excluded.version, source = excluded.source
         WHERE excluded.version IS NULL OR docs.version IS NULL OR docs.version <= excluded.version`,
        [idx, op.id, v, op.source ?? JSON.stringify(op.doc)],
      );
      if (this.db.getRowsModified()) return { ok: true, status: 200 };
      return { ok: true, status: 409, stale: true };
    });
  }

  private where(filter: Filter | undefined): { sql: string; params: SqlValue[] } {
    const parts: string[] = [];
    const params: SqlValue[] = [];
    // OpenSearch reads "a.b" as the path a → b.
    const path = (field: string) =>
      `json_extract(source, '$${field
        .split(".")
        .map((p) => `."${p.replace(/["']/g, "")}"`)
        .join("")}')`;
    for (const [field, value] of Object.entries(filter?.term ?? {})) {
      parts.push(`${path(field)} = ?`);
      params.push(typeof value === "boolean" ? (value ? 1 : 0) : value);
    }
    const ops = { lt: "<", lte: "<=", gt: ">", gte: ">=" } as const;
    const bounds = (field: string, range: Record<string, string | number | undefined>) => {
      const out: string[] = [];
      for (const [k, op] of Object.entries(ops)) {
        const bound = range[k];
        if (bound === undefined) continue;
        out.push(`${path(field)} ${op} ?`);
        params.push(bound);
      }
      return out;
    };
    for (const [field, range] of Object.entries(filter?.range ?? {})) parts.push(...bounds(field, range));
    // A missing field (or JSON null) reads as SQL NULL, as OpenSearch's `exists` treats both.
    for (const [field, range] of Object.entries(filter?.rangeOrMissing ?? {})) {
      const inRange = bounds(field, range);
      if (inRange.length) parts.push(`(${path(field)} IS NULL OR (${inRange.join(" AND ")}))`);
    }
    return { sql: parts.length ? ` AND ${parts.join(" AND ")}` : "", params };
  }

  async deleteByQuery(index: string, filter: Filter): Promise<number> {
    let n = 0;
    for (const idx of this.resolve(index, false)) {
      const w = this.where(filter);
      this.db.run(`DELETE FROM docs WHERE idx = ?${w.sql}`, [idx, ...w.params]);
      n += this.db.getRowsModified();
    }
    return n;
  }

  async writeAliases(): Promise<ReadonlySet<string>> {
    // As in OpenSearch: an alias is writable when it marks a write index or points at exactly one index.
    const rows = this.rows(
      "SELECT alias FROM aliases GROUP BY alias HAVING max(is_write) = 1 OR count(*) = 1",
    );
    return new Set(rows.map((r) => String(r.alias)));
  }

  async search(index: string, filter?: Filter, size = 10_000): Promise<StoredDoc[]> {
    const out: StoredDoc[] = [];
    for (const idx of this.resolve(index, false)) {
      const w = this.where(filter);
      for (const r of this.rows(
        `SELECT id, version, source FROM docs WHERE idx = ?${w.sql} ORDER BY id LIMIT ?`,
        [idx, ...w.params, size],
      )) {
        out.push({
          index: idx,
          id: String(r.id),
          version: r.version === null ? undefined : Number(r.version),
          source: JSON.parse(String(r.source)),
        });
      }
    }
    return out.slice(0, size);
  }

  async count(index: string, filter?: Filter): Promise<number> {
    let n = 0;
    for (const idx of this.resolve(index, false)) {
      const w = this.where(filter);
      n += Number(this.rows(`SELECT count(*) AS n FROM docs WHERE idx = ?${w.sql}`, [idx, ...w.params])[0].n);
    }
    return n;
  }

  async refresh(): Promise<void> {
    // Writes are visible at once.
  }

  async getIndex(name: string): Promise<IndexInfo | undefined> {
    const [row] = this.rows("SELECT name, mappings, settings FROM indices WHERE name = ?", [name]);
    if (!row) return undefined;
    const aliases: IndexInfo["aliases"] = {};
    for (const a of this.rows("SELECT alias, is_write FROM aliases WHERE idx = ?", [name])) {
      aliases[String(a.alias)] = a.is_write ? { is_write_index: true } : {};
    }
    return {
      name,
      aliases,
      mappings: JSON.parse(String(row.mappings)),
      settings: JSON.parse(String(row.settings)),
    };
  }

  async createIndex(
    name: string,
    body: { mappings: unknown; settings: unknown; aliases?: Record<string, unknown> },
  ): Promise<void> {
    if (/[:\\/*?"<>| ,#A-Z]/.test(name) || name.startsWith("_") || name.startsWith("-")) {
      throw new Error(`invalid_index_name_exception: ${name}`);
    }
    if (this.rows("SELECT 1 FROM indices WHERE name = ?", [name]).length)
      throw new Error(`resource_already_exists_exception: ${name}`);
    this.db.run("INSERT INTO indices (name, mappings, settings) VALUES (?, ?, ?)", [
      name,
      JSON.stringify(body.mappings ?? {}),
      JSON.stringify(body.settings ?? {}),
    ]);
    for (const [alias, opts] of Object.entries(body.aliases ?? {})) {
      this.db.run("INSERT INTO aliases (alias, idx, is_write) VALUES (?, ?, ?)", [
        alias,
        name,
        (opts as any)?.is_write_index ? 1 : 0,
      ]);
    }
  }

  async deleteIndex(name: string): Promise<void> {
    this.db.run("DELETE FROM docs WHERE idx = ?", [name]);
    this.db.run("DELETE FROM aliases WHERE idx = ?", [name]);
    this.db.run("DELETE FROM indices WHERE name = ?", [name]);
  }

  async aliasTargets(alias: string): Promise<string[]> {
    return this.rows("SELECT idx FROM aliases WHERE alias = ? ORDER BY idx", [alias]).map((r) =>
      String(r.idx),
    );
  }

  async updateAliases(actions: readonly AliasAction[]): Promise<void> {
    this.db.run("BEGIN");
    try {
      for (const a of actions) {
        if ("add" in a) {
          this.db.run("INSERT OR REPLACE INTO aliases (alias, idx, is_write) VALUES (?, ?, ?)", [
            a.add.alias,
            a.add.index,
            a.add.is_write_index ? 1 : 0,
          ]);
        } else {
          this.db.run("DELETE FROM aliases WHERE alias = ? AND idx = ?", [a.remove.alias, a.remove.index]);
        }
      }
      this.db.run("COMMIT");
    } catch (e) {
      this.db.run("ROLLBACK");
      throw e;
    }
  }

  async reindex(source: string, dest: string): Promise<{ copied: number }> {
    this.db.run(
      "INSERT OR REPLACE INTO docs (idx, id, version, source) SELECT ?, id, version, source FROM docs WHERE idx = ?",
      [dest, source],
    );
    return { copied: this.db.getRowsModified() };
  }

  async getSavedObject(
    type: string,
    id: string,
  ): Promise<(SavedObjectBody & { id: string; type: string }) | undefined> {
    const [row] = this.rows("SELECT body FROM saved_objects WHERE type = ? AND id = ?", [type, id]);
    return row ? { id, type, ...JSON.parse(String(row.body)) } : undefined;
  }

  async putSavedObject(type: string, id: string, body: SavedObjectBody): Promise<"created" | "updated"> {
    const existed = (await this.getSavedObject(type, id)) !== undefined;
    this.db.run("INSERT OR REPLACE INTO saved_objects (type, id, body) VALUES (?, ?, ?)", [
      type,
      id,
      JSON.stringify(body),
    ]);
    return existed ? "updated" : "created";
  }

  async deleteSavedObject(type: string, id: string): Promise<boolean> {
    this.db.run("DELETE FROM saved_objects WHERE type = ? AND id = ?", [type, id]);
    return this.db.getRowsModified() > 0;
  }

  /** Every logical index (alias) with its documents, for the local summary and report. */
  dump(): Record<string, StoredDoc[]> {
    const out: Record<string, StoredDoc[]> = {};
    for (const r of this.rows(
      "SELECT a.alias AS alias, d.id AS id, d.version AS version, d.source AS source FROM aliases a JOIN docs d ON d.idx = a.idx WHERE a.alias LIKE '%.read' ORDER BY a.alias, d.id",
    )) {
      (out[String(r.alias)] ??= []).push({
        index: String(r.alias),
        id: String(r.id),
        version: r.version === null ? undefined : Number(r.version),
        source: JSON.parse(String(r.source)),
      });
    }
    return out;
  }
}
