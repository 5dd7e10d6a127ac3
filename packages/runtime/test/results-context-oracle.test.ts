import fc from "fast-check";
import { ResultsContext, type ResultsContextOptions } from "../src/results-context";
import { ResultsContext as OracleContext } from "./oracle/results-context";

/**
 * ResultsContext serialises each document once; the one it replaced deep-copied it and serialised it
 * again per message. Both get the same calls, generated: the same message bodies and attributes (ids,
 * documents, summaries, part boundaries) or the same error.
 */

type Op =
  | { op: "push"; fields: Record<string, string | number> }
  | { op: "pop" }
  | { op: "post"; docType: string; data: Record<string, unknown>; includeSummaries: boolean }
  | { op: "summary"; name: string; value: unknown };

const json = fc.jsonValue({ maxDepth: 3 });
const name = fc.constantFrom("port", "protocol", "address", "cve_code", "summary_x", "n", "é", "10");
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("push" as const),
    fields: fc.dictionary(name, fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), {
      minKeys: 1,
      maxKeys: 3,
    }),
  }),
  fc.record({ op: fc.constant("pop" as const) }),
  fc.record({
    op: fc.constant("post" as const),
    docType: fc.constantFrom("ports", "cves", "data", "ssl_cert"),
    data: fc.dictionary(fc.oneof(name, fc.string({ maxLength: 6 })), json, { maxKeys: 5 }),
    includeSummaries: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("summary" as const),
    name: fc.constantFrom("x", "cve_count", "os"),
    value: json,
  }),
);

function run(Ctx: typeof ResultsContext | typeof OracleContext, ops: Op[], opts: ResultsContextOptions) {
  try {
    const ctx = new Ctx(opts);
    for (const o of ops) {
      try {
        if (o.op === "push") ctx.pushContext(o.fields);
        else if (o.op === "pop") ctx.popContext();
        else if (o.op === "post")
          ctx.postResults(o.docType, o.data, { includeSummaries: o.includeSummaries });
        else ctx.addSummary(o.name, o.value);
      } catch (e) {
        return { error: (e as Error).message };
      }
    }
    return {
      messages: ctx.messages().map((m) => ({ body: m.body, attributes: m.attributes, message: m.message })),
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const base: ResultsContextOptions = {
  task: "nmap",
  parentKey: { address: "10.0.0.1", address_type: "ipv4" },
  scanId: "scan-1",
  scanStartTime: "2026-11-23T10:00:00Z",
  scanEndTime: "2026-11-23T10:05:00Z",
  lineage: { scanId: "scan-1", task: "nmap", rawKey: "nmap/2026/11/23/scan-1.xml", parserVersion: "1" },
  parsedAt: "2026-11-23T10:06:00Z",
};

describe("ResultsContext = the deep-copying one it replaced", () => {
  it("on generated calls, with budgets that force splitting", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 40 }),
        fc.constantFrom(undefined, 1800, 3000),
        fc.constantFrom(undefined, ["ports", "cves", "data", "ssl_cert", "os"]),
        fc.constantFrom(undefined, false),
        (ops, budgetBytes, docTypes, history) => {
          const opts = { ...base, budgetBytes, docTypes, history };
          expect(run(ResultsContext, ops, opts)).toEqual(run(OracleContext, ops, opts));
        },
      ),
      { numRuns: 600 },
    );
  });

  // The document text is the key's JSON joined to the data's; each case below is one where joining
  // would differ from serialising the merged object, so it must take the merging path.
  it.each<[string, Record<string, unknown>]>([
    ["a name shared with the key", { port_id: 9, state: "open" }],
    ["a shared name set to undefined", { port_id: undefined, state: "open" }],
    ["an integer-like name", { state: "open", 7: "seven" }],
    ["an own __proto__", JSON.parse('{"state":"open","__proto__":{"x":1}}') as Record<string, unknown>],
    ["a toJSON", { state: "open", toJSON: () => ({ replaced: true }) }],
    ["no fields", {}],
    ["a summary's name, with summaries", { state: "open", summary_x: 1 }],
  ])("on data with %s", (_, data) => {
    const ops: Op[] = [
      { op: "summary", name: "x", value: 2 },
      { op: "push", fields: { port_id: 80, protocol: "tcp" } },
      { op: "post", docType: "ports", data, includeSummaries: true },
      { op: "post", docType: "data", data, includeSummaries: false },
    ];
    expect(run(ResultsContext, ops, base)).toEqual(run(OracleContext, ops, base));
  });

  it("keeps what was posted when the caller mutates its object afterwards", () => {
    const ctx = new ResultsContext(base);
    const data = { scripts: [{ id: "a", output: "x" }] };
    ctx.postResults("ports", data);
    data.scripts[0].output = "changed";
    expect(ctx.messages()[0].message.docs.ports[0].data.scripts).toEqual([{ id: "a", output: "x" }]);
  });
});
