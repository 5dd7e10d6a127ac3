/**
 * Synthetic nmap XML for size and throughput tests (and bench/nmap.ts): realistic element shapes
 * (service, vulners table format, ssl-enum-ciphers, ssl-cert), sized by the arguments.
 */
export interface SyntheticOptions {
  readonly hosts: number;
  readonly portsPerHost: number;
  readonly cvesPerPort?: number;
  /** Every n-th port gets TLS scripts (0 = none). */
  readonly tlsEvery?: number;
}

const vulners = (n: number, port: number) => {
  if (!n) return "";
  const rows = Array.from(
    { length: n },
    (_, i) =>
      `<table>\n<elem key="id">CVE-20${10 + (i % 14)}-${port * 100 + i}</elem>\n<elem key="cvss">${((i * 7) % 100) / 10}</elem>\n<elem key="type">cve</elem>\n<elem key="is_exploit">${i % 5 === 0}</elem>\n</table>`,
  ).join("\n");
  return `<script id="vulners" output="&#xa;  cpe:/a:example:server:1.0: &#xa;    ${n} entries"><table key="cpe:/a:example:server:1.0">\n${rows}\n</table>\n</script>`;
};

const TLS = `<script id="ssl-enum-ciphers" output="&#xa;  TLSv1.2: ..."><table key="TLSv1.2">
<table key="ciphers">
<table><elem key="kex_info">secp256r1</elem><elem key="strength">A</elem><elem key="name">TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</elem></table>
<table><elem key="kex_info">rsa 2048</elem><elem key="strength">C</elem><elem key="name">TLS_RSA_WITH_3DES_EDE_CBC_SHA</elem></table>
</table>
<table key="compressors"><elem>NULL</elem></table>
<elem key="cipher preference">server</elem>
</table>
<elem key="least strength">C</elem>
</script><script id="ssl-cert" output="Subject: commonName=synthetic.example.test"><table key="subject"><elem key="commonName">synthetic.example.test</elem></table>
<table key="issuer"><elem key="commonName">Synthetic CA</elem></table>
<table key="pubkey"><elem key="type">rsa</elem><elem key="bits">2048</elem></table>
<elem key="sig_algo">sha256WithRSAEncryption</elem>
<table key="validity"><elem key="notBefore">2026-01-01T00:00:00</elem><elem key="notAfter">2027-01-01T00:00:00</elem></table>
<elem key="sha1">0011223344556677889900112233445566778899</elem>
</script>`;

function port(p: number, opts: SyntheticOptions): string {
  const tls = opts.tlsEvery ? p % opts.tlsEvery === 0 : false;
  return `<port protocol="tcp" portid="${p}"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="${tls ? "https" : "http"}" product="Example httpd" version="1.0"${tls ? ' tunnel="ssl"' : ""} method="probed" conf="10"><cpe>cpe:/a:example:server:1.0</cpe></service>${vulners(opts.cvesPerPort ?? 0, p)}${tls ? TLS : ""}<script id="http-server-header" output="Example/1.0"><elem>Example/1.0</elem>\n</script></port>\n`;
}

export function syntheticNmapXml(opts: SyntheticOptions): string {
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n<nmaprun scanner="nmap" args="nmap synthetic" start="1795430000" version="7.93" xmloutputversion="1.05">\n`,
  ];
  for (let h = 0; h < opts.hosts; h++) {
    const addr = `10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}`;
    parts.push(
      `<host starttime="1795430000" endtime="1795430100"><status state="up" reason="user-set" reason_ttl="0"/>\n<address addr="${addr}" addrtype="ipv4"/>\n<hostnames><hostname name="h${h}.example.test" type="PTR"/></hostnames>\n<ports>`,
    );
    for (let i = 0; i < opts.portsPerHost; i++) parts.push(port(1 + ((i * 37) % 65535), opts));
    parts.push(`</ports>\n<times srtt="100" rttvar="50" to="100000"/>\n</host>\n`);
  }
  parts.push(
    `<runstats><finished time="1795430100" elapsed="100" exit="success"/><hosts up="${opts.hosts}" down="0" total="${opts.hosts}"/></runstats>\n</nmaprun>\n`,
  );
  return parts.join("");
}
