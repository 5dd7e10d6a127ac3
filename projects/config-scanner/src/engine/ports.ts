import type { Severity } from "./types";

/** One "open to the world" check: the service, and the ports it listens on per protocol. */
export interface PortCheck {
  name: string;
  service: string;
  severity: Severity;
  tcp?: readonly number[];
  udp?: readonly number[];
  /** CloudSploit's spelling where it differs by more than letter case. */
  alias?: string;
}

/**
 * The one table the "port open to the world" family is generated from. Names follow CloudSploit's
 * `openXxx` plugins (matched case-insensitively, `alias` where the spelling differs).
 */
export const PORT_CHECKS: readonly PortCheck[] = [
  { name: "openSsh", service: "SSH", severity: "high", tcp: [22] },
  { name: "openRdp", service: "RDP", severity: "high", tcp: [3389], udp: [3389] },
  { name: "openTelnet", service: "Telnet", severity: "high", tcp: [23] },
  { name: "openFtp", service: "FTP", severity: "high", tcp: [20, 21] },
  { name: "openSmbOverTcp", service: "SMB", severity: "high", tcp: [445], alias: "openSMBoTCP" },
  { name: "openCifs", service: "CIFS", severity: "high", udp: [445] },
  { name: "openNetBios", service: "NetBIOS", severity: "high", tcp: [139], udp: [137, 138] },
  { name: "openRpc", service: "RPC", severity: "high", tcp: [135] },
  { name: "openMySql", service: "MySQL", severity: "high", tcp: [3306] },
  { name: "openPostgreSql", service: "PostgreSQL", severity: "high", tcp: [5432] },
  { name: "openOracle", service: "Oracle", severity: "high", tcp: [1521] },
  {
    name: "openOracleAutoDataWarehouse",
    service: "Oracle Autonomous Data Warehouse",
    severity: "high",
    tcp: [1522],
  },
  { name: "openSqlServer", service: "SQL Server", severity: "high", tcp: [1433], udp: [1434] },
  { name: "openMongoDb", service: "MongoDB", severity: "high", tcp: [27017, 27018, 27019] },
  { name: "openRedis", service: "Redis", severity: "high", tcp: [6379] },
  { name: "openMemcached", service: "Memcached", severity: "high", tcp: [11211], udp: [11211] },
  { name: "openElasticsearch", service: "Elasticsearch", severity: "high", tcp: [9200, 9300] },
  { name: "openKibana", service: "Kibana", severity: "high", tcp: [5601] },
  { name: "openCassandraClient", service: "Cassandra client", severity: "high", tcp: [9042] },
  { name: "openCassandraInternode", service: "Cassandra internode", severity: "high", tcp: [7000] },
  { name: "openCassandraMonitoring", service: "Cassandra monitoring (JMX)", severity: "high", tcp: [7199] },
  { name: "openCassandraThrift", service: "Cassandra Thrift", severity: "high", tcp: [9160] },
  { name: "openVncClient", service: "VNC client", severity: "high", tcp: [5500] },
  { name: "openVncServer", service: "VNC server", severity: "high", tcp: [5900] },
  { name: "openDns", service: "DNS", severity: "medium", tcp: [53], udp: [53] },
  { name: "openSmtp", service: "SMTP", severity: "medium", tcp: [25] },
  { name: "openSnmp", service: "SNMP", severity: "high", udp: [161] },
  { name: "openLdap", service: "LDAP", severity: "high", tcp: [389], udp: [389] },
  { name: "openLdaps", service: "LDAPS", severity: "high", tcp: [636] },
  { name: "openDocker", service: "Docker daemon", severity: "critical", tcp: [2375] },
  { name: "openHadoopNameNode", service: "Hadoop NameNode", severity: "high", tcp: [8020] },
  { name: "openHadoopNameNodeWebUi", service: "Hadoop NameNode web UI", severity: "high", tcp: [50070] },
  { name: "openSalt", service: "SaltStack", severity: "high", tcp: [4505, 4506] },
];

/** "tcp/22, udp/3389" */
export function describePorts(check: Pick<PortCheck, "tcp" | "udp">): string {
  return [...(check.tcp ?? []).map((p) => `tcp/${p}`), ...(check.udp ?? []).map((p) => `udp/${p}`)].join(
    ", ",
  );
}
