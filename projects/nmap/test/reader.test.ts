import fc from "fast-check";
import { NmapXmlError, NmapXmlStream, readNmapXml } from "../src/parser";
import { fixture } from "./helpers";

/**
 * The streaming XML reader: any chunking of the same bytes reads the same run, and malformed XML fails
 * with the byte offset and the reason. (It was proven byte-identical, run and messages, to the
 * fast-xml-parser tree parser it replaced on every fixture and on synthetic, hostile and generated
 * reports before that parser was removed; the streamed parse is checked against the in-memory one in
 * stream.test.ts.)
 */
describe("streaming reader", () => {
  it("the same bytes fed in chunks of any size", () => {
    const xml = Buffer.from(fixture("loopback-http-tls.xml").toString().replace(/ssl/g, "sslé"));
    const whole = readNmapXml(xml);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (size) => {
        const hosts: unknown[] = [];
        const s = new NmapXmlStream((h) => hosts.push(h));
        for (let i = 0; i < xml.length; i += size) s.write(xml.subarray(i, i + size));
        expect({ ...s.end(), hosts }).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });
});

describe("values", () => {
  it("are trimmed of literal whitespace before entities are decoded, as the tree parser read them", () => {
    const run = readNmapXml(
      `<nmaprun><host><address addr=" 10.0.0.1 " addrtype="ipv4"/><ports><port protocol="tcp" portid="80"><state state="open"/>` +
        `<service name="http" product=" &#xa;Example&#9; " extrainfo="  "/><script id="x" output="&#xa;  a &amp; b&#xa;">` +
        `<elem key="k">  &lt;v&gt;&#32; </elem><elem key="e"> </elem></script></port></ports></host></nmaprun>`,
    );
    const [host] = run.hosts;
    expect(host.address).toBe("10.0.0.1");
    const [port] = host.ports;
    expect(port.service).toMatchObject({ product: "\nExample\t", extraInfo: undefined });
    expect(port.scripts[0]).toEqual({ id: "x", output: "\n  a & b\n", value: { k: "<v> ", e: "" } });
  });
});

describe("malformed XML", () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      "a mismatched close",
      `<nmaprun><host></hosts></nmaprun>`,
      /at byte 15: closing tag <\/hosts> does not match <host>/,
    ],
    ["a cut-short report", `<nmaprun><host><status state="up"/>`, /at byte 35: .*<host> is not closed/],
    [
      "an unquoted attribute",
      `<nmaprun><host a=1></host></nmaprun>`,
      /at byte 14: malformed attribute in <host>/,
    ],
    ["an undefined entity", `<nmaprun version="&nbsp;"></nmaprun>`, /at byte 8: undefined entity &nbsp;/],
    ["a bare ampersand in text", `<nmaprun><host><elem>a & b</elem></host></nmaprun>`, /bare "&"/],
    ["a second root", `<nmaprun></nmaprun><nmaprun></nmaprun>`, /at byte 19: a second root element/],
    ["text after the root", `<nmaprun></nmaprun>junk`, /at byte 19: text outside the root element/],
  ];
  it.each(cases)("%s fails with the byte offset and reason", (_, xml, reason) => {
    let err: unknown;
    try {
      readNmapXml(xml);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NmapXmlError);
    expect((err as Error).message).toMatch(reason);
    expect((err as NmapXmlError).offset).toEqual(expect.any(Number));
  });

  it("counts the offset in bytes, not characters", () => {
    expect(() => readNmapXml(`<nmaprun version="ééé"><host></x></host></nmaprun>`)).toThrow(/at byte 32:/);
  });
});
