import { isIP } from "node:net";
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import { normaliseZoneId } from "./route53";

/** One address a host name resolves to: what the ingestor plans a scan for. */
export interface HostToScan {
  readonly host: string;
  readonly address: string;
}

/** What to do with one record set: addresses already known, names to resolve, or nothing (and why). */
export type RecordAction =
  | { readonly kind: "addresses"; readonly host: string; readonly addresses: string[] }
  | { readonly kind: "resolve"; readonly host: string; readonly names: string[] }
  | {
      readonly kind: "skip";
      readonly host: string;
      readonly reason: "alias-to-own-zone" | "unhandled-type" | "no-values";
    };

/** Route53 names end with a dot and escape some characters as `\ooo` (octal), e.g. `\052` for `*`. */
export function normaliseName(name: string): string {
  return name
    .replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
    .replace(/\.$/, "")
    .toLowerCase();
}

/**
 * Decide how a record set yields addresses (reference §5.1): A/AAAA values are addresses; an alias into
 * one of our own zones is skipped (that zone's records are ingested directly); other aliases and CNAMEs
 * are resolved through DNS; every other type is ignored.
 */
export function classifyRecord(r: ResourceRecordSet, ownZoneIds: ReadonlySet<string>): RecordAction {
  const host = normaliseName(r.Name ?? "");
  if (r.AliasTarget) {
    if (r.AliasTarget.HostedZoneId && ownZoneIds.has(normaliseZoneId(r.AliasTarget.HostedZoneId))) {
      return { kind: "skip", host, reason: "alias-to-own-zone" };
    }
    if (r.Type !== "A" && r.Type !== "AAAA" && r.Type !== "CNAME")
      return { kind: "skip", host, reason: "unhandled-type" };
    return { kind: "resolve", host, names: [normaliseName(r.AliasTarget.DNSName ?? "")].filter(Boolean) };
  }
  const values = (r.ResourceRecords ?? []).map((v) => (v.Value ?? "").trim()).filter(Boolean);
  switch (r.Type) {
    case "A":
    case "AAAA": {
      const addresses = [...new Set(values.filter((v) => isIP(v) !== 0))];
      return addresses.length
        ? { kind: "addresses", host, addresses }
        : { kind: "skip", host, reason: "no-values" };
    }
    case "CNAME": {
      const names = [...new Set(values.map(normaliseName))];
      return names.length ? { kind: "resolve", host, names } : { kind: "skip", host, reason: "no-values" };
    }
    default:
      return { kind: "skip", host, reason: "unhandled-type" };
  }
}
