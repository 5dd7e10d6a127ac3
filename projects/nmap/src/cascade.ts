import { PublishBatchCommand, type MessageAttributeValue, type SNSClient } from "@aws-sdk/client-sns";
import { Attr, Limits, MAX_CASCADE_DEPTH, PortDetected, isValid, type RawResult } from "@sec-an/contracts";
import type { NmapRun } from "./parser";

export { tlsPortsFilterPolicy, TLS_PORTS, TLS_SERVICES, MAX_CASCADE_DEPTH } from "@sec-an/contracts";

/**
 * Cascades (seed 001 note 6): every open port becomes a PortDetected event on the ports topic, with the
 * fields secondary scanners select on as SNS message attributes, so they subscribe with a filter policy
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

/** SNS message attributes of an event: port and Depth as Numbers (numeric filters), the rest as Strings. */
export function portEventAttributes(e: PortDetected): Record<string, MessageAttributeValue> {
  const attrs: Record<string, MessageAttributeValue> = {
    [Attr.address]: { DataType: "String", StringValue: e.address },
    [Attr.addressType]: { DataType: "String", StringValue: e.addressType },
    [Attr.port]: { DataType: "Number", StringValue: String(e.port) },
    [Attr.protocol]: { DataType: "String", StringValue: e.protocol },
    [Attr.depth]: { DataType: "Number", StringValue: String(e.lineage.depth) },
    [Attr.scanId]: { DataType: "String", StringValue: e.lineage.parentScanId },
  };
  // SNS rejects empty attribute values: absent fields are simply not attributes.
  if (e.service) attrs[Attr.service] = { DataType: "String", StringValue: e.service };
  if (e.tunnel) attrs[Attr.tunnel] = { DataType: "String", StringValue: e.tunnel };
  if (e.product) attrs[Attr.product] = { DataType: "String", StringValue: e.product };
  return attrs;
}

/** Publish events in PublishBatch calls of ≤10 entries (each event is a few hundred bytes). */
export async function publishPortEvents(
  sns: SNSClient,
  topicArn: string,
  events: readonly PortDetected[],
): Promise<number> {
  for (let i = 0; i < events.length; i += Limits.batchEntries) {
    const batch = events.slice(i, i + Limits.batchEntries);
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: batch.map((e, j) => ({
          Id: String(j),
          Message: JSON.stringify(e),
          MessageAttributes: portEventAttributes(e),
        })),
      }),
    );
    if (out.Failed?.length) {
      const reasons = out.Failed.map((f) => `${f.Id}: ${f.Code ?? "error"} ${f.Message ?? ""}`.trim()).join(
        "; ",
      );
      throw new Error(
        `publishing port-detected events to ${topicArn}: ${out.Failed.length} of ${batch.length} failed: ${reasons}`,
      );
    }
  }
  return events.length;
}
