import { Attr, DocumentCollection, Limits, keyHash, validate } from "@sec-an/contracts";
import fc from "fast-check";
import {
  CollectingPublisher,
  OversizeDocumentError,
  ResultsContext,
  SnsPublisher,
  batches,
  createParseTools,
  messageBytes,
  resultLineage,
  setClients,
  resetClients,
  type Publisher,
} from "../src";
import { drain, emulatorClients, topicWithQueue } from "./helpers";

const start = "2026-11-23T10:00:00.000Z";
const end = "2026-11-23T10:05:00.000Z";
const lineage = { scanId: "scan-1", task: "nmap", rawKey: "nmap/2026/11/23/scan-1.xml", parserVersion: "1" };

function ctx(publisher: Publisher = new CollectingPublisher(), budgetBytes?: number) {
  return new ResultsContext({
    task: "nmap",
    parentKey: { address: "127.0.0.1", address_type: "ipv4" },
    scanId: "scan-1",
    scanStartTime: start,
    scanEndTime: end,
    lineage,
    publisher,
    budgetBytes,
  });
}

describe("ResultsContext", () => {
  it("keys documents by the canonical hash of the merged key and deep-copies them", async () => {
    const c = ctx();
    c.pushContext({ port: 22, protocol: "tcp" });
    const data = { service: "ssh", scripts: { banner: "OpenSSH" } as Record<string, string> };
    c.postResults("ports", data);
    data.scripts.banner = "mutated after posting";
    c.popContext();
    c.postResults("host", { status: "up" });
    const [m] = c.messages();
    const ports = m.message.docs.ports;
    expect(ports).toHaveLength(1);
    // key order of the merged fields must not matter: canonical JSON
    expect(ports[0].nonTemporalKey).toBe(
      keyHash({ protocol: "tcp", port: 22, address_type: "ipv4", address: "127.0.0.1" }),
    );
    expect(ports[0].data).toEqual({
      address: "127.0.0.1",
      address_type: "ipv4",
      port: 22,
      protocol: "tcp",
      service: "ssh",
      scripts: { banner: "OpenSSH" },
    });
    expect(m.message.docs.host[0].nonTemporalKey).toBe(
      keyHash({ address: "127.0.0.1", address_type: "ipv4" }),
    );
    expect(m.message.parentKey).toBe(keyHash({ address_type: "ipv4", address: "127.0.0.1" }));
    expect(m.message.temporalKey).toBe(keyHash({ scanEndTime: end }));
    expect(m.message.part).toBeUndefined();
    expect(m.attributes).toEqual({
      [Attr.parentKey]: m.message.parentKey,
      [Attr.temporalKey]: m.message.temporalKey,
      [Attr.task]: "nmap",
      [Attr.scanId]: "scan-1",
    });
    expect(JSON.parse(m.body)).toEqual(m.message);
    expect(() => validate(DocumentCollection, JSON.parse(m.body))).not.toThrow();
  });

  it("adds summaries at publish time only to documents that asked for them", () => {
    const c = ctx();
    c.postResults("host", { status: "up" }, { includeSummaries: true });
    c.pushContext({ port: 443 });
    c.postResults("ports", { state: "open" });
    c.addSummary("open_ports", 1);
    c.addSummaries({ highest_severity: "high" });
    const docs = c.messages()[0].message.docs;
    expect(docs.host[0].data).toMatchObject({ summary_open_ports: 1, summary_highest_severity: "high" });
    expect(Object.keys(docs.ports[0].data).some((k) => k.startsWith("summary_"))).toBe(false);
  });

  it("keeps the latest document when the same key is posted twice", () => {
    const c = ctx();
    c.postResults("host", { status: "down" });
    c.postResults("host", { status: "up" });
    expect(c.messages()[0].message.docs.host.map((d) => d.data.status)).toEqual(["up"]);
  });

  it("rejects bad input clearly", () => {
    const c = ctx();
    expect(() => c.popContext()).toThrow(/parent key/);
    expect(() => c.postResults("Bad-Type", {})).toThrow(/invalid doc type/);
    expect(() => c.pushContext({ nested: { a: 1 } } as never)).toThrow(/context key is invalid/);
    expect(() => c.postResults("host", { n: BigInt(1) })).toThrow(/not JSON-serialisable/);
  });

  it("splits a 300 KB collection into parts within the 240 KB budget, losing nothing", () => {
    const c = ctx();
    for (let i = 0; i < 300; i += 1) {
      c.pushContext({ port: i + 1 });
      c.postResults(i % 2 ? "ports" : "cves", { blob: "x".repeat(1000), note: "é✓" });
      c.popContext();
    }
    const msgs = c.messages();
    expect(msgs.length).toBe(2);
    const total = msgs.reduce((n, m) => n + messageBytes(m.body, m.attributes), 0);
    expect(total).toBeGreaterThan(300 * 1000);
    for (const [i, m] of msgs.entries()) {
      expect(messageBytes(m.body, m.attributes)).toBeLessThanOrEqual(Limits.publishBudgetBytes);
      expect(m.message.part).toEqual({ index: i, count: 2 });
      expect(m.message.parentKey).toBe(msgs[0].message.parentKey);
      validate(DocumentCollection, JSON.parse(m.body));
    }
    const keys = msgs.flatMap((m) =>
      Object.values(m.message.docs)
        .flat()
        .map((d) => d.nonTemporalKey),
    );
    expect(new Set(keys).size).toBe(300);
  });

  it("fills parts close to the budget (exact byte accounting)", () => {
    const budget = 8 * 1024;
    const c = ctx(undefined, budget);
    for (let i = 0; i < 200; i += 1) {
      c.pushContext({ i });
      c.postResults("ports", { v: "y".repeat(37 + (i % 13)) });
      c.popContext();
    }
    const sizes = c.messages().map((m) => messageBytes(m.body, m.attributes));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(budget);
    // every part but the last is within one document of the budget
    for (const s of sizes.slice(0, -1)) expect(s).toBeGreaterThan(budget - 200);
  });

  it("refuses a single document larger than the budget, naming its type and size", () => {
    const c = ctx();
    c.postResults("host", { small: true });
    c.postResults("tls_cert", { pem: "z".repeat(250 * 1024) });
    expect(() => c.messages()).toThrow(OversizeDocumentError);
    expect(() => c.messages()).toThrow(/tls_cert document is \d+ bytes/);
  });

  it("marks snapshot-only collections", () => {
    const c = new ResultsContext({
      task: "nmap",
      parentKey: { a: 1 },
      scanId: "s",
      scanStartTime: start,
      scanEndTime: end,
      lineage,
      history: false,
    });
    expect(c.messages()[0].message.history).toBe(false);
    expect(ctx().messages()[0].message).not.toHaveProperty("history");
  });

  it("publishes an empty collection so stale children of the parent can be removed", () => {
    const [m] = ctx().messages();
    expect(m.message.docs).toEqual({});
  });

  it("groups PublishBatch entries by count and aggregate size", () => {
    const mk = (n: number) => ({ message: null, body: "a".repeat(n), attributes: {} });
    expect(batches(Array.from({ length: 23 }, () => mk(10))).map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches([mk(200 * 1024), mk(100 * 1024), mk(10)]).map((b) => b.length)).toEqual([1, 2]);
  });
});

describe("parse tools", () => {
  const metadata = {
    scanId: "scan-2",
    task: "nmap",
    scanStartTime: start,
    scanEndTime: end,
    request: { target: "127.0.0.0/30", lineage: { rootScanId: "root-1", parentScanId: "scan-0", depth: 2 } },
  };

  it("carries the request's lineage and reuses one context per parent key", async () => {
    const pub = new CollectingPublisher();
    const tools = createParseTools({
      task: "nmap",
      metadata,
      rawKey: "nmap/k.xml",
      parserVersion: "2",
      publisher: pub,
    });
    tools.results({ address: "127.0.0.1" }).postResults("host", { up: true });
    tools.results({ address: "127.0.0.1" }).postResults("host", { up: false });
    tools.results({ address: "127.0.0.2" }).postResults("host", { up: true });
    const sent = await tools.publishAll();
    expect(sent).toHaveLength(2);
    expect(pub.messages).toEqual(sent);
    expect(sent[0].message.lineage).toEqual({
      scanId: "scan-2",
      task: "nmap",
      rawKey: "nmap/k.xml",
      parserVersion: "2",
      rootScanId: "root-1",
      parentScanId: "scan-0",
      depth: 2,
    });
    expect(sent[0].message.docs.host[0].data.up).toBe(false);
  });

  it("treats a request without lineage as a root scan and refuses another task's result", () => {
    expect(resultLineage({ ...metadata, request: "garbage" }, "k", "1")).toEqual({
      scanId: "scan-2",
      task: "nmap",
      rawKey: "k",
      parserVersion: "1",
      rootScanId: "scan-2",
      depth: 0,
    });
    expect(() => createParseTools({ task: "ssl", metadata, rawKey: "k", parserVersion: "1" })).toThrow(
      /belongs to task nmap/,
    );
  });

  it("publishes nothing when any document is oversize", async () => {
    const pub = new CollectingPublisher();
    const tools = createParseTools({
      task: "nmap",
      metadata,
      rawKey: "k",
      parserVersion: "1",
      publisher: pub,
    });
    tools.results({ address: "a" }).postResults("host", { ok: 1 });
    tools.results({ address: "b" }).postResults("host", { big: "q".repeat(300 * 1024) });
    await expect(tools.publishAll()).rejects.toThrow(OversizeDocumentError);
    expect(pub.messages).toHaveLength(0);
  });
});

describe("SnsPublisher against fauxqs", () => {
  afterEach(() => resetClients());

  it("publishes split parts through SNS to an SQS subscription with attributes intact", async () => {
    const c = emulatorClients();
    setClients({ sns: c.sns });
    const { topicArn, queue } = await topicWithQueue(c, { raw: true });
    const rc = ctx(new SnsPublisher(async () => topicArn));
    for (let i = 0; i < 120; i += 1) {
      rc.pushContext({ port: i + 1 });
      rc.postResults("ports", { blob: "p".repeat(2500) });
      rc.popContext();
    }
    rc.postResults("host", { status: "up" });
    const sent = await rc.publish();
    expect(sent.length).toBe(2);
    const got = await drain(c.sqs, queue.url, sent.length);
    expect(got).toHaveLength(sent.length);
    const bodies = got
      .map((m) => validate(DocumentCollection, JSON.parse(m.Body!)))
      .sort((a, b) => a.part!.index - b.part!.index);
    expect(bodies).toEqual(sent.map((s) => s.message));
    for (const m of got) {
      expect(m.MessageAttributes?.[Attr.parentKey]?.StringValue).toBe(rc.parentKeyHash);
      expect(m.MessageAttributes?.[Attr.task]?.StringValue).toBe("nmap");
    }
  });

  it("publishes many small collections with PublishBatch", async () => {
    const c = emulatorClients();
    const { topicArn, queue } = await topicWithQueue(c, { raw: true });
    const pub = new SnsPublisher(topicArn, () => c.sns);
    const tools = createParseTools({
      task: "nmap",
      metadata: { scanId: "s", task: "nmap", scanStartTime: start, scanEndTime: end, request: {} },
      rawKey: "k",
      parserVersion: "1",
      publisher: pub,
    });
    for (let i = 0; i < 13; i += 1) tools.results({ address: `10.0.0.${i}` }).postResults("host", { i });
    await tools.publishAll();
    const got = await drain(c.sqs, queue.url, 13);
    expect(
      got.map((m) => JSON.parse(m.Body!).docs.host[0].data.i).sort((a: number, b: number) => a - b),
    ).toEqual([...Array(13).keys()]);
  });
});

describe("owned doc types and the parse run", () => {
  const metadata = { scanId: "scan-1", task: "nmap", scanStartTime: start, scanEndTime: end, request: {} };

  it("lists every doc type the task owns on every part, the empty ones included", () => {
    const tools = createParseTools({
      task: "nmap",
      metadata,
      rawKey: lineage.rawKey,
      parserVersion: "1",
      parsedAt: new Date("2026-11-23T10:06:00Z"),
      budgetBytes: 4096,
    });
    const c = tools.results({ address: "127.0.0.1" });
    for (let port = 1; port <= 40; port++) {
      c.pushContext({ port });
      c.postResults("ports", { service: "x".repeat(40) });
      c.popContext();
    }
    const parts = tools.messages().map((m) => m.message);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.docTypes).toEqual(["cves", "data", "os", "ports", "ssl_cert", "ssl_ciphers", "ssl_protos"]);
      expect(p.parsedAt).toBe("2026-11-23T10:06:00.000Z");
    }
  });

  it("publishes an empty collection for a parent with no documents, so its old ones are cleared", () => {
    const tools = createParseTools({ task: "nmap", metadata, rawKey: lineage.rawKey, parserVersion: "1" });
    tools.results({ address: "127.0.0.2" });
    const [m] = tools.messages();
    expect(m.message.docs).toEqual({});
    expect(m.message.docTypes).toContain("ports");
  });

  it("adds a posted type the declaration lacks, and refuses an invalid declared type", () => {
    const c = new ResultsContext({
      task: "custom",
      parentKey: { id: "a" },
      scanId: "s",
      scanStartTime: start,
      scanEndTime: end,
      lineage: { ...lineage, task: "custom" },
      docTypes: ["alpha"],
    });
    c.postResults("beta", { x: 1 });
    expect(c.messages()[0].message.docTypes).toEqual(["alpha", "beta"]);
    expect(
      () =>
        new ResultsContext({
          task: "custom",
          parentKey: { id: "a" },
          scanId: "s",
          scanStartTime: start,
          scanEndTime: end,
          lineage,
          docTypes: ["Bad-Type"],
        }),
    ).toThrow(/invalid doc type/);
  });
});

describe("ResultsContext.postOwned (a caller's merged key levels)", () => {
  const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
  // Names a host can send: ones shared with the key, integer-like ones, and __proto__.
  const name = fc.oneof(
    fc.constantFrom("address", "port_id", "protocol", "__proto__", "0", "12", "cve_code"),
    fc.string({ minLength: 1, maxLength: 6 }),
  );
  const fields = fc.dictionary(name, scalar, { maxKeys: 4 });
  const data = fc.dictionary(name, fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), { maxKeys: 6 });

  it("posts what pushContext, postResults and popContext post: the same ids and message bodies", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(fields), fields, data, fc.boolean()), { maxLength: 6 }),
        (posts) => {
          const a = ctx();
          const b = ctx();
          for (const [outer, levels, d, summaries] of posts) {
            if (outer) {
              a.pushContext(outer);
              b.pushContext(outer);
            }
            a.pushContext(levels);
            a.postResults("ports", d, { includeSummaries: summaries });
            a.popContext();
            b.postOwned("ports", { ...levels }, d, summaries);
            if (outer) {
              a.popContext();
              b.popContext();
            }
          }
          a.addSummary("n", 1);
          b.addSummary("n", 1);
          expect(b.messages().map((m) => m.body)).toEqual(a.messages().map((m) => m.body));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses an invalid key level or doc type as postResults does", () => {
    const c = ctx();
    expect(() => c.postOwned("ports", { port: { nested: 1 } } as never, {})).toThrow(/context key/);
    expect(() => c.postOwned("Ports!", { port: 1 }, {})).toThrow(/invalid doc type/);
    expect(() => c.postOwned("ports", { port: 1 }, [] as never)).toThrow(/must be an object/);
    expect(c.size).toBe(0);
  });
});
