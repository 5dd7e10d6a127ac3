import {
  Params,
  ScanRequest,
  SchemaError,
  MalformedJsonError,
  allParams,
  canonicalJson,
  indexBase,
  keyHash,
  paramName,
  parseJson,
  rawResultKey,
  taskParams,
  validate,
  versionedIndexName,
  writeAlias,
} from "../src";

describe("canonical JSON and key hashes", () => {
  it("ignores key order at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}',
    );
    expect(keyHash({ address: "127.0.0.1", address_type: "ipv4" })).toBe(
      keyHash({ address_type: "ipv4", address: "127.0.0.1" }),
    );
  });
  it("is the sha256 of the canonical text", () => {
    // echo -n '{"a":1}' | sha256sum
    expect(keyHash({ a: 1 })).toBe("015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
  });
  it("distinguishes types a repr-based scheme would confuse", () => {
    expect(keyHash({ port: 80 })).not.toBe(keyHash({ port: "80" }));
  });
  it("rejects values JSON cannot carry", () => {
    expect(() => canonicalJson({ a: NaN })).toThrow("$.a is not a finite number");
    expect(() => canonicalJson([undefined])).toThrow("$[0] is undefined");
    expect(() => canonicalJson({ a: 1n })).toThrow("unsupported type bigint");
  });
});

describe("SSM catalogue", () => {
  it("keeps the original paths under /app/stage", () => {
    const d = { app: "sec-an", stage: "dev" };
    expect(paramName(d, Params.ingestQueueUrl)).toBe("/sec-an/dev/analytics/elastic/ingest_queue/id");
    expect(paramName(d, taskParams("nmap").resultsTopicArn)).toBe("/sec-an/dev/tasks/nmap/results/arn");
    expect(paramName(d, Params.scanInitiatorTopicArn)).toBe("/sec-an/dev/scheduler/scan_initiator_topic/arn");
  });
  it("has no duplicate paths", () => {
    const paths = allParams().map((p) => p.path);
    expect(new Set(paths).size).toBe(paths.length);
  });
  it("rejects hostile names", () => {
    expect(() => paramName({ app: "sec-an", stage: "dev/../prod" }, Params.vpcId)).toThrow(
      "invalid app/stage",
    );
    expect(() => taskParams("Nmap;rm")).toThrow("invalid task name");
  });
});

describe("index naming", () => {
  it("uses names OpenSearch accepts", () => {
    const base = indexBase("nmap", "ports", "snapshot");
    expect(base).toBe("nmap_ports_snapshot");
    expect(writeAlias(base)).toBe("nmap_ports_snapshot.write");
    expect(versionedIndexName(base, { properties: { a: { type: "keyword" } } })).toMatch(
      /^nmap_ports_snapshot\.v[0-9a-f]{12}$/,
    );
    expect(() => indexBase("nmap:x", "ports", "snapshot")).toThrow("invalid task");
  });
  it("versions change exactly when the mapping changes", () => {
    const m1 = { properties: { a: { type: "keyword" } } };
    expect(versionedIndexName("x_y", m1)).toBe(versionedIndexName("x_y", JSON.parse(JSON.stringify(m1))));
    expect(versionedIndexName("x_y", m1)).not.toBe(
      versionedIndexName("x_y", { properties: { a: { type: "text" } } }),
    );
  });
  it("dates raw keys so they can be listed by time", () => {
    expect(rawResultKey("nmap", "abc-1", new Date("2026-01-02T03:04:05Z"), "xml")).toBe(
      "nmap/2026/01/02/abc-1.xml",
    );
    expect(() => rawResultKey("nmap", "../etc", new Date(), "xml")).toThrow("invalid scan id");
  });
});

describe("validation", () => {
  it("names the failing field", () => {
    expect(() => validate(ScanRequest, { target: 5, requestedAt: "2026-01-01T00:00:00Z" })).toThrow(
      /ScanRequest is invalid: \/target Expected string/,
    );
    try {
      validate(ScanRequest, { requestedAt: "x" });
    } catch (e) {
      expect(e).toBeInstanceOf(SchemaError);
      expect((e as SchemaError).issues.map((i) => i.path)).toEqual(
        expect.arrayContaining(["/target", "/requestedAt"]),
      );
    }
  });
  it("turns malformed JSON into a clear error", () => {
    expect(() => parseJson(ScanRequest, "{not json")).toThrow(MalformedJsonError);
    expect(() => parseJson(ScanRequest, "{not json")).toThrow(/ScanRequest is not valid JSON/);
  });
  it("accepts a good request and extra fields (forward compatible)", () => {
    const r = parseJson(
      ScanRequest,
      JSON.stringify({ target: "127.0.0.1", requestedAt: "2026-01-01T00:00:00Z", newFlag: true }),
    );
    expect(r.target).toBe("127.0.0.1");
  });
});
