import type { NmapScript, NseValue } from "./xml";

/**
 * Interpreters for the NSE scripts whose output we index as documents. Each is pure and tolerant: a
 * script whose output does not look as expected yields nothing structured (its raw output is still kept
 * on the port document), never an exception.
 */

type Obj = { [k: string]: NseValue };
const isObj = (v: NseValue | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: NseValue | undefined): string | undefined =>
  typeof v === "string" && v !== "" ? v : undefined;
const arr = (v: NseValue | undefined): NseValue[] =>
  Array.isArray(v) ? v : isObj(v) ? Object.values(v) : [];

// ---------------------------------------------------------------------------------------------- vulners

export interface VulnersEntry {
  readonly cpe: string;
  readonly id: string;
  /** CVSS base score as reported by vulners.com. */
  readonly cvss?: number;
  readonly type?: string;
  readonly isExploit?: boolean;
  /** Any further fields of the newer table format (kept as strings). */
  readonly extra: Record<string, string>;
}

const KNOWN_VULNERS_FIELDS = new Set(["id", "cvss", "type", "is_exploit"]);

function score(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n <= 10 ? n : undefined;
}

/** One line of the old text format: `\tCVE-2018-15919\t5.0\thttps://vulners.com/cve/CVE-2018-15919[\t*EXPLOIT*]`. */
function oldFormatLines(cpe: string, body: string): VulnersEntry[] {
  const out: VulnersEntry[] = [];
  for (const line of body.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 2 || cols[0] === "" || score(cols[1]) === undefined) continue;
    const exploit = cols.includes("*EXPLOIT*");
    const url = cols.find((c) => c.startsWith("http"));
    out.push({
      cpe,
      id: cols[0],
      cvss: score(cols[1]),
      isExploit: exploit,
      ...(cols[0].startsWith("CVE-") ? { type: "cve" } : {}),
      extra: url ? { url } : {},
    });
  }
  return out;
}

/**
 * vulners output in both formats it has had: the newer one (a table per CPE holding one unkeyed table
 * per vulnerability with `id`, `cvss`, `type`, `is_exploit`) and the older one (an elem per CPE whose
 * text is one tab-separated line per vulnerability). Falls back to the script's text output.
 */
export function vulners(script: NmapScript): VulnersEntry[] {
  const out: VulnersEntry[] = [];
  const v = script.value;
  if (isObj(v)) {
    for (const [cpe, body] of Object.entries(v)) {
      if (typeof body === "string") {
        out.push(...oldFormatLines(cpe, body));
        continue;
      }
      for (const row of arr(body)) {
        if (!isObj(row) || !str(row.id)) continue;
        const extra: Record<string, string> = {};
        for (const [k, x] of Object.entries(row))
          if (!KNOWN_VULNERS_FIELDS.has(k) && typeof x === "string") extra[k] = x;
        out.push({
          cpe,
          id: str(row.id)!,
          cvss: score(str(row.cvss)),
          type: str(row.type),
          isExploit: str(row.is_exploit) === undefined ? undefined : str(row.is_exploit) === "true",
          extra,
        });
      }
    }
    return out;
  }
  // No structured output: parse the text, which is "cpe:...:" headings followed by indented lines.
  let cpe = "unknown";
  for (const line of script.output.split("\n")) {
    const heading = /^\s*(cpe:\/[^\s]+?):?\s*$/.exec(line);
    if (heading) cpe = heading[1];
    else out.push(...oldFormatLines(cpe, line));
  }
  return out;
}

/** CVSS v3 qualitative rating of a score. */
export function severityLabel(cvss: number): "none" | "low" | "medium" | "high" | "critical" {
  if (cvss >= 9) return "critical";
  if (cvss >= 7) return "high";
  if (cvss >= 4) return "medium";
  if (cvss > 0) return "low";
  return "none";
}

// ------------------------------------------------------------------------------------- ssl-enum-ciphers

export interface SslCipher {
  readonly name: string;
  readonly kexInfo?: string;
  readonly strength?: string;
}

export interface SslProtocol {
  readonly protocol: string;
  readonly ciphers: SslCipher[];
  readonly cipherPreference?: string;
  readonly compressors: string[];
  readonly warnings: string[];
  /** Weakest grade among this protocol's ciphers. */
  readonly leastStrength?: string;
}

export interface SslEnum {
  readonly protocols: SslProtocol[];
  /** Weakest grade overall, as nmap reports it ("least strength"). */
  readonly leastStrength?: string;
}

/** Protocols from oldest (weakest) to newest. */
export const SSL_PROTOCOL_ORDER = ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
/** ssl-enum-ciphers grades, best first. */
export const SSL_GRADES = ["A", "B", "C", "D", "E", "F"] as const;

const gradeRank = (g: string | undefined) =>
  g === undefined ? -1 : SSL_GRADES.indexOf(g.toUpperCase() as (typeof SSL_GRADES)[number]);

/**
 * The WORST of a set of grades (F is worse than A). The original took the alphabetical minimum and so
 * reported the best grade as the "lowest strength"; unknown grades are ignored.
 */
export function weakestGrade(grades: Iterable<string | undefined>): string | undefined {
  let worst: string | undefined;
  for (const g of grades) if (gradeRank(g) >= 0 && gradeRank(g) > gradeRank(worst)) worst = g!.toUpperCase();
  return worst;
}

/** The oldest of a set of protocol names; unknown names sort as oldest of all (an unknown protocol is suspect). */
export function oldestProtocol(protocols: Iterable<string>): string | undefined {
  let oldest: string | undefined;
  const rank = (p: string) => SSL_PROTOCOL_ORDER.indexOf(p as (typeof SSL_PROTOCOL_ORDER)[number]);
  for (const p of protocols) if (oldest === undefined || rank(p) < rank(oldest)) oldest = p;
  return oldest;
}

export function sslEnumCiphers(script: NmapScript): SslEnum | undefined {
  const v = script.value;
  if (!isObj(v)) return undefined;
  const protocols: SslProtocol[] = [];
  for (const [protocol, body] of Object.entries(v)) {
    if (!isObj(body)) continue; // "least strength" and other scalars
    const ciphers = arr(body.ciphers)
      .filter(isObj)
      .filter((c) => str(c.name))
      .map((c) => ({ name: str(c.name)!, kexInfo: str(c.kex_info), strength: str(c.strength) }));
    protocols.push({
      protocol,
      ciphers,
      cipherPreference: str(body["cipher preference"]),
      compressors: arr(body.compressors).filter((x): x is string => typeof x === "string"),
      warnings: arr(body.warnings).filter((x): x is string => typeof x === "string"),
      leastStrength: weakestGrade(ciphers.map((c) => c.strength)),
    });
  }
  // Our own weakest grade over every cipher, cross-checked with nmap's own figure: the worse one wins.
  const leastStrength = weakestGrade([str(v["least strength"]), ...protocols.map((p) => p.leastStrength)]);
  return { protocols, leastStrength };
}

// ---------------------------------------------------------------------------------------------- ssl-cert

export interface SslCert {
  readonly subject: Record<string, string>;
  readonly issuer: Record<string, string>;
  readonly pubkeyType?: string;
  readonly pubkeyBits?: number;
  readonly sigAlgo?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly subjectAltNames: string[];
  readonly md5?: string;
  readonly sha1?: string;
}

const flat = (v: NseValue | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
  return out;
};

/** ssl-cert prints ASN.1 times in UTC, without a zone ("2026-12-23T11:37:29"); newer versions may add one. */
export function certTime(v: string | undefined): Date | undefined {
  if (!v) return undefined;
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(v) ? v : `${v}Z`;
  const d = new Date(withZone);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function sslCert(script: NmapScript): SslCert | undefined {
  const v = script.value;
  if (!isObj(v)) return undefined;
  const validity = isObj(v.validity) ? v.validity : {};
  const pubkey = isObj(v.pubkey) ? v.pubkey : {};
  const san = arr(v.extensions)
    .filter(isObj)
    .filter((e) => str(e.name) === "X509v3 Subject Alternative Name")
    .flatMap((e) => (str(e.value) ?? "").split(",").map((s) => s.trim()))
    .filter(Boolean);
  const bits = Number(str(pubkey.bits));
  return {
    subject: flat(v.subject),
    issuer: flat(v.issuer),
    pubkeyType: str(pubkey.type),
    pubkeyBits: Number.isFinite(bits) && bits > 0 ? bits : undefined,
    sigAlgo: str(v.sig_algo),
    notBefore: certTime(str(validity.notBefore)),
    notAfter: certTime(str(validity.notAfter)),
    subjectAltNames: san,
    md5: str(v.md5),
    sha1: str(v.sha1),
  };
}

// ------------------------------------------------------------------------------------ http-server-header

/** Server header values (one per distinct header seen). */
export function httpServerHeader(script: NmapScript): string[] {
  const v = script.value;
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string" && x !== "");
  if (typeof v === "string" && v) return [v];
  return script.output
    ? script.output
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}
