import { Limits } from "@sec-an/contracts";
import { messageBytes } from "@sec-an/runtime";
import { parseDocs, rawResult } from "./helpers";
import { hostileNmapXml } from "./hostile";

/** One host's oversize banner must not cost the other hosts of the same result. */
function parse(xml: string) {
  const { run, messages } = parseDocs(rawResult(xml));
  const docs = messages.flatMap((m) =>
    Object.entries(m.message.docs).flatMap(([type, ds]) => ds.map((d) => ({ type, data: d.data }))),
  );
  return { run, messages, docs };
}

const bytes = (o: unknown) => Buffer.byteLength(JSON.stringify(o));

describe("hostile nmap XML: a multi-MB banner on one host among good ones", () => {
  const { run, messages, docs } = parse(hostileNmapXml({ bannerBytes: 3 * 1024 * 1024 }));

  it("keeps every host, the hostile one truncated with a marker", () => {
    const addresses = new Set(docs.map((d) => d.data.address));
    expect([...addresses].sort()).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.66"]);
    expect(run.failedHosts).toEqual([]);
    const ftp = docs.find(
      (d) => d.type === "ports" && d.data.address === "10.0.0.66" && d.data.port_id === 21,
    )!;
    expect(ftp.data.truncated_fields).toEqual(expect.arrayContaining(["product", "version", "extra_info"]));
    expect((ftp.data.product as string).length).toBeLessThan(10_000);
    const banner = (ftp.data.scripts as { id: string; output: string; output_truncated?: boolean }[])[0];
    expect(banner.output_truncated).toBe(true);
    // Key fields a host controls (a cipher name, an OS name) are cut too, so the host still has its documents.
    expect(docs.some((d) => d.type === "ssl_ciphers" && d.data.address === "10.0.0.66")).toBe(true);
    expect(docs.some((d) => d.type === "os" && d.data.address === "10.0.0.66")).toBe(true);
  });

  it("emits no document the ingestor's limit would refuse, and no message over the budget", () => {
    for (const d of docs)
      expect(bytes(d.data) + Limits.ingestFieldsBytes).toBeLessThanOrEqual(Limits.documentBytes);
    for (const m of messages)
      expect(messageBytes(m.body, m.attributes)).toBeLessThanOrEqual(Limits.publishBudgetBytes);
  });

  it("leaves the good hosts' documents untouched", () => {
    const good = docs.filter((d) => d.data.address !== "10.0.0.66");
    expect(good.length).toBe(6); // a ports and a data document each
    for (const d of good) expect(d.data.truncated_fields).toBeUndefined();
  });
});

describe("a host whose documents cannot be built at all", () => {
  // 2 000 reverse-DNS names of 250 characters: the data document cannot fit however its strings are cut.
  const { run, docs } = parse(hostileNmapXml({ bannerBytes: 100, hostnames: 2000 }));

  it("is reported with its reason, and the other hosts are kept whole", () => {
    expect(run.failedHosts).toEqual([
      { address: "10.0.0.66", reason: expect.stringMatching(/data document .* bytes/) },
    ]);
    expect(new Set(docs.map((d) => d.data.address))).toEqual(new Set(["10.0.0.1", "10.0.0.2", "10.0.0.3"]));
    expect(run.hosts).toHaveLength(4);
  });
});
