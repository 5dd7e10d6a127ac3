import fc from "fast-check";
import { indexBase, writeAlias, type DocumentCollection } from "@sec-an/contracts";
import { collectionDoc, planMessage } from "../src/ingest";
import { bulkBody } from "../src/store/opensearch";
import type { BulkOp } from "../src/store/types";

/**
 * The planner serialises each collection document once, splicing its data's JSON with the fields the
 * ingestor adds, and the bulk body is joined from parts. Whatever the data, it must be byte for byte
 * the straightforward construction: one JSON.stringify per line of the document `collectionDoc` builds.
 */
const q = JSON.stringify;
const TASK = "bulkprops";
const TYPES = ["ports", "cves"];
const NOW = Date.parse("2026-11-24T00:00:00Z");
const known = new Set(
  TYPES.flatMap((t) => (["snapshot", "history"] as const).map((f) => writeAlias(indexBase(TASK, t, f)))),
);

/** Strings JSON must escape, or that JavaScript objects treat specially. */
const hostile = fc.constantFrom(
  "",
  '"',
  "\\",
  '\\"',
  "\u2028",
  "\u2029",
  "\ud800",
  "x\udc00y",
  "\ud83d\ude00",
  "\u0000\u001f\u007f",
  "</script>",
  "__proto__",
  "constructor",
  "toJSON",
  "0",
  "1",
  "4294967295",
  "-1",
  "scan_id",
  "__ParentKey",
  "__NonTemporalKey",
  "__generation",
  "__task",
);
const text = fc.oneof(hostile, fc.string({ unit: "binary" }), fc.string({ unit: "grapheme-ascii" }));
const value: fc.Arbitrary<unknown> = fc.oneof(
  text,
  fc.jsonValue(),
  fc.dictionary(text, fc.jsonValue(), { maxKeys: 3 }),
  fc.array(text, { maxLength: 3 }),
);
/**
 * A document's data as the ingestor gets it: parsed from JSON, so `__proto__` is an own key (an object
 * literal or assignment would set the prototype instead).
 */
const data = fc
  .array(fc.tuple(text, value), { maxLength: 8 })
  .map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${q(k)}:${q(v) ?? "null"}`).join(",")}}`));
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
/** Keys outside the schema's pattern too: the planner must not rely on validation for correct JSON. */
const key = fc.oneof({ weight: 4, arbitrary: hex64 }, { weight: 1, arbitrary: text });
const time = fc
  .integer({ min: Date.parse("2000-01-01T00:00:00Z"), max: NOW })
  .map((ms) => new Date(ms).toISOString());

const collection: fc.Arbitrary<DocumentCollection> = fc
  .record({
    parentKey: key,
    temporalKey: key,
    scanId: text,
    start: time,
    end: time,
    rawKey: text,
    parserVersion: text,
    history: fc.constantFrom(undefined, true, false),
    docs: fc.dictionary(
      fc.constantFrom(...TYPES),
      fc.array(fc.record({ nonTemporalKey: key, data }), { maxLength: 5 }),
    ),
  })
  .map((r) => ({
    kind: "collection",
    task: TASK,
    parentKey: r.parentKey,
    temporalKey: r.temporalKey,
    scanId: r.scanId,
    scanStartTime: r.start,
    scanEndTime: r.end,
    lineage: { scanId: r.scanId, task: TASK, rawKey: r.rawKey, parserVersion: r.parserVersion },
    docs: r.docs,
    ...(r.history === undefined ? {} : { history: r.history }),
  }));

/** The straightforward NDJSON of a collection's writes into one flavour, in the planner's order. */
function expected(msg: DocumentCollection, flavour: "snapshot" | "history", gen: number): string {
  let out = "";
  for (const docType of Object.keys(msg.docs).sort())
    for (const d of msg.docs[docType]) {
      const id = flavour === "snapshot" ? d.nonTemporalKey : `${d.nonTemporalKey}@${msg.temporalKey}`;
      const index = writeAlias(indexBase(TASK, docType, flavour));
      out += `${q({ index: { _index: index, _id: id, version: gen, version_type: "external_gte" } })}\n`;
      out += `${q(collectionDoc(msg, d.nonTemporalKey, d.data, gen))}\n`;
    }
  return out;
}

it("builds the NDJSON, ids, sources and documents of a collection exactly as one JSON.stringify per line would", () => {
  fc.assert(
    fc.property(collection, (msg) => {
      const plan = planMessage(msg, known, { now: NOW });
      const gen = plan.cleanups[0]?.generation ?? 0;
      expect(bulkBody(plan.snapshotOps)).toBe(expected(msg, "snapshot", gen));
      expect(bulkBody(plan.ops)).toBe(msg.history === false ? "" : expected(msg, "history", gen));
      // The fields a store that takes objects reads agree with the NDJSON.
      for (const op of [...plan.snapshotOps, ...plan.ops]) {
        if (op.action !== "index") throw new Error("collections only index");
        expect(op.source).toBe(q(op.doc));
        expect(op.externalVersion).toBe(gen);
        expect(
          bulkBody([{ action: "index", index: op.index, id: op.id, doc: op.doc, externalVersion: gen }]),
        ).toBe(bulkBody([op]));
      }
    }),
    { numRuns: 400 },
  );
});

it("refuses a collection document one byte over the limit and accepts it at the limit, counting UTF-8 bytes", () => {
  fc.assert(
    fc.property(collection, (msg) => {
      const gen = planMessage(msg, known, { now: NOW }).cleanups[0]?.generation ?? 0;
      const sizes = Object.values(msg.docs)
        .flat()
        .map((d) => Buffer.byteLength(q(collectionDoc(msg, d.nonTemporalKey, d.data, gen))));
      fc.pre(sizes.length > 0);
      const largest = Math.max(...sizes);
      expect(() => planMessage(msg, known, { now: NOW, maxDocBytes: largest })).not.toThrow();
      expect(() => planMessage(msg, known, { now: NOW, maxDocBytes: largest - 1 })).toThrow(
        expect.objectContaining({
          code: "oversize",
          message: expect.stringContaining(`is ${largest} bytes`),
        }),
      );
    }),
    { numRuns: 300 },
  );
});

it("builds the NDJSON of ops without parts (markers, deletes, single documents) from their fields", () => {
  const ops: BulkOp[] = [
    { action: "index", index: "a.write", id: 'x"\\\u2028', doc: { "\ud800": 1, __proto__: null } },
    { action: "index", index: "a.write", id: "y", doc: { b: [1] }, externalVersion: 7.9 },
    { action: "index", index: "a.write", id: "z", doc: { c: 1 }, source: '{"c":1}', externalVersion: 7.9 },
    { action: "delete", index: "b.write", id: "w" },
    { action: "index", index: "b.write", id: "v", doc: {}, externalVersion: 8 },
  ];
  const line = (x: unknown) => `${q(x)}\n`;
  expect(bulkBody(ops)).toBe(
    line({ index: { _index: "a.write", _id: 'x"\\\u2028' } }) +
      line({ "\ud800": 1 }) +
      line({ index: { _index: "a.write", _id: "y", version: 7, version_type: "external_gte" } }) +
      line({ b: [1] }) +
      line({ index: { _index: "a.write", _id: "z", version: 7, version_type: "external_gte" } }) +
      line({ c: 1 }) +
      line({ delete: { _index: "b.write", _id: "w" } }) +
      line({ index: { _index: "b.write", _id: "v", version: 8, version_type: "external_gte" } }) +
      line({}),
  );
  expect(bulkBody([])).toBe("");
});
