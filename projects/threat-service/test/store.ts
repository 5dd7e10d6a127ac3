import { Client } from "@opensearch-project/opensearch";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigDocType, DocFields, NmapDocType, SslDocType, withDocFieldMappings } from "@sec-an/contracts";
import { openSearchForTests, type OpenSearchUnderTest } from "@sec-an/testing";
import { INDEX } from "../src/searchers/facts";
import { OpenSearchSnapshots } from "../src/adapters";

/**
 * A project's index mappings by document type, as its views declare them to the ingestor; found through
 * its workspace package (its entry is `src/index.ts`), so a copy of this project alone still finds them.
 */
const projectMappings = (project: string): Record<string, Record<string, unknown>> =>
  JSON.parse(
    readFileSync(
      join(dirname(require.resolve(`@sec-an/project-${project}`)), "../views/mappings.json"),
      "utf8",
    ),
  );

/** Each index the searchers read, with its producing project's real mappings (so a field of the wrong type shows). */
export const SNAPSHOT_MAPPINGS: Record<keyof typeof INDEX, Record<string, unknown>> = {
  hosts: withDocFieldMappings(projectMappings("nmap")[NmapDocType.data]),
  ports: withDocFieldMappings(projectMappings("nmap")[NmapDocType.ports]),
  cves: withDocFieldMappings(projectMappings("nmap")[NmapDocType.cves]),
  tls: withDocFieldMappings(projectMappings("ssl")[SslDocType.endpoint]),
  config: withDocFieldMappings(projectMappings("config-scanner")[ConfigDocType.findings]),
};

/**
 * Top-level fields of `doc` its mappings do not declare, where they declare no dynamic templates: a
 * fixture field the producer never writes would make a searcher look right against data that never exists.
 */
function undeclared(mappings: Record<string, unknown> | undefined, doc: Record<string, unknown>): string[] {
  if (!mappings || mappings.dynamic_templates) return [];
  const props = (mappings.properties ?? {}) as Record<string, unknown>;
  return Object.keys(doc).filter((k) => !(k in props));
}

/**
 * Snapshot indices as the ingestor leaves them (a physical index behind its `.read` alias), on the
 * OpenSearch double (or the cluster at OPENSEARCH_URL), with documents shaped like the nmap and ssl
 * parsers' output.
 */
export async function snapshotStore() {
  const os: OpenSearchUnderTest = await openSearchForTests();
  const client = new Client({ node: os.url });
  // Read aliases are fixed names: on a shared real cluster they would collide, so the prefix goes on the physical index.
  for (const [key, alias] of Object.entries(INDEX))
    await client.indices.create({
      index: `${os.prefix}-${alias.replace(".read", "")}.v1`,
      body: { aliases: { [alias]: {} }, mappings: SNAPSHOT_MAPPINGS[key as keyof typeof INDEX] },
    });
  const created = new Set<string>(Object.values(INDEX));
  const mappingsOf = new Map(
    Object.entries(INDEX).map(([key, alias]) => [
      alias as string,
      SNAPSHOT_MAPPINGS[key as keyof typeof INDEX],
    ]),
  );
  let n = 0;
  /** Indexes one document through `alias`, creating its index on first use (a searcher's own indices). */
  const put = async (alias: string, doc: Record<string, unknown>) => {
    const index = `${os.prefix}-${alias.replace(".read", "")}.v1`;
    if (!created.has(alias)) {
      await client.indices.create({ index, body: { aliases: { [alias]: {} } } });
      created.add(alias);
    }
    const unknown = undeclared(mappingsOf.get(alias), doc);
    if (unknown.length) throw new Error(`${alias} does not map ${unknown.join(", ")}`);
    const r = await client.bulk({ refresh: true, body: [{ index: { _index: index, _id: `d${++n}` } }, doc] });
    // A document its index's mappings refuse is a broken fixture: fail here, not as a missing hit later.
    if (r.body.errors) throw new Error(`${alias} refused a document: ${JSON.stringify(r.body.items)}`);
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
    summary_highest_cve_severity: 9.8,
    summary_highest_cve_severity_label: "critical",
    summary_cve_count: 2,
    summary_lowest_ssl_proto: "TLSv1",
    summary_most_likely_os: "Linux 5.X",
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
