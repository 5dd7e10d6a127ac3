import { createHash } from "node:crypto";
import { canonicalJson, type ThreatServiceArtifact } from "@sec-an/contracts";
import { canonicalCidr, canonicalIp } from "./addresses";

/** UUID namespace of search ids (a fixed random UUID: ids are stable across deployments and releases). */
export const CTS_NAMESPACE = "4f1b7a52-3f0e-4c8e-9d0b-6a1e2c7d9b35";

/** RFC 4122 version-5 UUID (SHA-1 of namespace and name), so any client can recompute an id. */
export function uuidV5(name: string, namespace: string = CTS_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const h = createHash("sha1").update(ns).update(name, "utf8").digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The URL's own serialisation (scheme and host lower-cased, default port and empty path settled). */
function canonicalUri(value: string): string | undefined {
  try {
    return new URL(value).href;
  } catch {
    return undefined;
  }
}

/**
 * The part of an artifact a search depends on, in one spelling: type and value only (SOAR adds fields,
 * such as incident ids, that differ between sends of the same artifact), the value trimmed, names
 * lower-cased (DNS is case-insensitive), addresses in RFC 5952 text, networks by their network address,
 * URIs as the URL parser writes them. A value that is none of these is kept as sent.
 */
export function canonicalArtifact(a: Pick<ThreatServiceArtifact, "type" | "value">): {
  type: string;
  value: string;
} {
  const trimmed = a.value.trim();
  const value =
    a.type === "net.name"
      ? trimmed.toLowerCase().replace(/\.$/, "")
      : a.type === "net.ip"
        ? canonicalIp(trimmed)
        : a.type === "net.cidr"
          ? canonicalCidr(trimmed)
          : a.type === "net.uri"
            ? canonicalUri(trimmed)
            : undefined;
  return { type: a.type, value: value ?? trimmed };
}

/** The search id of an artifact: the same artifact always gives the same id. */
export function searchId(a: Pick<ThreatServiceArtifact, "type" | "value">): string {
  return uuidV5(canonicalJson(canonicalArtifact(a)));
}
