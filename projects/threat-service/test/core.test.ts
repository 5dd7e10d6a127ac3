import { CtsLimits, validate, CtsResponse } from "@sec-an/contracts";
import { buildHit, keepHits } from "../src/hits";
import { canonicalArtifact, searchId, uuidV5 } from "../src/id";
import { parseArtifact, route, type CtsRequest } from "../src/request";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { CtsHttpError } from "../src/errors";
import { fromApiGateway, serve } from "../src/http";

const req = (over: Partial<CtsRequest>): CtsRequest => ({
  method: "POST",
  path: "/cts/sec-an",
  headers: { "content-type": "application/json" },
  body: Buffer.from(""),
  ...over,
});

async function refused(r: CtsRequest): Promise<CtsHttpError> {
  try {
    await route(r, "sec-an");
  } catch (e) {
    if (e instanceof CtsHttpError) return e;
    throw e;
  }
  throw new Error("the request was accepted");
}

/** A multipart body as SOAR sends one with file content: part 0 the artifact JSON, then the file. */
export function multipart(artifactJson: string, file?: Buffer, asFilePart = false) {
  const b = "----soarboundary7MA4YWxkTrZu0gW";
  const part0 = asFilePart
    ? `--${b}\r\nContent-Disposition: form-data; name="artifact"; filename="artifact.json"\r\nContent-Type: application/json\r\n\r\n${artifactJson}\r\n`
    : `--${b}\r\nContent-Disposition: form-data; name="artifact"\r\nContent-Type: application/json\r\n\r\n${artifactJson}\r\n`;
  const chunks: Buffer[] = [Buffer.from(part0)];
  if (file)
    chunks.push(
      Buffer.from(
        `--${b}\r\nContent-Disposition: form-data; name="file"; filename="sample.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      file,
      Buffer.from("\r\n"),
    );
  chunks.push(Buffer.from(`--${b}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${b}` };
}

describe("search ids", () => {
  test("uuidV5 matches the RFC 4122 reference vector", () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com")
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });

  test("the same artifact gives the same id, whatever SOAR adds or how it spells it", () => {
    const id = searchId({ type: "net.name", value: "Host.Example.com." });
    expect(searchId({ type: "net.name", value: " host.example.com" })).toBe(id);
    expect(searchId({ value: "host.example.com", type: "net.name", incident_id: 42 } as never)).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("type and value both count; IPv6 case does not", () => {
    expect(searchId({ type: "net.ip", value: "127.0.0.1" })).not.toBe(
      searchId({ type: "net.name", value: "127.0.0.1" }),
    );
    expect(searchId({ type: "net.ip", value: "127.0.0.1" })).not.toBe(
      searchId({ type: "net.ip", value: "127.0.0.2" }),
    );
    // RFC 5952: IPv4-mapped addresses are written with the dotted quad.
    expect(canonicalArtifact({ type: "net.ip", value: "::FFFF:7F00:1" }).value).toBe("::ffff:127.0.0.1");
  });

  test("every spelling of one address, network or URI gives one id", () => {
    const same = (type: string, values: string[]) =>
      expect(new Set(values.map((value) => searchId({ type, value })))).toEqual(
        new Set([searchId({ type, value: values[0] })]),
      );
    same("net.ip", ["2001:db8::1", "2001:DB8:0:0::1", "2001:0db8:0000:0000:0000:0000:0000:0001"]);
    expect(canonicalArtifact({ type: "net.ip", value: "2001:DB8:0:0:1:0:0:1" }).value).toBe(
      "2001:db8::1:0:0:1",
    );
    expect(canonicalArtifact({ type: "net.ip", value: "FE80:0:0:0:0:0:0:0" }).value).toBe("fe80::");
    same("net.cidr", ["10.0.0.0/24", "10.0.0.77/24", " 10.0.0.255/24"]);
    same("net.cidr", ["2001:db8::/120", "2001:DB8:0::ff/120"]);
    expect(canonicalArtifact({ type: "net.cidr", value: "10.1.2.3/8" }).value).toBe("10.0.0.0/8");
    same("net.uri", ["https://app.example.com/", "HTTPS://App.Example.COM:443", "https://app.example.com"]);
    expect(searchId({ type: "net.cidr", value: "10.0.0.0/24" })).not.toBe(
      searchId({ type: "net.cidr", value: "10.0.1.0/24" }),
    );
    // What is not an address, network or URI is kept as sent (its searcher answers it with no hits).
    expect(canonicalArtifact({ type: "net.uri", value: "not a uri" }).value).toBe("not a uri");
  });
});

describe("hits", () => {
  test("null props are dropped, numbers stringified, names made unique", () => {
    const hit = buildHit([
      ["Address", "ip", "127.0.0.1"],
      ["Port", "number", 443],
      ["Port", "number", 8443],
      ["Product", "string", null],
      ["Version", "string", undefined],
      ["Port (2)", "string", "taken"],
    ]);
    expect(hit.props).toEqual([
      { type: "ip", name: "Address", value: "127.0.0.1" },
      { type: "number", name: "Port", value: "443" },
      { type: "number", name: "Port (2)", value: "8443" },
      { type: "string", name: "Port (2) (2)", value: "taken" },
    ]);
    expect(new Set(hit.props.map((p) => p.name)).size).toBe(hit.props.length);
  });

  test("a value that is not its type is shown as a string; long values are cut", () => {
    const hit = buildHit([
      ["Address", "ip", "not-an-ip"],
      ["Link", "uri", "https://example.com/x"],
      ["Count", "number", "many"],
      ["Banner", "string", "x".repeat(5000)],
    ]);
    expect(hit.props.map((p) => p.type)).toEqual(["string", "uri", "string", "string"]);
    expect(hit.props[3].value).toHaveLength(CtsLimits.maxPropValueChars);
  });

  test("empty hits are left out and the answer validates as a ResponseDTO", () => {
    const hits = keepHits([buildHit([["A", "string", null]]), buildHit([["A", "string", "x"]])]);
    expect(hits).toHaveLength(1);
    expect(() => validate(CtsResponse, { id: "x", hits })).not.toThrow();
  });
});

describe("requests (the IBM guide's examples)", () => {
  test("OPTIONS /cts/{name} and GET /cts/{name}/{id}", async () => {
    expect(await route(req({ method: "OPTIONS" }), "sec-an")).toEqual({ kind: "options", name: "sec-an" });
    const id = searchId({ type: "net.ip", value: "127.0.0.1" });
    expect(await route(req({ method: "GET", path: `/cts/sec-an/${id}` }), "sec-an")).toEqual({
      kind: "get",
      name: "sec-an",
      id,
    });
    // Not an id of ours: echoed as asked, cut to a bound (its answer is the unknown id's, below).
    expect(await route(req({ method: "GET", path: "/cts/sec-an/'; DROP TABLE" }), "sec-an")).toMatchObject({
      id: "'; DROP TABLE",
    });
    const long = "x".repeat(CtsLimits.maxEchoedIdChars + 50);
    expect(await route(req({ method: "GET", path: `/cts/sec-an/${long}` }), "sec-an")).toMatchObject({
      id: long.slice(0, CtsLimits.maxEchoedIdChars),
    });
  });

  test("through API Gateway: routed by path parameters (a custom domain's base path is ignored); a foreign id is echoed with no hits", async () => {
    // A state with no methods: a foreign id must be answered without reading any.
    const noState = () => ({ state: {}, now: () => 0 });
    const event = (id: string) =>
      ({
        httpMethod: "GET",
        path: `/threat/cts/sec-an/${id}`,
        resource: "/cts/{name}/{id}",
        pathParameters: { name: "sec-an", id },
        headers: {},
        body: null,
        isBase64Encoded: false,
      }) as unknown as APIGatewayProxyEvent;
    expect(fromApiGateway(event("abc")).path).toBe("/cts/sec-an/abc");
    const r = await serve(fromApiGateway(event("not-a-uuid")), "sec-an", noState as never);
    expect([r.statusCode, JSON.parse(r.body)]).toEqual([200, { id: "not-a-uuid", hits: [] }]);
  });

  test("POST with the artifact as JSON", async () => {
    const r = await route(req({ body: Buffer.from('{"type": "net.ip", "value": "127.0.0.1"}') }), "sec-an");
    expect(r).toEqual({ kind: "post", name: "sec-an", artifact: { type: "net.ip", value: "127.0.0.1" } });
  });

  test("POST as curl -d sends it (form encoding, JSON body)", async () => {
    const r = await route(
      req({
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: Buffer.from('{"type":"net.ip","value":"127.0.0.1"}'),
      }),
      "sec-an",
    );
    expect(r).toMatchObject({ kind: "post", artifact: { type: "net.ip", value: "127.0.0.1" } });
  });

  test("POST multipart: the JSON in part 0, file content after it (a field or a file part)", async () => {
    const file = Buffer.alloc(10_000, 7);
    for (const asFile of [false, true]) {
      const m = multipart('{"type":"file.content","value":"sample.bin"}', file, asFile);
      const r = await route(req({ headers: { "content-type": m.contentType }, body: m.body }), "sec-an");
      expect(r).toEqual({
        kind: "post",
        name: "sec-an",
        artifact: { type: "file.content", value: "sample.bin" },
        fileBytes: file.length,
      });
    }
  });

  test("bad input is a 4xx with a clear JSON error", async () => {
    const cases: Array<[Partial<CtsRequest>, number, string]> = [
      [{ body: Buffer.from("{not json") }, 400, "malformed-json"],
      [{ body: Buffer.from('{"type":"net.ip"}') }, 400, "invalid-artifact"],
      [{ body: Buffer.from('{"type":"NET IP; rm -rf /","value":"x"}') }, 400, "invalid-artifact"],
      [
        {
          body: Buffer.from(
            JSON.stringify({ type: "net.uri", value: "x".repeat(CtsLimits.maxValueChars + 1) }),
          ),
        },
        400,
        "invalid-artifact",
      ],
      [{ body: Buffer.alloc(CtsLimits.maxBodyBytes + 1, 32) }, 413, "body-too-large"],
      [
        { headers: { "content-type": "application/xml" }, body: Buffer.from("<a/>") },
        415,
        "unsupported-media-type",
      ],
      [{ headers: {}, body: Buffer.from("{}") }, 415, "unsupported-media-type"],
      [
        { headers: { "content-type": "multipart/form-data" }, body: Buffer.from("x") },
        400,
        "malformed-multipart",
      ],
      [{ method: "DELETE" }, 405, "method-not-allowed"],
      [{ path: "/cts/other" }, 404, "unknown-service"],
      [{ path: "/etc/passwd" }, 404, "not-found"],
    ];
    for (const [over, status, code] of cases) {
      const e = await refused(req(over));
      expect([e.status, e.code]).toEqual([status, code]);
      expect(e.body().error.message.length).toBeGreaterThan(0);
    }
    const empty = multipart("", undefined);
    expect(
      (await refused(req({ headers: { "content-type": empty.contentType }, body: empty.body }))).code,
    ).toBe("malformed-json");
    const big = multipart(
      JSON.stringify({ type: "net.ip", value: "127.0.0.1", pad: "x".repeat(CtsLimits.maxArtifactJsonBytes) }),
    );
    expect(
      (await refused(req({ headers: { "content-type": big.contentType }, body: big.body }))).status,
    ).toBe(413);
  });

  test("a truncated multipart POST with a file part 0 is a 400 and leaves no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const listen = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", listen);
    try {
      const m = multipart('{"type":"net.ip","value":"127.0.0.1"}', undefined, true);
      // Cut inside part 0: busboy fails the whole request and that part's stream together.
      const cut = m.body.subarray(0, m.body.indexOf("127.0.0.1"));
      const e = await refused(req({ headers: { "content-type": m.contentType }, body: cut }));
      expect([e.status, e.code]).toEqual([400, "malformed-multipart"]);
      // Rejections are reported after the microtask queue drains: give them a turn of the event loop.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", listen);
    }
  });

  test("parseArtifact keeps SOAR's extra fields", () => {
    expect(parseArtifact('{"type":"net.ip","value":"127.0.0.1","incident":7}')).toMatchObject({
      incident: 7,
    });
  });
});
