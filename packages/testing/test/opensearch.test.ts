import { checkIndexName, openSearchForTests, type OpenSearchUnderTest } from "../src/opensearch";

// Runs against the in-memory double, or a real cluster when OPENSEARCH_URL is set: the double must
// answer as OpenSearch does for everything below.
let os: OpenSearchUnderTest;
beforeAll(async () => {
  os = await openSearchForTests();
});
afterAll(async () => {
  await os.close();
});

async function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const isNd = typeof body === "string";
  const res = await fetch(`${os.url}${path}`, {
    method,
    headers: { "content-type": isNd ? "application/x-ndjson" : "application/json", ...headers },
    body: body === undefined ? undefined : isNd ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const nd = (...lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join("\n") + "\n";

describe("OpenSearch double", () => {
  it("rejects index names OpenSearch rejects", async () => {
    for (const bad of [
      `${os.prefix}a:b`,
      `${os.prefix}Upper`,
      `_${os.prefix}`,
      `${os.prefix}a b`,
      `${os.prefix}a*b`,
    ]) {
      const r = await req("PUT", `/${encodeURIComponent(bad)}`, {});
      expect(r.status).toBe(400);
      expect(r.body.error.type).toBe("invalid_index_name_exception");
    }
    expect(() => checkIndexName("nmap_ports_snapshot.v0123")).not.toThrow();
  });

  it("creates, reads and deletes an index with aliases; 404 for missing", async () => {
    const ix = `${os.prefix}-a.v1`;
    expect(
      (
        await req("PUT", `/${ix}`, {
          mappings: { properties: { t: { type: "date" } } },
          aliases: { [`${os.prefix}-a.write`]: {} },
        })
      ).status,
    ).toBe(200);
    expect((await req("PUT", `/${ix}`, {})).body.error.type).toBe("resource_already_exists_exception");
    const got = await req("GET", `/${os.prefix}-a.write`);
    expect(Object.keys(got.body)).toEqual([ix]);
    expect(got.body[ix].mappings.properties.t.type).toBe("date");
    expect((await req("HEAD", `/${ix}`)).status).toBe(200);
    expect((await req("DELETE", `/${ix}`)).status).toBe(200);
    expect((await req("GET", `/${ix}`)).status).toBe(404);
    expect((await req("GET", `/_alias/${os.prefix}-a.write`)).status).toBe(404);
  });

  it("bulk writes with external_gte versioning and reports per-item errors", async () => {
    const ix = `${os.prefix}-b.v1`;
    await req("PUT", `/${ix}`, { mappings: { properties: { t: { type: "date" }, k: { type: "keyword" } } } });
    const r = await req(
      "POST",
      "/_bulk?refresh=true",
      nd(
        { index: { _index: ix, _id: "1", version: 10, version_type: "external_gte" } },
        { k: "new", t: "2026-01-02T00:00:00Z" },
        { index: { _index: ix, _id: "1", version: 5, version_type: "external_gte" } },
        { k: "old", t: "2026-01-01T00:00:00Z" },
        { index: { _index: ix, _id: "2" } },
        { t: "not a date" },
        { index: { _index: `${os.prefix}-missing`, _id: "3" } },
        { k: "x" },
        { index: { _index: ix, _id: "4", version: 10, version_type: "external_gte" } },
        { k: "four", t: "2026-01-02T00:00:00Z" },
      ),
    );
    expect(r.status).toBe(200);
    expect(r.body.errors).toBe(true);
    const statuses = r.body.items.map((i: any) => i.index.status);
    expect(statuses).toEqual([201, 409, 400, 404, 201]);
    expect(r.body.items[1].index.error.type).toBe("version_conflict_engine_exception");
    expect(r.body.items[2].index.error.type).toBe("mapper_parsing_exception");
    expect(r.body.items[3].index.error.type).toBe("index_not_found_exception");
    const doc = await req("GET", `/${ix}/_doc/1`);
    expect(doc.body._source.k).toBe("new");
    expect(doc.body._version).toBe(10);
  });

  it("searches, counts and deletes by term/range/bool queries", async () => {
    const ix = `${os.prefix}-c.v1`;
    await req("PUT", `/${ix}`, {
      mappings: { properties: { p: { type: "keyword" }, end: { type: "date" } } },
    });
    await req(
      "POST",
      "/_bulk?refresh=true",
      nd(
        { index: { _index: ix, _id: "a" } },
        { p: "x", end: "2026-01-01T00:00:00Z" },
        { index: { _index: ix, _id: "b" } },
        { p: "x", end: "2026-02-01T00:00:00Z" },
        { index: { _index: ix, _id: "c" } },
        { p: "y", end: "2026-01-01T00:00:00Z" },
      ),
    );
    const stale = {
      bool: { filter: [{ term: { p: "x" } }, { range: { end: { lt: "2026-02-01T00:00:00Z" } } }] },
    };
    expect((await req("POST", `/${ix}/_count`, { query: stale })).body.count).toBe(1);
    expect((await req("POST", `/${ix}/_count`, { query: { match_all: {} } })).body.count).toBe(3);
    const del = await req("POST", `/${ix}/_delete_by_query?conflicts=proceed&refresh=true`, { query: stale });
    expect(del.body.deleted).toBe(1);
    const ms = await req(
      "POST",
      "/_msearch",
      nd(
        { index: ix },
        { size: 0, query: { term: { p: "x" } } },
        { index: `${os.prefix}-nope` },
        { size: 0, query: { match_all: {} } },
      ),
    );
    expect(ms.body.responses[0].hits.total.value).toBe(1);
    expect(ms.body.responses[1].error.type).toBe("index_not_found_exception");
    const rest = await req("POST", `/${ix}/_search`, {
      query: { bool: { must_not: [{ term: { p: "y" } }] } },
    });
    expect(rest.body.hits.hits.map((h: any) => h._id)).toEqual(["b"]);
  });

  it("matches a range or a missing field (bool should with must_not exists)", async () => {
    const ix = `${os.prefix}-m.v1`;
    await req("PUT", `/${ix}`, { mappings: { properties: { g: { type: "long" } } } });
    await req(
      "POST",
      "/_bulk?refresh=true",
      nd(
        ...[
          ["none", {}],
          ["low", { g: 1 }],
          ["high", { g: 9 }],
        ].flatMap(([id, doc]) => [{ index: { _index: ix, _id: id } }, { p: "x", ...(doc as object) }]),
      ),
    );
    const query = {
      bool: {
        filter: [
          { term: { p: "x" } },
          {
            bool: {
              should: [{ range: { g: { lte: 5 } } }, { bool: { must_not: { exists: { field: "g" } } } }],
              minimum_should_match: 1,
            },
          },
        ],
      },
    };
    const del = await req("POST", `/${ix}/_delete_by_query?conflicts=proceed&refresh=true`, { query });
    expect(del.body.deleted).toBe(2);
    const rest = await req("POST", `/${ix}/_search`, { query: { match_all: {} } });
    expect(rest.body.hits.hits.map((h: any) => h._id)).toEqual(["high"]);
  });

  it("looks up write aliases by a comma-separated list of wildcard patterns", async () => {
    for (const [ix, alias] of [
      [`${os.prefix}-wa_x.v1`, `${os.prefix}-wa_x.write`],
      [`${os.prefix}-wb_x.v1`, `${os.prefix}-wb_x.write`],
      [`${os.prefix}-wc_x.v1`, `${os.prefix}-wc_x.write`],
    ])
      await req("PUT", `/${ix}`, { aliases: { [alias]: { is_write_index: true } } });
    const got = await req("GET", `/_alias/${os.prefix}-wa_*.write,${os.prefix}-wc_*.write`);
    expect(got.status).toBe(200);
    expect(
      Object.values(got.body)
        .flatMap((v: any) => Object.keys(v.aliases))
        .sort(),
    ).toEqual([`${os.prefix}-wa_x.write`, `${os.prefix}-wc_x.write`]);
    expect((await req("GET", `/_alias/${os.prefix}-zz_*.write`)).body).toEqual({});
  });

  it("flips aliases atomically and reindexes", async () => {
    const [v1, v2, w, r] = [
      `${os.prefix}-d.v1`,
      `${os.prefix}-d.v2`,
      `${os.prefix}-d.write`,
      `${os.prefix}-d.read`,
    ];
    await req("PUT", `/${v1}`, { aliases: { [w]: {}, [r]: {} } });
    await req("POST", "/_bulk?refresh=true", nd({ index: { _index: w, _id: "1" } }, { n: 1 }));
    await req("PUT", `/${v2}`, {});
    const re = await req("POST", "/_reindex?refresh=true", { source: { index: v1 }, dest: { index: v2 } });
    expect(re.body.created).toBe(1);
    // A failing action leaves everything as it was.
    const bad = await req("POST", "/_aliases", {
      actions: [{ remove: { index: v1, alias: w } }, { remove: { index: v2, alias: "nope" } }],
    });
    expect(bad.status).toBe(404);
    expect(Object.keys((await req("GET", `/_alias/${w}`)).body)).toEqual([v1]);
    const flip = await req("POST", "/_aliases", {
      actions: [
        { remove: { index: v1, alias: w } },
        { remove: { index: v1, alias: r } },
        { add: { index: v2, alias: w } },
        { add: { index: v2, alias: r } },
      ],
    });
    expect(flip.status).toBe(200);
    expect(Object.keys((await req("GET", `/_alias/${r}`)).body)).toEqual([v2]);
    expect((await req("POST", `/${r}/_count`, {})).body.count).toBe(1);
    // Deleting through an alias is refused, as OpenSearch does.
    expect((await req("DELETE", `/${w}`)).status).toBe(400);
  });
});

describe("OpenSearch double: Dashboards saved objects", () => {
  const path = (id: string) => `/_dashboards/api/saved_objects/visualization/${id}`;
  const xsrf = { "osd-xsrf": "true" };
  it("creates, conflicts, updates and deletes; needs osd-xsrf on writes", async () => {
    if (!os.double) return; // a bare OpenSearch has no Dashboards endpoint
    const id = `${os.prefix}-vis`;
    expect((await req("POST", path(id), { attributes: { title: "t" } })).status).toBe(400);
    expect((await req("POST", path(id), { attributes: { title: "t" } }, xsrf)).status).toBe(200);
    expect((await req("POST", path(id), { attributes: { title: "t" } }, xsrf)).status).toBe(409);
    expect((await req("PUT", path(id), { attributes: { title: "u" } }, xsrf)).status).toBe(200);
    expect((await req("GET", path(id))).body.attributes.title).toBe("u");
    expect((await req("DELETE", path(id), undefined, xsrf)).status).toBe(200);
    expect((await req("DELETE", path(id), undefined, xsrf)).status).toBe(404);
    expect((await req("PUT", path(id), { attributes: {} }, xsrf)).status).toBe(404);
  });

  it("injects faults for retry tests", async () => {
    if (!os.double) return;
    os.double.failNext(/_bulk$/, 429, 1);
    expect((await req("POST", "/_bulk", nd({ delete: { _index: "x", _id: "1" } }))).status).toBe(429);
    expect(
      (await req("POST", "/_bulk", nd({ delete: { _index: `${os.prefix}-none`, _id: "1" } }))).status,
    ).toBe(200);
  });
});
