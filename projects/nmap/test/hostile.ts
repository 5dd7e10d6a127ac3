/**
 * nmap XML a hostile scanned host can cause: everything a host controls (service banner fields, script
 * output, reverse-DNS names) is sized by the host, not by us.
 */
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

function good(addr: string): string {
  return `<host starttime="1795430000" endtime="1795430100"><status state="up" reason="user-set"/>
<address addr="${addr}" addrtype="ipv4"/><hostnames><hostname name="ok.example.test" type="PTR"/></hostnames>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack"/><service name="http" product="Example httpd" version="1.0" method="probed" conf="10"/></port></ports></host>\n`;
}

export interface HostileOptions {
  /** Size of the one hostile host's banner fields and script output. */
  readonly bannerBytes: number;
  /** Reverse-DNS names on the hostile host (each 250 characters). */
  readonly hostnames?: number;
}

/** Three good hosts around one hostile host (10.0.0.66). */
export function hostileNmapXml(opts: HostileOptions): string {
  const big = esc("A".repeat(opts.bannerBytes));
  const names = Array.from(
    { length: opts.hostnames ?? 1 },
    (_, i) => `<hostname name="${`${i}-`.padEnd(240, "x")}.test" type="PTR"/>`,
  ).join("");
  const hostile = `<host starttime="1795430000" endtime="1795430100"><status state="up" reason="user-set"/>
<address addr="10.0.0.66" addrtype="ipv4"/><hostnames>${names}</hostnames>
<ports><port protocol="tcp" portid="21"><state state="open" reason="syn-ack"/><service name="ftp" product="${big}" version="${big}" extrainfo="${big}" method="probed" conf="10"/><script id="banner" output="${big}"/></port>
<port protocol="tcp" portid="443"><state state="open" reason="syn-ack"/><service name="https" tunnel="ssl"/><script id="ssl-enum-ciphers" output="x"><table key="TLSv1.2"><table key="ciphers"><table><elem key="name">${big}</elem><elem key="strength">A</elem></table></table></table></script></port></ports>
<os><osmatch name="${big}" accuracy="99"/></os></host>\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<nmaprun scanner="nmap" args="nmap hostile" start="1795430000" version="7.93" xmloutputversion="1.05">\n${good("10.0.0.1")}${hostile}${good("10.0.0.2")}${good("10.0.0.3")}<runstats><finished time="1795430100" elapsed="100" exit="success"/></runstats>\n</nmaprun>\n`;
}
