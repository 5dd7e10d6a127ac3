import { Client } from "@opensearch-project/opensearch";
import { DocFields } from "@sec-an/contracts";
import { openSearchForTests, type OpenSearchUnderTest } from "@sec-an/testing";
import { INDEX } from "../src/searchers/facts";
import { OpenSearchSnapshots } from "../src/adapters";

/**
 * Snapshot indices as the ingestor leaves them (a physical index behind its `.read` alias), on the
 * OpenSearch double (or the cluster at OPENSEARCH_URL), with documents shaped like the nmap and ssl
 * parsers' output.
 */
export async function snapshotStore() {
  const os: OpenSearchUnderTest = await openSearchForTests();
  const client = new Client({ node: os.url });
  // Read aliases are fixed names: on a shared real cluster they would collide, so the prefix goes on the physical index.
  for (const alias of Object.values(INDEX))
    await client.indices.create({
      index: `${os.prefix}-${alias.replace(".read", "")}.v1`,
      body: { aliases: { [alias]: {} } },
    });
  const created = new Set<string>(Object.values(INDEX));
  let n = 0;
  /** Indexes one document through `alias`, creating its index on first use (a searcher's own indices). */
  const put = async (alias: string, doc: Record<string, unknown>) => {
    const index = `${os.prefix}-${alias.replace(".read", "")}.v1`;
    if (!created.has(alias)) {
      await client.indices.create({ index, body: { aliases: { [alias]: {} } } });
      created.add(alias);
    }
    await client.bulk({ refresh: true, body: [{ index: { _index: index, _id: `d${++n}` } }, doc] });
  };
  return { os, client, reader: new OpenSearchSnapshots(client as never), put, close: () => os.close() };
}

/** One scanned host: its nmap data, ports and CVE documents and a TLS endpoint, all from a scan ending at `scanEnd`. */
export async function scannedHost(
  put: (alias: string, doc: Record<string, unknown>) => Promise<void>,
  address: string,
  scanEnd: Date,
) {
  const t = { address, address_type: "ipv4", [DocFields.scanEndTime]: scanEnd.toISOString() };
  await put(INDEX.hosts, {
    ...t,
    status: "up",
    open_port_count: 2,
    highest_cve_severity: 9.8,
    highest_cve_severity_label: "critical",
    cve_count: 2,
    lowest_ssl_proto: "TLSv1",
    most_likely_os: "Linux 5.X",
    host_names: [{ host_name: "app.sec-an.test", host_name_type: "user" }],
  });
  await put(INDEX.ports, {
    ...t,
    port_id: 22,
    protocol: "tcp",
    state: "open",
    service: "ssh",
    product: "OpenSSH",
    version: "8.9p1",
  });
  await put(INDEX.ports, {
    ...t,
    port_id: 443,
    protocol: "tcp",
    state: "open",
    service: "https",
    product: "nginx",
    tunnel: "ssl",
  });
  await put(INDEX.ports, { ...t, port_id: 25, protocol: "tcp", state: "closed", service: "smtp" });
  await put(INDEX.cves, {
    ...t,
    port_id: 22,
    cve_code: "CVE-2023-38408",
    cve_severity: 9.8,
    cve_severity_label: "critical",
  });
  await put(INDEX.cves, {
    ...t,
    port_id: 443,
    cve_code: "CVE-2021-23017",
    cve_severity: 7.7,
    cve_severity_label: "high",
    is_exploit: true,
  });
  await put(INDEX.tls, {
    ...t,
    port: 443,
    hostname: "app.sec-an.test",
    weakest_protocol: "TLSv1",
    strongest_protocol: "TLSv1.3",
    chain_status: "self-signed",
    leaf_subject_cn: "app.sec-an.test",
    leaf_issuer_cn: "app.sec-an.test",
    not_after: "2026-01-01T00:00:00.000Z",
    days_to_expiry: -30,
    hostname_mismatch: false,
    key_bits: null,
  });
}
