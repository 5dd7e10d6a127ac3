import { InvalidTargetError, validateTarget } from "@sec-an/contracts";

/**
 * RFC 1123 host-name validation. Names come from DNS records and scan events, i.e. from outside: they are
 * checked here before they are used as SNI or compared with certificates, and nothing else is accepted.
 */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export type HostnameCheck = { ok: true; name: string } | { ok: false; reason: string };

/** Normalise (lower case, one trailing dot dropped) and validate a DNS host name. */
export function checkHostname(raw: unknown): HostnameCheck {
  if (typeof raw !== "string") return { ok: false, reason: "not a string" };
  const name = (raw.endsWith(".") ? raw.slice(0, -1) : raw).toLowerCase();
  if (name.length === 0) return { ok: false, reason: "empty" };
  if (name.length > 253) return { ok: false, reason: "longer than 253 characters" };
  const labels = name.split(".");
  for (const label of labels) {
    if (label.length === 0) return { ok: false, reason: "empty label" };
    if (label.length > 63) return { ok: false, reason: "label longer than 63 characters" };
    if (!LABEL.test(label))
      return { ok: false, reason: "label has characters other than letters, digits and inner hyphens" };
  }
  // An all-numeric last label would make this an address, not a name (RFC 1123 §2.1).
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return { ok: false, reason: "all-numeric top-level label" };
  // The rest of the rule nmap's targets follow (no `10.0.0.1-3` range, no `0x7f000001`), so a name
  // accepted here is one the scan-target validator accepts too.
  try {
    validateTarget(name);
  } catch (e) {
    if (e instanceof InvalidTargetError) return { ok: false, reason: e.message.replace(/^.*?: /, "") };
    throw e;
  }
  return { ok: true, name };
}

/** Printable, bounded form of a rejected name for the result (it may hold newlines or kilobytes). */
export function describeRejected(raw: unknown): string {
  return JSON.stringify(typeof raw === "string" ? raw.slice(0, 256) : String(raw)).slice(0, 300);
}
