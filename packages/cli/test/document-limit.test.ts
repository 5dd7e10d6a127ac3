import { NmapDocType, indexBase, writeAlias, type DocumentCollection } from "@sec-an/contracts";
import { planMessage } from "@sec-an/project-analytics-platform";
import {
  DOCUMENT_DATA_BYTES,
  HostStage,
  MAX_FIELD_CHARS,
  PARSER_VERSION,
  parseNmapResult,
} from "@sec-an/project-nmap";
import { ResultsContext, createParseTools } from "@sec-an/runtime";

/**
 * The parser and the ingestor meet on one document limit (contracts `Limits.documentBytes`): whatever
 * the nmap parser emits, however hostile the scanned host, the ingestor's size check accepts. (Here, in
 * the composition root, because projects never import each other.)
 */
const known = new Set(
  Object.values(NmapDocType).flatMap((t) =>
    (["snapshot", "history"] as const).map((f) => writeAlias(indexBase("nmap", t, f))),
  ),
);
const metadata = {
  scanId: "scan-1",
  task: "nmap",
  scanStartTime: "2026-11-23T10:00:00.000Z",
  scanEndTime: "2026-11-23T10:05:00.000Z",
  request: { target: "127.0.0.1", requestedAt: "2026-11-23T09:59:00.000Z" },
};
const ingestable = (m: DocumentCollection) =>
  planMessage(m, known, { now: Date.parse("2026-11-24T00:00:00Z") });

it("accepts every document the parser makes of a host with a multi-MB banner", () => {
  const big = "B".repeat(3 * 1024 * 1024);
  const xml = `<nmaprun><host><status state="up"/><address addr="127.0.0.9" addrtype="ipv4"/><hostnames><hostname name="${"h".repeat(100_000)}"/></hostnames><ports><port protocol="tcp" portid="21"><state state="open"/><service name="ftp" product="${big}" extrainfo="${big}"/><script id="banner" output="${big}"/></port></ports></host></nmaprun>`;
  const tools = createParseTools({
    task: "nmap",
    metadata,
    rawKey: "nmap/2026/11/23/scan-1.xml",
    parserVersion: PARSER_VERSION,
  });
  expect(
    parseNmapResult({ key: "nmap/2026/11/23/scan-1.xml", body: Buffer.from(xml), metadata }, tools)
      .failedHosts,
  ).toEqual([]);
  const msgs = tools.messages();
  expect(msgs.length).toBeGreaterThan(0);
  for (const m of msgs) expect(() => ingestable(m.message)).not.toThrow();
});

it("accepts a document at the parser's size limit, and one just over it once cut", () => {
  const parentKey = { address: "127.0.0.9", address_type: "ipv4" };
  const field = "x".repeat(MAX_FIELD_CHARS); // not cut on its own: only the document's size matters
  const rows = (n: number) => Array.from({ length: n }, () => field);
  const perRow = JSON.stringify(field).length + 1;
  const atLimit = Math.floor((DOCUMENT_DATA_BYTES - 200) / perRow);
  for (const n of [atLimit, atLimit + 1]) {
    const stage = new HostStage(parentKey);
    stage.postResults("data", { rows: rows(n) });
    const ctx = new ResultsContext({
      task: "nmap",
      parentKey,
      scanId: metadata.scanId,
      scanStartTime: metadata.scanStartTime,
      scanEndTime: metadata.scanEndTime,
      lineage: {
        scanId: "scan-1",
        task: "nmap",
        rawKey: "nmap/2026/11/23/scan-1.xml",
        parserVersion: PARSER_VERSION,
        rootScanId: "scan-1",
        depth: 0,
      },
    });
    stage.commit(ctx);
    const [m] = ctx.messages();
    const data = m.message.docs.data[0].data;
    if (n === atLimit) {
      expect(Buffer.byteLength(JSON.stringify(data))).toBeGreaterThan(DOCUMENT_DATA_BYTES - 10_000);
      expect(data.truncated_fields).toBeUndefined();
    } else expect(data.truncated_fields).toEqual(["rows"]);
    expect(() => ingestable(m.message)).not.toThrow();
  }
});
