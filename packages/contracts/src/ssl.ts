import { Type, type Static } from "@sinclair/typebox";

/**
 * Contracts of the ssl task: the raw JSON result its scanner writes to the lake (and its parser reads
 * back, possibly years later: keep changes additive and bump `SSL_RESULT_VERSION` when they are not),
 * plus the names of its documents and the cascade filter it subscribes with.
 */
export const SSL_TASK = "ssl";
export const SSL_RESULT_VERSION = 1;

/** Protocol versions probed, oldest first (Node/OpenSSL names). */
export const TLS_VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** Document types the ssl parser posts (index bases `ssl_<type>_{snapshot,history}`). */
export const SslDocType = {
  /** One per address:port:hostname endpoint: protocol support, verification and summaries. */
  endpoint: "endpoint",
  /** One per certificate of each served chain. */
  certificate: "certificate",
  /** One per address:port:protocol version. */
  protocol: "protocol",
} as const;

// Which port-detected events reach the ssl task: `tlsPortsFilterPolicy()` in ./nmap (one definition).

const Iso = Type.String({ maxLength: 40 });

const Cipher = Type.Object({
  name: Type.String({ maxLength: 128 }),
  standardName: Type.Optional(Type.String({ maxLength: 128 })),
  version: Type.Optional(Type.String({ maxLength: 32 })),
});

export const SslProtocolProbe = Type.Object({
  protocol: Type.Union(TLS_VERSIONS.map((v) => Type.Literal(v))),
  accepted: Type.Boolean(),
  cipher: Type.Optional(Cipher),
  /** Why the handshake failed (alert text or socket error code), when not accepted. */
  error: Type.Optional(Type.String({ maxLength: 512 })),
});
export type SslProtocolProbe = Static<typeof SslProtocolProbe>;

export const SslCertificate = Type.Object({
  /** 0 = leaf, as served. */
  depth: Type.Integer({ minimum: 0 }),
  subject: Type.Record(Type.String(), Type.String()),
  issuer: Type.Record(Type.String(), Type.String()),
  subjectText: Type.String(),
  issuerText: Type.String(),
  serialNumber: Type.String(),
  dnsNames: Type.Array(Type.String()),
  ipAddresses: Type.Array(Type.String()),
  validFrom: Iso,
  validTo: Iso,
  /** Whole days from the scan time to notAfter (negative once expired). */
  daysToExpiry: Type.Integer(),
  expired: Type.Boolean(),
  notYetValid: Type.Boolean(),
  keyType: Type.String(),
  keyBits: Type.Optional(Type.Integer()),
  curve: Type.Optional(Type.String()),
  signatureAlgorithm: Type.String(),
  fingerprintSha256: Type.String(),
  isCa: Type.Boolean(),
  selfSigned: Type.Boolean(),
  /** Sent by the server (false: added from the trust store); absent when that could not be told. */
  served: Type.Optional(Type.Boolean()),
});
export type SslCertificate = Static<typeof SslCertificate>;

export const SslEndpoint = Type.Object({
  /** The name sent as SNI and checked against the certificate; null = no SNI (address only). */
  hostname: Type.Union([Type.String(), Type.Null()]),
  connected: Type.Boolean(),
  error: Type.Optional(Type.String({ maxLength: 512 })),
  protocol: Type.Optional(Type.String()),
  cipher: Type.Optional(Cipher),
  /**
   * Leaf first, as served; when the last served certificate is not a root, Node completes the chain with
   * its issuer from the trust store (so a trusted chain ends at its anchor even if the server omits it).
   * Each certificate's `served` tells the two apart.
   */
  chain: Type.Array(SslCertificate),
  /** Certificates the server sent (from a second handshake with an empty trust store). */
  servedChainLength: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Chain verification against the trust store (Node's bundled Mozilla roots plus configured CAs). */
  verification: Type.Object({
    trusted: Type.Boolean(),
    /** OpenSSL verification code (e.g. CERT_HAS_EXPIRED) when not trusted. */
    error: Type.Optional(Type.String()),
  }),
  /** Whether the leaf is valid for `hostname` (absent when hostname is null). */
  hostnameMatch: Type.Optional(
    Type.Object({ matches: Type.Boolean(), reason: Type.Optional(Type.String()) }),
  ),
});
export type SslEndpoint = Static<typeof SslEndpoint>;

export const SslScanResult = Type.Object(
  {
    version: Type.Literal(SSL_RESULT_VERSION),
    address: Type.String({ minLength: 2, maxLength: 45 }),
    addressType: Type.Union([Type.Literal("ipv4"), Type.Literal("ipv6")]),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    service: Type.Optional(Type.String()),
    scanTime: Iso,
    /** Names scanned, with where each came from. */
    hostnames: Type.Array(Type.Object({ name: Type.String(), sources: Type.Array(Type.String()) })),
    /** Names dropped before use (invalid per RFC 1123, or over the per-scan cap). */
    rejectedHostnames: Type.Array(
      Type.Object({ name: Type.String({ maxLength: 300 }), reason: Type.String() }),
    ),
    protocols: Type.Array(SslProtocolProbe),
    endpoints: Type.Array(SslEndpoint),
  },
  { title: "SslScanResult" },
);
export type SslScanResult = Static<typeof SslScanResult>;

/** Environment of the ssl scan Lambda (tuning only; never secrets). */
export const SslEnv = {
  /** Bound on each TLS handshake, in milliseconds (default 5000). */
  handshakeTimeoutMs: "SSL_HANDSHAKE_TIMEOUT_MS",
  /** DNS names checked per scan at most (default 16). */
  maxHostnames: "SSL_MAX_HOSTNAMES",
} as const;
