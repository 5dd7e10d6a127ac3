import type { PortDetected } from "@sec-an/contracts";

export function portEvent(
  port: number,
  hostnames: string[] = [],
  extra: Partial<PortDetected> = {},
): PortDetected {
  return {
    kind: "port-detected",
    address: "127.0.0.1",
    addressType: "ipv4",
    port,
    protocol: "tcp",
    service: "https",
    hostnames,
    detectedAt: "2026-11-23T10:00:00.000Z",
    lineage: {
      rootScanId: "root-1",
      parentScanId: "nmap-1",
      rule: "tls",
      rawKey: "nmap/2026/11/23/nmap-1.xml",
      depth: 1,
    },
    ...extra,
  };
}
