// Contracts specific to the nmap area (owned by that area; imported by its handlers and programs, and by
// secondary scanners that subscribe to the port-detected cascade).
import { Attr } from "./names";

export const NMAP_TASK = "nmap";

/** Document types the nmap parser posts; each becomes `nmap_<type>_{snapshot,history}`. */
export const NmapDocType = {
  data: "data",
  ports: "ports",
  os: "os",
  cves: "cves",
  sslProtos: "ssl_protos",
  sslCiphers: "ssl_ciphers",
  sslCert: "ssl_cert",
} as const;
export type NmapDocType = (typeof NmapDocType)[keyof typeof NmapDocType];

/** Environment variables of the nmap container (besides the common `Env` ones). */
export const NmapEnv = {
  /** Whole-run budget in seconds; nmap is killed (and the task fails) when it runs out. */
  timeoutSeconds: "NMAP_TIMEOUT_SECONDS",
  /** nmap `--host-timeout` in seconds. */
  hostTimeoutSeconds: "NMAP_HOST_TIMEOUT_SECONDS",
} as const;

/** Cascades stop here: a port-detected event is never emitted with a depth above this. */
export const MAX_CASCADE_DEPTH = 3;

/** Ports on which TLS is normal (HTTPS, mail, directory, FTP, SIP, IRC, LDAP GC, RDP-over-TLS proxies, k8s…). */
export const TLS_PORTS = [
  443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 3269, 5061, 6443, 6697, 8443, 9443,
] as const;
/** nmap service names that imply TLS (nmap names many TLS services with a trailing "s"). */
export const TLS_SERVICES = ["imaps", "pop3s", "smtps", "ldaps", "ftps", "nntps", "ircs", "sips"] as const;

/**
 * SNS filter policy for "a TLS port was detected" (secureCodeBox's https/ldaps/mail cascade rules as one
 * policy): a TCP port that is either a well-known TLS port, a service named `https*` or a TLS service,
 * or any service nmap saw tunnelled over SSL, within the cascade depth limit. Uses SNS's `$or` operator.
 */
export function tlsPortsFilterPolicy(maxDepth: number = MAX_CASCADE_DEPTH): Record<string, unknown> {
  return {
    [Attr.protocol]: ["tcp"],
    [Attr.depth]: [{ numeric: ["<=", maxDepth] }],
    $or: [
      { [Attr.port]: [...TLS_PORTS] },
      { [Attr.service]: [{ prefix: "https" }, ...TLS_SERVICES] },
      { [Attr.tunnel]: ["ssl"] },
    ],
  };
}
