import { X509Certificate } from "node:crypto";
import type { DetailedPeerCertificate, PeerCertificate } from "node:tls";
import type { SslCertificate } from "@sec-an/contracts";

const DAY_MS = 86_400_000;

/** Names of the signature algorithms seen on the public web (OID → OpenSSL long name). */
const SIG_ALGS: Record<string, string> = {
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.10": "rsassaPss",
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
  "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
  "1.3.101.112": "ED25519",
  "1.3.101.113": "ED448",
};

/** Read one DER header at `at`: tag, start of contents, length. */
function tlv(der: Buffer, at: number): { tag: number; start: number; length: number } {
  const tag = der[at];
  let len = der[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4) throw new Error("unsupported DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
    start += n;
  }
  if (start + len > der.length) throw new Error("truncated DER");
  return { tag, start, length: len };
}

function decodeOid(bytes: Buffer): string {
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let v = 0;
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

/**
 * The outer signatureAlgorithm of a DER certificate (Node's X509Certificate does not expose it):
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature }.
 */
export function signatureAlgorithm(der: Buffer): string {
  try {
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.start);
    const alg = tlv(der, tbs.start + tbs.length);
    const oid = tlv(der, alg.start);
    if (cert.tag !== 0x30 || alg.tag !== 0x30 || oid.tag !== 0x06) return "unknown";
    const dotted = decodeOid(der.subarray(oid.start, oid.start + oid.length));
    return SIG_ALGS[dotted] ?? dotted;
  } catch {
    return "unknown";
  }
}

/** `CN=a\nO=b` → { CN: "a", O: "b" }; repeated attributes are joined. */
export function parseDistinguishedName(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`;
  }
  return out;
}

/** Split Node's subjectAltName text; values with special characters come JSON-quoted. */
export function parseSubjectAltName(text: string | undefined): { dns: string[]; ip: string[] } {
  const dns: string[] = [];
  const ip: string[] = [];
  if (!text) return { dns, ip };
  const re = /(DNS|IP Address|email|URI|othername|DirName|Registered ID):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (const m of text.matchAll(re)) {
    const value = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
    if (m[1] === "DNS") dns.push(value);
    else if (m[1] === "IP Address") ip.push(value);
  }
  return { dns, ip };
}

/** Everything we report about one certificate, relative to the scan time. */
export function describeCertificate(der: Buffer, depth: number, scanTime: Date): SslCertificate {
  const x = new X509Certificate(der);
  const validFrom = new Date(x.validFrom);
  const validTo = new Date(x.validTo);
  const key = x.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const legacy = x.toLegacyObject() as PeerCertificate & { bits?: number };
  const keyBits = details.modulusLength ?? legacy.bits;
  const san = parseSubjectAltName(x.subjectAltName);
  // Not X509Certificate.checkIssued: it also demands keyCertSign, which self-signed leaves lack.
  const selfIssued = x.subject === x.issuer;
  let selfSigned = false;
  if (selfIssued) {
    try {
      selfSigned = x.verify(key);
    } catch {
      selfSigned = false;
    }
  }
  return {
    depth,
    subject: parseDistinguishedName(x.subject),
    issuer: parseDistinguishedName(x.issuer),
    subjectText: x.subject.replace(/\n/g, ", "),
    issuerText: x.issuer.replace(/\n/g, ", "),
    serialNumber: x.serialNumber,
    dnsNames: san.dns,
    ipAddresses: san.ip,
    validFrom: validFrom.toISOString(),
    validTo: validTo.toISOString(),
    daysToExpiry: Math.floor((validTo.getTime() - scanTime.getTime()) / DAY_MS),
    expired: validTo.getTime() < scanTime.getTime(),
    notYetValid: validFrom.getTime() > scanTime.getTime(),
    keyType: key.asymmetricKeyType ?? "unknown",
    ...(keyBits !== undefined ? { keyBits } : {}),
    ...(details.namedCurve ? { curve: details.namedCurve } : {}),
    signatureAlgorithm: signatureAlgorithm(der),
    fingerprintSha256: x.fingerprint256,
    isCa: x.ca,
    selfSigned,
  };
}

/**
 * The chain from `getPeerCertificate(true)`, leaf first, stopping at the self-issued end (Node links a
 * root to itself). Node may append the trust-store issuer of the last served certificate.
 */
export function chainOf(peer: DetailedPeerCertificate, scanTime: Date, max = 10): SslCertificate[] {
  const out: SslCertificate[] = [];
  const seen = new Set<string>();
  let cur: DetailedPeerCertificate | undefined = peer;
  while (cur && cur.raw && out.length < max && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(describeCertificate(cur.raw, out.length, scanTime));
    cur = cur.issuerCertificate;
  }
  return out;
}
