import {
  SslDocType,
  SslScanResult,
  TLS_VERSIONS,
  parseJson,
  type ParseFn,
  type ResultsContextApi,
  type SslCertificate,
  type SslEndpoint,
} from "@sec-an/contracts";

/** Bump when the documents change shape or meaning (stored in every document's lineage). */
export const PARSER_VERSION = "1.0.0";

/** RSA/DSA below 2048 bits, EC below 224: weaker than NIST SP 800-57's 112-bit floor. */
export function weakKey(c: Pick<SslCertificate, "keyType" | "keyBits">): boolean {
  if (c.keyBits === undefined) return false;
  if (c.keyType === "rsa" || c.keyType === "rsa-pss" || c.keyType === "dsa") return c.keyBits < 2048;
  if (c.keyType === "ec") return c.keyBits < 224;
  return false;
}

const weakSignature = (alg: string) => /md5|sha1/i.test(alg);

/** Flatten subject/issuer attributes into keyword fields (`subject_cn`, `issuer_o`, …). */
function nameFields(prefix: string, dn: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(dn)) {
    const field = k.toLowerCase().replace(/[^a-z0-9]+/g, "_");
    if (field) out[`${prefix}_${field}`] = v;
  }
  return out;
}

/**
 * One endpoint's verdict. "valid" needs all of: a handshake, a chain that verified, a leaf valid for the
 * name (when scanned by name) and inside its validity period. The original reported "Valid" whenever a
 * chain was printed, even when verification failed (reference §11).
 */
export function chainStatus(e: SslEndpoint): "valid" | "invalid" | "no_tls" {
  if (!e.connected || e.chain.length === 0) return "no_tls";
  const leaf = e.chain[0];
  const ok =
    e.verification.trusted && e.hostnameMatch?.matches !== false && !leaf.expired && !leaf.notYetValid;
  return ok ? "valid" : "invalid";
}

function certificateDoc(c: SslCertificate, chainLength: number): Record<string, unknown> {
  return {
    depth: c.depth,
    leaf: c.depth === 0,
    /** The last certificate served: its issuer is the root CA the chain claims to lead to. */
    chain_top: c.depth === chainLength - 1,
    subject: c.subjectText,
    issuer: c.issuerText,
    ...nameFields("subject", c.subject),
    ...nameFields("issuer", c.issuer),
    serial_number: c.serialNumber,
    dns_names: c.dnsNames,
    ip_addresses: c.ipAddresses,
    not_before: c.validFrom,
    not_after: c.validTo,
    days_to_expiry: c.daysToExpiry,
    expired: c.expired,
    not_yet_valid: c.notYetValid,
    key_type: c.keyType,
    key_bits: c.keyBits ?? null,
    curve: c.curve ?? null,
    weak_key: weakKey(c),
    signature_algorithm: c.signatureAlgorithm,
    weak_signature: weakSignature(c.signatureAlgorithm),
    fingerprint_sha256: c.fingerprintSha256,
    is_ca: c.isCa,
    self_signed: c.selfSigned,
    served: c.served ?? null,
  };
}

function endpointDoc(e: SslEndpoint, protocolFields: Record<string, unknown>): Record<string, unknown> {
  const leaf = e.chain[0];
  const top = e.chain[e.chain.length - 1];
  return {
    sni: e.hostname !== null,
    connected: e.connected,
    connect_error: e.error ?? null,
    negotiated_protocol: e.protocol ?? null,
    negotiated_cipher: e.cipher?.name ?? null,
    chain_status: chainStatus(e),
    chain_valid: e.verification.trusted,
    verify_error: e.verification.trusted ? null : (e.verification.error ?? null),
    hostname_match: e.hostnameMatch ? e.hostnameMatch.matches : null,
    hostname_mismatch: e.hostnameMatch ? !e.hostnameMatch.matches : false,
    hostname_mismatch_reason: e.hostnameMatch?.matches === false ? (e.hostnameMatch.reason ?? null) : null,
    chain_length: e.chain.length,
    served_chain_length: e.servedChainLength ?? null,
    /** Servers should not send the root: it wastes bytes and a client cannot trust it from the server anyway. */
    root_served: top ? top.selfSigned && top.served === true : null,
    self_signed: leaf?.selfSigned ?? false,
    leaf_subject_cn: leaf?.subject.CN ?? null,
    leaf_issuer_cn: leaf?.issuer.CN ?? null,
    leaf_issuer_o: leaf?.issuer.O ?? null,
    root_ca_cn: top?.issuer.CN ?? null,
    root_ca_o: top?.issuer.O ?? null,
    not_after: leaf?.validTo ?? null,
    days_to_expiry: leaf?.daysToExpiry ?? null,
    expired: leaf?.expired ?? null,
    key_type: leaf?.keyType ?? null,
    key_bits: leaf?.keyBits ?? null,
    weak_key: leaf ? weakKey(leaf) : false,
    signature_algorithm: leaf?.signatureAlgorithm ?? null,
    weak_signature: leaf ? weakSignature(leaf.signatureAlgorithm) : false,
    ...protocolFields,
  };
}

/** Protocol support as flat fields every endpoint document carries (`tls1_0`, …, `weakest_protocol`). */
export function protocolSummary(r: SslScanResult): Record<string, unknown> {
  const accepted = TLS_VERSIONS.filter((v) => r.protocols.some((p) => p.protocol === v && p.accepted));
  const flags = Object.fromEntries(
    TLS_VERSIONS.map((v) => [
      v === "TLSv1" ? "tls1_0" : v.replace("TLSv", "tls").replace(".", "_"),
      accepted.includes(v),
    ]),
  );
  return {
    ...flags,
    protocols_accepted: accepted,
    weakest_protocol: accepted[0] ?? null,
    strongest_protocol: accepted[accepted.length - 1] ?? null,
    legacy_protocols: accepted.includes("TLSv1") || accepted.includes("TLSv1.1"),
  };
}

function post(
  ctx: ResultsContextApi,
  key: Record<string, string | number | null>,
  type: string,
  doc: Record<string, unknown>,
  summaries = false,
) {
  ctx.pushContext(key);
  ctx.postResults(type, doc, { includeSummaries: summaries });
  ctx.popContext();
}

/**
 * Raw scan JSON → documents, all in ONE results context, so a scan is published once (the original
 * published after every certificate, with cumulative documents). The parent key includes the port:
 * each port is its own scan, and the snapshot of one port must not replace another's.
 */
export function parseSslResult(r: SslScanResult, ctx: ResultsContextApi): void {
  const protocols = protocolSummary(r);
  const endpoints = r.endpoints;
  const leaves = endpoints.map((e) => e.chain[0]).filter((c): c is SslCertificate => !!c);
  ctx.addSummaries({
    weakest_protocol: protocols.weakest_protocol,
    legacy_protocols: protocols.legacy_protocols,
    days_to_expiry: leaves.length ? Math.min(...leaves.map((c) => c.daysToExpiry)) : null,
    chain_valid: endpoints.some((e) => e.connected)
      ? endpoints.filter((e) => e.connected).every((e) => e.verification.trusted)
      : null,
    all_valid: endpoints.every((e) => chainStatus(e) === "valid"),
    self_signed: leaves.some((c) => c.selfSigned),
    hostname_mismatch: endpoints.some((e) => e.hostnameMatch?.matches === false),
    weak_key: leaves.some(weakKey),
    /** The smallest leaf key seen (bits), the one a report should name. */
    key_bits: leaves.some((c) => c.keyBits !== undefined)
      ? Math.min(...leaves.flatMap((c) => (c.keyBits !== undefined ? [c.keyBits] : [])))
      : null,
    hostnames_scanned: r.hostnames.length,
    hostnames_rejected: r.rejectedHostnames.length,
  });
  for (const p of r.protocols) {
    post(ctx, { protocol_version: p.protocol }, SslDocType.protocol, {
      service: r.service ?? null,
      accepted: p.accepted,
      cipher: p.cipher?.name ?? null,
      cipher_standard_name: p.cipher?.standardName ?? null,
      error: p.accepted ? null : (p.error ?? null),
    });
  }
  for (const e of endpoints) {
    post(
      ctx,
      { hostname: e.hostname },
      SslDocType.endpoint,
      { service: r.service ?? null, ...endpointDoc(e, protocols) },
      true,
    );
    for (const c of e.chain)
      post(
        ctx,
        { hostname: e.hostname, depth: c.depth },
        SslDocType.certificate,
        certificateDoc(c, e.chain.length),
      );
  }
}

/** The ssl task's ParseFn: validate the raw JSON, then build the documents. */
export const parse: ParseFn = (raw, tools) => {
  const result = parseJson(SslScanResult, raw.body.toString("utf8"), "ssl raw result");
  const ctx = tools.results({ address: result.address, address_type: result.addressType, port: result.port });
  parseSslResult(result, ctx);
};
