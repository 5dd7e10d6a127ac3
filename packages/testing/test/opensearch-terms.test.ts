import fc from "fast-check";
import { OpenSearchDouble, matches } from "../src/opensearch";

/**
 * The double answers term-filtered searches, counts and deletes from the ids it keeps per term. After
 * any sequence of writes, overwrites (a document's term changing), deletes and deletes-by-query, each
 * answer equals a scan of every document with `matches`.
 */
const parent = fc.oneof(fc.constantFrom("a", "b", "c"), fc.constantFrom(1, 2), fc.constant(["a", "2"]));
const id = fc.constantFrom("d1", "d2", "d3", "d4", "d5");
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant("index" as const), id, parent }),
    fc.record({ op: fc.constant("delete" as const), id }),
    fc.record({ op: fc.constant("dbq" as const), parent: fc.constantFrom("a", "b", 1, "2") }),
  ),
  { maxLength: 25 },
);

let double: OpenSearchDouble;
let url: string;
beforeAll(async () => {
  double = new OpenSearchDouble();
  url = await double.start();
});
afterAll(() => double.stop());

const call = async (method: string, path: string, body?: unknown, ndjson = false) => {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { "content-type": ndjson ? "application/x-ndjson" : "application/json" },
    body: body === undefined ? undefined : ndjson ? (body as string) : JSON.stringify(body),
  });
  return (await r.json()) as Record<string, any>;
};

let n = 0;
it("term queries equal a scan of every document, whatever was written and deleted before", async () => {
  await fc.assert(
    fc.asyncProperty(ops, fc.constantFrom("a", "b", 1, "2"), async (seq, probe) => {
      const index = `terms-${n++}`;
      await call("PUT", `/${index}`, { mappings: {}, settings: {} });
      for (const o of seq) {
        if (o.op === "index")
          await call(
            "POST",
            "/_bulk",
            `{"index":{"_index":"${index}","_id":"${o.id}"}}\n${JSON.stringify({ parent: o.parent, n: 1 })}\n`,
            true,
          );
        else if (o.op === "delete")
          await call("POST", "/_bulk", `{"delete":{"_index":"${index}","_id":"${o.id}"}}\n`, true);
        else await call("POST", `/${index}/_delete_by_query`, { query: { term: { parent: o.parent } } });
      }
      const query = { bool: { filter: [{ term: { parent: probe } }, { range: { n: { gte: 1 } } }] } };
      const scan = [...double.indices.get(index)!.docs]
        .filter(([docId, d]) => matches(docId, d.source, query))
        .map(([docId]) => docId)
        .sort();
      const found = await call("POST", `/${index}/_search`, { query, size: 100 });
      expect(found.hits.hits.map((h: { _id: string }) => h._id).sort()).toEqual(scan);
      expect((await call("POST", `/${index}/_count`, { query })).count).toBe(scan.length);
      expect((await call("POST", `/${index}/_delete_by_query`, { query })).deleted).toBe(scan.length);
      expect([...double.indices.get(index)!.docs.keys()].filter((k) => scan.includes(k))).toEqual([]);
    }),
    { numRuns: 40 },
  );
});
