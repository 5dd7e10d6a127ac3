import { createParseTools } from "@sec-an/runtime";
import {
  DOC_FIELD_MAPPINGS,
  renderTemplate,
  type DocumentCollection,
  type SslScanResult,
} from "@sec-an/contracts";
import { PARSER_VERSION, parse } from "../src/parser/parse";
import { sslIndexes, sslViews } from "../src/views";
import { scanTls } from "../src/scanner/scan";
import { issue } from "./pki";
import { startTlsServer } from "./servers";
import { portEvent } from "./fixtures";

type Props = Record<string, { type: string }>;
const propsOf = (docType: string): Props =>
  (sslIndexes().find((i) => i.docType === docType)!.mappings as { properties: Props }).properties;

describe("ssl views", () => {
  it("maps every field the parser writes (subject_/issuer_ attributes through the keyword template)", async () => {
    const ca = issue({ cn: "Views Root", org: "Views CA", isCa: true });
    const server = await startTlsServer({
      cert: issue({ cn: "v.test", dnsNames: ["v.test"], issuer: ca }),
      chain: [ca],
    });
    let result: SslScanResult;
    try {
      result = await scanTls(portEvent(server.port, ["v.test"]), { timeoutMs: 3000, extraCAs: [ca.certPem] });
    } finally {
      await server.close();
    }
    const raw = {
      key: "ssl/x.json",
      body: Buffer.from(JSON.stringify(result)),
      metadata: {
        scanId: "s",
        task: "ssl",
        scanStartTime: result.scanTime,
        scanEndTime: result.scanTime,
        request: {},
      },
    };
    const tools = createParseTools({
      task: "ssl",
      metadata: raw.metadata,
      rawKey: raw.key,
      parserVersion: PARSER_VERSION,
    });
    await parse(raw, tools);
    const collection = tools.messages()[0].message as DocumentCollection;
    expect(Object.keys(collection.docs).sort()).toEqual(["certificate", "endpoint", "protocol"]);
    for (const [docType, docs] of Object.entries(collection.docs)) {
      const mapped = new Set([...Object.keys(propsOf(docType)), ...Object.keys(DOC_FIELD_MAPPINGS)]);
      const fields = new Set(docs.flatMap((d) => Object.keys(d.data)));
      const unmapped = [...fields].filter((f) => !mapped.has(f) && !/^(subject|issuer)_[a-z0-9_]+$/.test(f));
      expect({ docType, unmapped }).toEqual({ docType, unmapped: [] });
    }
  });

  it("has unique titles and logical names, and orders every object after what it references", () => {
    const views = sslViews();
    const titles = views.map((v) => v.title);
    expect(new Set(titles).size).toBe(titles.length);
    expect(new Set(views.map((v) => v.logicalName)).size).toBe(views.length);
    const seen = new Set(sslIndexes().map((i) => i.base));
    for (const v of views) {
      for (const d of v.dependsOn) expect(seen.has(d) ? d : `${v.logicalName} needs ${d} first`).toBe(d);
      seen.add(v.logicalName);
    }
  });

  it("renders every template, and its embedded JSON parses", () => {
    for (const v of sslViews()) {
      const r = renderTemplate(v.template, { ...v.substitutions, object_title: v.title });
      const a = r.attributes as Record<string, unknown>;
      expect(a.title).toBe(v.title);
      for (const k of ["visState", "panelsJSON", "optionsJSON"])
        if (a[k] !== undefined) expect(() => JSON.parse(a[k] as string)).not.toThrow();
      JSON.parse((a.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON);
    }
  });
  // Fields against mappings, references, ids and titles: test/views.test.ts checks every project's views.
});
