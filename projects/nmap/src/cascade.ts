import type { SNSClient } from "@aws-sdk/client-sns";
import {
  Attr,
  CascadeTopics,
  MAX_CASCADE_DEPTH,
  NMAP_TASK,
  PortDetected,
  isValid,
  type CascadeAttributes,
  type RawResult,
} from "@sec-an/contracts";
import { cascadeEvent, publishCascadeEvents, snsMessageAttributes } from "@sec-an/runtime";
import type { NmapRun } from "./parser";

export { tlsPortsFilterPolicy, TLS_PORTS, TLS_SERVICES, MAX_CASCADE_DEPTH } from "@sec-an/contracts";

/**
 * Cascades: every open port becomes a PortDetected event on the ports topic, with the fields secondary
 * scanners select on as SNS message attributes, so they subscribe with a filter policy
 * (e.g. `tlsPortsFilterPolicy()`) instead of receiving everything and filtering in code.
 */
export const CASCADE_RULE = "nmap:open-port";

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);
const MAX_DNS_NAME = 253;
const cut = (s: string | undefined, n: number) => (s ? s.slice(0, n) : undefined);

interface RequestLineage {
  rootScanId?: string;
  depth?: number;
}

function requestOf(raw: RawResult): { target?: string; lineage?: RequestLineage } {
  const r = raw.metadata.request;
  return r && typeof r === "object" ? (r as { target?: string; lineage?: RequestLineage }) : {};
}

/**
 * The events for one parsed result. Depth guard: a result whose request was itself produced by a cascade
 * at depth d emits events at depth d+1, and none at all once that would pass `maxDepth`, so two scanners
 * that feed each other cannot loop. (Subscriptions also filter on the Depth attribute.)
 */
export function portEvents(
  run: NmapRun,
  raw: RawResult,
  maxDepth: number = MAX_CASCADE_DEPTH,
): PortDetected[] {
  const req = requestOf(raw);
  const parentDepth = typeof req.lineage?.depth === "number" ? req.lineage.depth : 0;
  const depth = parentDepth + 1;
  if (depth > maxDepth) return [];
  const rootScanId = req.lineage?.rootScanId ?? raw.metadata.scanId;
  const requested =
    typeof req.target === "string" && /[a-z]/i.test(req.target) && !req.target.includes(":")
      ? [req.target]
      : [];
  const detectedAt = (run.endTime ?? new Date(raw.metadata.scanEndTime)).toISOString();
  const out: PortDetected[] = [];
  for (const host of run.hosts) {
    // A reverse-DNS name is what the scanned host's owner says it is: one longer than DNS allows is not a
    // name (cutting it would make a wrong one), and must not make the port's event invalid.
    const names = [...requested, ...host.hostnames.map((h) => h.name)].filter(
      (n) => n.length <= MAX_DNS_NAME,
    );
    const hostnames = [...new Set(names)].slice(0, 100);
    for (const p of host.ports) {
      if (p.state !== "open" || !PROTOCOLS.has(p.protocol)) continue;
      const event = {
        kind: "port-detected" as const,
        address: host.address,
        addressType: host.addressType,
        port: p.portId,
        protocol: p.protocol as PortDetected["protocol"],
        ...(p.service?.name ? { service: cut(p.service.name, 64) } : {}),
        ...(p.service?.tunnel ? { tunnel: cut(p.service.tunnel, 16) } : {}),
        ...(p.service?.product ? { product: cut(p.service.product, 128) } : {}),
        ...(p.service?.version ? { version: cut(p.service.version, 128) } : {}),
        hostnames,
        detectedAt,
        lineage: {
          rootScanId,
          parentScanId: raw.metadata.scanId,
          rule: CASCADE_RULE,
          rawKey: raw.key,
          depth,
        },
      };
      // An event our own schema rejects (odd port, overlong name) is skipped: it must not stop the rest.
      if (isValid(PortDetected, event)) out.push(event);
    }
  }
  return out;
}

/** The attribute values subscribers filter on (port and Depth are Numbers: see `CascadeTopics.ports`). */
export function portEventValues(e: PortDetected): CascadeAttributes {
  return {
    [Attr.address]: e.address,
    [Attr.addressType]: e.addressType,
    [Attr.port]: e.port,
    [Attr.protocol]: e.protocol,
    [Attr.depth]: e.lineage.depth,
    [Attr.scanId]: e.lineage.parentScanId,
    [Attr.service]: e.service,
    [Attr.tunnel]: e.tunnel,
    [Attr.product]: e.product,
  };
}

/** An event as the ports topic carries it: checked against the topic's schema and attribute types. */
export const portCascadeEvent = (e: PortDetected) =>
  cascadeEvent(NMAP_TASK, [CascadeTopics.ports], CascadeTopics.ports.name, e, portEventValues(e));

/** SNS message attributes of an event (absent fields are not attributes: SNS rejects empty values). */
export const portEventAttributes = (e: PortDetected) => snsMessageAttributes(portCascadeEvent(e));

/** Publish events straight to a topic (the parse handler publishes them through the module's cascades). */
export const publishPortEvents = (sns: SNSClient, topicArn: string, events: readonly PortDetected[]) =>
  publishCascadeEvents(sns, topicArn, events.map(portCascadeEvent));
