import { Type, type Static } from "@sinclair/typebox";

/**
 * Contracts of the threat-service project: an IBM Security SOAR custom threat service (CTS). SOAR sends
 * an artifact (`POST /cts/{name}`), polls for the search (`GET /cts/{name}/{id}`) and asks for the
 * service's capabilities (`OPTIONS /cts/{name}`). The DTOs below are SOAR's, field for field.
 */

/** Every artifact type SOAR sends (its threat models); anything else is not a SOAR artifact type. */
export const SOAR_ARTIFACT_TYPES = [
  "file.content",
  "file.name",
  "file.path",
  "email",
  "email.body",
  "email.header",
  "email.header.sender_address",
  "email.header.sender_name",
  "email.header.to",
  "hash.md5",
  "hash.sha1",
  "hash.sha256",
  "hash.fuzzy",
  "cert.x509",
  "net.cidr",
  "net.ip",
  "net.name",
  "net.mac",
  "net.port",
  "net.uri",
  "net.uri.path",
  "net.http.request.header",
  "net.http.response.header",
  "process.name",
  "system.name",
  "system.mutex",
  "system.registry",
  "system.service.name",
  "system.user.name",
  "threat.report.cve",
  "threat.malware.family",
] as const;
export type SoarArtifactType = (typeof SOAR_ARTIFACT_TYPES)[number];

export const isSoarArtifactType = (t: string): t is SoarArtifactType =>
  (SOAR_ARTIFACT_TYPES as readonly string[]).includes(t);

/** Bounds on what the service accepts: a request over them is refused with a 4xx before any work. */
export const CtsLimits = {
  /** A whole request body (JSON, or multipart with the file part). SOAR sends small artifacts. */
  maxBodyBytes: 1024 * 1024,
  /** The artifact's JSON (the body, or part 0 of a multipart body). */
  maxArtifactJsonBytes: 16 * 1024,
  /** An artifact value: the longest URI browsers keep is about 2 KB; 4 KB leaves room. */
  maxValueChars: 4096,
  /** Hits in one answer, and props in one hit: keeps every stored answer far below DynamoDB's 400 KB item. */
  maxHits: 200,
  maxPropsPerHit: 60,
  maxPropValueChars: 1024,
  /** A GET's id echoed back when it is not one of ours (an answer never carries more of a caller's text). */
  maxEchoedIdChars: 128,
} as const;

/** SOAR's polling defaults: the first retry soon (a cached search is quick), later ones a minute apart. */
export const CtsRetry = {
  firstRetrySecs: 5,
  laterRetrySecs: 60,
  /** SOAR gives up after about an hour of retries; a search older than this answers with what it has. */
  searchTimeoutSecs: 3600,
} as const;

/** `ThreatServiceArtifactDTO`: the artifact SOAR asks about. Other fields SOAR adds are kept, not required. */
export const ThreatServiceArtifact = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64, pattern: "^[a-z][a-z0-9._]*$" }),
    value: Type.String({ minLength: 1, maxLength: CtsLimits.maxValueChars }),
  },
  { title: "ThreatServiceArtifactDTO", additionalProperties: true },
);
export type ThreatServiceArtifact = Static<typeof ThreatServiceArtifact>;

/** Prop types SOAR renders in a hit; `number` values travel as strings. */
export const HIT_PROP_TYPES = ["string", "number", "uri", "ip"] as const;
export type HitPropType = (typeof HIT_PROP_TYPES)[number];

const PropName = Type.String({ minLength: 1, maxLength: 128 });
export const HitProp = Type.Object(
  {
    type: Type.Union(HIT_PROP_TYPES.map((t) => Type.Literal(t))),
    name: PropName,
    value: Type.String({ maxLength: CtsLimits.maxPropValueChars }),
  },
  { additionalProperties: false },
);
export type HitProp = Static<typeof HitProp>;

/** `ArtifactHitDTO`: one finding about the artifact, as typed props with unique names. */
export const ArtifactHit = Type.Object(
  { props: Type.Array(HitProp, { maxItems: CtsLimits.maxPropsPerHit }) },
  { title: "ArtifactHitDTO", additionalProperties: false },
);
export type ArtifactHit = Static<typeof ArtifactHit>;

/** `ResponseDTO`: complete (HTTP 200, no `retry_secs`) or pending (HTTP 303, `retry_secs`). */
export const CtsResponse = Type.Object(
  {
    id: Type.String(),
    hits: Type.Array(ArtifactHit, { maxItems: CtsLimits.maxHits }),
    retry_secs: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { title: "ResponseDTO", additionalProperties: false },
);
export type CtsResponse = Static<typeof CtsResponse>;

/** The OPTIONS answer. */
export const CtsCapabilities = Type.Object({ upload_file: Type.Boolean() }, { title: "CapabilitiesDTO" });
export type CtsCapabilities = Static<typeof CtsCapabilities>;

/** A 4xx answer: what was wrong, never a stack trace or the offending body. */
export interface CtsError {
  readonly error: { readonly code: string; readonly message: string };
}

/** A search request id: a UUID (version 5 layout) of the canonical artifact. */
export const CTS_ID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

/** One search, queued for the search worker by the request that started it. */
export const SearchJob = Type.Object(
  {
    id: Type.String({ pattern: CTS_ID_PATTERN }),
    artifact: Type.Object({
      type: Type.String({ minLength: 1, maxLength: 64 }),
      value: Type.String({ minLength: 1, maxLength: CtsLimits.maxValueChars }),
    }),
    /** Epoch seconds the search started; checks for fresh data after a scan count from here. */
    startedAt: Type.Number(),
    /** How many times the worker has looked (the first look is 1). */
    attempt: Type.Integer({ minimum: 1 }),
  },
  { title: "SearchJob", additionalProperties: false },
);
export type SearchJob = Static<typeof SearchJob>;

/** The two tables (logical names; physical `${stage}-${app}-<name>`) and their attributes. */
export const CtsTables = {
  activeSearches: "cts-active-searches",
  results: "cts-results",
  /** Partition key of both: the search id. */
  id: "Id",
  artifactType: "ArtifactType",
  artifactValue: "ArtifactValue",
  /** Epoch seconds; the tables' TTL attribute, and the answer's own expiry check (TTL deletes lazily). */
  expiresAt: "ExpiresAt",
  startedAt: "StartedAt",
  /** JSON of the hits (partial ones on an active search). */
  hits: "Hits",
  completedAt: "CompletedAt",
  /** On an active search: true once a look asked for a scan (a redelivered look does not ask again). */
  scanRequested: "ScanRequested",
} as const;

/** Environment of the threat-service functions (never secrets: the basic-auth secret is read from Secrets Manager). */
export const CtsEnv = {
  activeTable: "SEC_AN_CTS_ACTIVE_TABLE",
  resultsTable: "SEC_AN_CTS_RESULTS_TABLE",
  searchQueueUrl: "SEC_AN_CTS_SEARCH_QUEUE_URL",
  /** Seconds a completed search's hits are kept. */
  hitTtlSecs: "SEC_AN_CTS_HIT_TTL_SECS",
  /** An owned address with no scan newer than this (seconds) is scanned when asked about. */
  scanMaxAgeSecs: "SEC_AN_CTS_SCAN_MAX_AGE_SECS",
  /** Seconds between a waiting search's looks for its scan's documents (default CtsRetry.laterRetrySecs). */
  recheckSecs: "SEC_AN_CTS_RECHECK_SECS",
  /** ARN (or name) of the Secrets Manager secret holding `{"username","password"}` for basic auth. */
  authSecretId: "SEC_AN_CTS_AUTH_SECRET_ID",
  /** Name of the service in the path (`/cts/{name}`). */
  serviceName: "SEC_AN_CTS_SERVICE_NAME",
  /** Comma-separated Cognito app client ids whose tokens the authorizer accepts (none: no token is). */
  cognitoClientIds: "SEC_AN_CTS_COGNITO_CLIENT_IDS",
} as const;

/** The default service name: SOAR registers `…/cts/sec-an`. */
export const CTS_DEFAULT_NAME = "sec-an";
