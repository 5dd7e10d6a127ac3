import { NmapDocType, type ResultsContextApi } from "@sec-an/contracts";
import { createParseTools } from "@sec-an/runtime";
import {
  HostStage,
  NmapXmlError,
  PARSER_VERSION,
  oldestProtocol,
  parentKeyOf,
  postHost,
  readNmapXml,
  severityLabel,
  weakestGrade,
} from "../src/parser";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fixture, goldenOf, parseDocs, rawResult, type Doc } from "./helpers";
import { syntheticNmapXml } from "./synthetic";

const one = (docs: Doc[] | undefined, pred: (d: Doc) => boolean): Doc => {
  const found = (docs ?? []).filter(pred);
  expect(found).toHaveLength(1);
  return found[0];
};

describe("nmap parser on a real loopback scan (HTTP + TLS)", () => {
  const { byHost, messages } = parseDocs(rawResult(fixture("loopback-http-tls.xml")));
  const host = byHost.get("127.0.0.1")!;

  it("makes one collection for the host, keyed by address and address type", () => {
    expect([...byHost.keys()]).toEqual(["127.0.0.1"]);
    expect(messages).toHaveLength(1);
    expect(messages[0].message.lineage.parserVersion).toBe(PARSER_VERSION);
    for (const docs of Object.values(host))
      for (const d of docs) expect(d).toMatchObject({ address: "127.0.0.1", address_type: "ipv4" });
  });

  it("posts one ports document per port, with its script output (not lost to a shallow copy)", () => {
    expect(host.ports.map((p) => p.port_id).sort()).toEqual([18080, 18443, 18444]);
    const http = one(host.ports, (p) => p.port_id === 18080);
    expect(http).toMatchObject({
      port_str: "18080",
      state: "open",
      protocol: "tcp",
      service: "http",
      product: "SimpleHTTPServer",
    });
    expect(http.http_server_header).toEqual(["SimpleHTTP/0.6 Python/3.11.7"]);
    const tls = one(host.ports, (p) => p.port_id === 18443);
    expect(tls).toMatchObject({
      tunnel: "ssl",
      ssl_protocols: ["TLSv1.2", "TLSv1.3"],
      ssl_least_strength: "A",
      ssl_cert_expiry_days_at_scan: 29,
    });
    expect((tls.scripts as Doc[]).map((s) => s.id)).toEqual([
      "ssl-enum-ciphers",
      "http-trane-info",
      "ssl-cert",
    ]);
    expect(one(host.ports, (p) => p.port_id === 18444).state).toBe("closed");
  });

  it("posts ssl_protos with cipher preference and ssl_ciphers with per-cipher strength", () => {
    const tls12 = one(host.ssl_protos, (d) => d.ssl_protocol === "TLSv1.2");
    expect(tls12).toMatchObject({
      port_id: 18443,
      cipher_preference: "client",
      cipher_count: 20,
      compressors: ["NULL"],
      least_strength: "A",
    });
    expect(host.ssl_ciphers).toHaveLength(23);
    expect(
      one(
        host.ssl_ciphers,
        (d) => d.cipher_name === "TLS_AKE_WITH_AES_256_GCM_SHA384" && d.ssl_protocol === "TLSv1.3",
      ),
    ).toMatchObject({
      kex_info: "ecdh_x25519",
      strength: "A",
    });
  });

  it("posts ssl_cert with expiry measured from the scan's end in the XML", () => {
    const cert = one(host.ssl_cert, () => true);
    expect(cert).toMatchObject({
      port_id: 18443,
      subject_common_name: "test.example",
      self_signed: true,
      pubkey_type: "rsa",
      pubkey_bits: 2048,
      validity: { notBefore: "2026-11-23T11:37:29.000Z", notAfter: "2026-12-23T11:37:29.000Z" },
      expiry_days_at_scan: 29,
      expired_at_scan: false,
    });
  });

  it("summarises onto the data document", () => {
    const data = one(host.data, () => true);
    expect(data).toMatchObject({
      status: "up",
      host_names: [{ host_name: "localhost", host_name_type: "PTR" }],
      host_scan_start_time: "2026-11-23T11:37:30.000Z",
      open_port_count: 2,
      open_ports: ["18080/tcp", "18443/tcp"],
      summary_lowest_ssl_proto: "TLSv1.2",
      summary_lowest_ssl_strength: "A",
      summary_soonest_cert_expiry_days: 29,
    });
    expect(data).not.toHaveProperty("summary_highest_cve_severity");
  });
});

describe("a scan requested by host name", () => {
  // The entrypoint resolves names and runs nmap with -n, so the report has no `user` host name.
  const withName = (target: string) =>
    parseDocs(
      rawResult(fixture("loopback-http-tls.xml"), {
        request: { target, requestedAt: "2026-11-23T09:59:00.000Z" },
      }),
    ).byHost.get("127.0.0.1")!.data[0].host_names;

  it("keeps the requested name as the user host name, beside nmap's own", () => {
    expect(withName("localhost")).toEqual([
      { host_name: "localhost", host_name_type: "user" },
      { host_name: "localhost", host_name_type: "PTR" },
    ]);
  });

  it("adds nothing for an address request or a value that is not a valid host name", () => {
    const ptrOnly = [{ host_name: "localhost", host_name_type: "PTR" }];
    expect(withName("127.0.0.1")).toEqual(ptrOnly);
    expect(withName("127.0.0.1-3")).toEqual(ptrOnly);
  });
});

describe("vulners, both formats", () => {
  const { byHost } = parseDocs(rawResult(fixture("vulners-formats.xml")));
  const host = byHost.get("198.51.100.7")!;

  it("reads the old text-elem format", () => {
    const ssh = host.cves.filter((c) => c.port_id === 22);
    expect(ssh.map((c) => c.cve_code).sort()).toEqual(["CVE-2017-15906", "CVE-2018-15919", "EDB-ID:45233"]);
    expect(one(ssh, (c) => c.cve_code === "EDB-ID:45233")).toMatchObject({
      cve_severity: 7.8,
      cve_severity_label: "high",
      is_exploit: true,
      cpe: "cpe:/a:openbsd:openssh:7.4",
    });
    expect(one(ssh, (c) => c.cve_code === "CVE-2018-15919")).toMatchObject({
      cve_severity: 5,
      vuln_type: "cve",
      is_exploit: false,
      url: "https://vulners.com/cve/CVE-2018-15919",
    });
  });

  it("reads the newer table format, keeping extra fields and skipping rows without an id", () => {
    const http = host.cves.filter((c) => c.port_id === 80);
    expect(http.map((c) => c.cve_code).sort()).toEqual(["CVE-2019-0211", "CVE-2021-44790"]);
    expect(one(http, (c) => c.cve_code === "CVE-2021-44790")).toMatchObject({
      cve_severity: 9.8,
      cve_severity_label: "critical",
      vuln_type: "cve",
      is_exploit: true,
      epss: "0.97",
    });
  });

  it("summarises the highest severity numerically, with a label", () => {
    const data = one(host.data, () => true);
    expect(data).toMatchObject({
      summary_highest_cve_severity: 9.8,
      summary_highest_cve_severity_label: "critical",
      summary_cve_count: 5,
    });
    expect(one(host.ports, (p) => p.port_id === 22).highest_cve_severity).toBe(7.8);
    expect(one(host.ports, (p) => p.port_id === 80).http_server_header).toEqual(["Apache/2.4.29 (Ubuntu)"]);
  });
});

describe("OS matches, down hosts, missing timestamps, unknown scripts, weak TLS", () => {
  const { byHost, run } = parseDocs(rawResult(fixture("os-down-unknown.xml")));

  it("skips entries without an IP address, keeps down hosts and IPv6 hosts", () => {
    expect([...byHost.keys()].sort()).toEqual(["2001:db8::5", "203.0.113.1", "203.0.113.2"]);
    expect(run.hosts).toHaveLength(3);
    const down = byHost.get("203.0.113.2")!;
    expect(Object.keys(down)).toEqual(["data"]);
    expect(down.data[0]).toMatchObject({ status: "down", status_reason: "no-response", open_port_count: 0 });
    const v6 = byHost.get("2001:db8::5")!;
    expect(v6.data[0]).toMatchObject({ address_type: "ipv6", status: "up", open_port_count: 1 });
    expect(v6.data[0]).not.toHaveProperty("host_scan_start_time");
  });

  it("posts os documents and the most likely OS by accuracy", () => {
    const host = byHost.get("203.0.113.1")!;
    expect(host.os.map((o) => o.os_name)).toEqual(["Linux 4.15 - 5.8", "Linux 5.0 - 5.4"]);
    expect(one(host.os, (o) => o.os_name === "Linux 4.15 - 5.8").os_classes).toEqual([
      {
        os_class_type: "general purpose",
        os_vendor: "Linux",
        os_family: "Linux",
        os_gen: "4.X",
        os_accuracy: 96,
        os_cpes: ["cpe:/o:linux:linux_kernel:4"],
      },
      {
        os_class_type: "general purpose",
        os_vendor: "Linux",
        os_family: "Linux",
        os_gen: "5.X",
        os_accuracy: 96,
        os_cpes: ["cpe:/o:linux:linux_kernel:5"],
      },
    ]);
    expect(host.data[0]).toMatchObject({
      summary_most_likely_os: "Linux 5.0 - 5.4",
      summary_most_likely_os_accuracy: 98,
      uptime_seconds: 86400,
      mac_address: "00:11:22:33:44:55",
    });
  });

  it("reports the WEAKEST grade and the oldest protocol", () => {
    const host = byHost.get("203.0.113.1")!;
    expect(host.data[0]).toMatchObject({
      summary_lowest_ssl_strength: "F",
      summary_lowest_ssl_proto: "SSLv3",
    });
    expect(one(host.ssl_protos, (p) => p.ssl_protocol === "SSLv3")).toMatchObject({
      least_strength: "F",
      cipher_preference: "server",
      warnings: ["Broken cipher RC4 is deprecated by RFC 7465", "CBC-mode cipher in SSLv3 (CVE-2014-3566)"],
    });
  });

  it("measures certificate expiry at scan time: already expired when scanned, whenever parsed", () => {
    const cert = byHost.get("203.0.113.1")!.ssl_cert[0];
    // notAfter 2023-11-04T22:13:20Z, scan ended 2023-11-14T22:16:40Z: 10 days (and a bit) past.
    expect(cert).toMatchObject({
      expiry_days_at_scan: -11,
      expired_at_scan: true,
      self_signed: false,
      subject_alt_names: ["DNS:old.example.test", "DNS:www.old.example.test"],
    });
    expect(cert.subject).toEqual({ commonName: "old.example.test", organizationName: "Example Ltd" });
  });

  it("keeps unknown port and host scripts raw, never fatal", () => {
    const host = byHost.get("203.0.113.1")!;
    const p443 = one(host.ports, (p) => p.port_id === 443);
    expect(p443.scripts).toContainEqual({ id: "x-custom-probe", output: "something <odd> & unparsed" });
    expect(host.data[0].host_scripts).toEqual([{ id: "smb-os-discovery", output: "OS: Windows?" }]);
    expect(one(host.ports, (p) => p.port_id === 161)).toMatchObject({
      protocol: "udp",
      state: "open|filtered",
    });
  });
});

describe("reports without timestamps", () => {
  it("falls back to the raw result's metadata for the scan end", () => {
    const { byHost, run } = parseDocs(
      rawResult(fixture("no-runstats.xml"), { scanEndTime: "2026-11-23T00:00:00.000Z" }),
    );
    expect(run.endTime).toBeUndefined();
    const cert = byHost.get("192.0.2.44")!.ssl_cert[0];
    expect(cert).toMatchObject({ expiry_days_at_scan: 10, expired_at_scan: false, self_signed: true });
  });

  it("truncates very long script output on the ports document", () => {
    const long = "x".repeat(20_000);
    const xml = `<nmaprun><host><status state="up"/><address addr="192.0.2.9" addrtype="ipv4"/><ports><port protocol="tcp" portid="80"><state state="open"/><script id="big" output="${long}"/></port></ports></host></nmaprun>`;
    const { byHost } = parseDocs(rawResult(xml));
    const script = (byHost.get("192.0.2.9")!.ports[0].scripts as Doc[])[0];
    expect((script.output as string).length).toBe(8192);
    expect(script.output_truncated).toBe(true);
  });
});

describe("errors and helpers", () => {
  it("rejects a file that is not an nmap report", () => {
    expect(() => readNmapXml("<html><body>hi</body></html>")).toThrow(NmapXmlError);
    expect(() => readNmapXml("")).toThrow(/no <nmaprun>/);
  });

  it("orders grades worst-first and protocols oldest-first", () => {
    expect(weakestGrade(["A", "C", "B"])).toBe("C");
    expect(weakestGrade(["A", "F"])).toBe("F");
    expect(weakestGrade(["unknown", undefined])).toBeUndefined();
    expect(oldestProtocol(["TLSv1.3", "TLSv1.0", "TLSv1.2"])).toBe("TLSv1.0");
    expect(severityLabel(0)).toBe("none");
    expect(severityLabel(3.9)).toBe("low");
    expect(severityLabel(6.9)).toBe("medium");
    expect(severityLabel(7)).toBe("high");
  });

  it("names every posted doc type from the contracts list", () => {
    const { byHost } = parseDocs(rawResult(fixture("os-down-unknown.xml")));
    const types = new Set([...byHost.values()].flatMap((h) => Object.keys(h)));
    for (const t of types) expect(Object.values(NmapDocType)).toContain(t);
  });
});

describe("golden documents (ids and message bodies byte-identical to the parser before its one-pass rewrite)", () => {
  // Generated once from the tree-building parser, before the hot path was rewritten; regenerate only
  // when a document's shape changes on purpose (and bump PARSER_VERSION).
  const golden = JSON.parse(readFileSync(join(__dirname, "golden-ids.json"), "utf8")) as Record<
    string,
    { ids: string[]; bodiesSha256: string }
  >;
  it.each(Object.keys(golden))("%s", (name) => {
    expect(goldenOf(name)).toEqual(golden[name]);
  });
});

describe("a staged host committed onto any results context", () => {
  it("posts the same documents through push/post/pop as through the runtime's postOwned", () => {
    const raw = rawResult(syntheticNmapXml({ hosts: 3, portsPerHost: 3, cvesPerPort: 2, tlsEvery: 2 }));
    const bodies = (wrap: boolean) => {
      const tools = createParseTools({
        task: "nmap",
        metadata: raw.metadata,
        rawKey: raw.key,
        parserVersion: PARSER_VERSION,
        parsedAt: new Date("2026-11-23T11:00:00.000Z"),
      });
      for (const host of readNmapXml(raw.body).hosts) {
        const stage = new HostStage(parentKeyOf(host));
        postHost(stage, host, new Date("2026-11-23T10:05:00.000Z"));
        const ctx = tools.results(parentKeyOf(host));
        // Only the ResultsContextApi methods: no postOwned.
        const api: ResultsContextApi = {
          pushContext: (f) => ctx.pushContext(f),
          popContext: () => ctx.popContext(),
          postResults: (t, d, o) => ctx.postResults(t, d, o),
          addSummary: (n, v) => ctx.addSummary(n, v),
          addSummaries: (v) => ctx.addSummaries(v),
        };
        stage.commit(wrap ? api : ctx);
      }
      return tools.messages().map((m) => m.body);
    };
    expect(bodies(true)).toEqual(bodies(false));
  });
});
