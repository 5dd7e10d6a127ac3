import { Readable } from "node:stream";
import { Busboy, type BusboyInstance } from "@fastify/busboy";
import { CTS_ID_PATTERN, CtsLimits, SchemaError, ThreatServiceArtifact, validate } from "@sec-an/contracts";
import { CtsHttpError } from "./errors";

/** An HTTP request as the service sees it, whatever carried it (API Gateway, the local server). */
export interface CtsRequest {
  readonly method: string;
  /** Path below the API root, e.g. `/cts/sec-an` or `/cts/sec-an/<id>`. */
  readonly path: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export type CtsRoute =
  | { kind: "options"; name: string }
  | { kind: "post"; name: string; artifact: ThreatServiceArtifact; fileBytes?: number }
  | { kind: "get"; name: string; id: string };

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ID = new RegExp(CTS_ID_PATTERN);

/** True for an id the service could have given (a v5 UUID): any other cannot name a search. */
export const isSearchId = (id: string): boolean => ID.test(id);

/** Which route a request is for, with its input checked; throws CtsHttpError (4xx) for anything else. */
export async function route(req: CtsRequest, serviceName: string): Promise<CtsRoute> {
  const parts = req.path.split("/").filter(Boolean);
  if (parts[0] !== "cts" || parts.length < 2 || parts.length > 3 || !NAME.test(parts[1]))
    throw new CtsHttpError(404, "not-found", "no such path: use /cts/{name} or /cts/{name}/{id}");
  const name = parts[1];
  if (name !== serviceName)
    throw new CtsHttpError(404, "unknown-service", `this threat service is /cts/${serviceName}`);
  const method = req.method.toUpperCase();
  if (parts.length === 3) {
    if (method !== "GET")
      throw new CtsHttpError(405, "method-not-allowed", `${method} is not allowed on a search`);
    // Echoed as asked (cut to a bound); one that is not ours gets the "unknown id" answer, 200 with no hits.
    return { kind: "get", name, id: parts[2].slice(0, CtsLimits.maxEchoedIdChars) };
  }
  if (method === "OPTIONS") return { kind: "options", name };
  if (method !== "POST") throw new CtsHttpError(405, "method-not-allowed", `${method} is not allowed here`);
  if (req.body.length > CtsLimits.maxBodyBytes)
    throw new CtsHttpError(413, "body-too-large", `the body exceeds ${CtsLimits.maxBodyBytes} bytes`);
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  switch (type) {
    case "application/json":
    // curl -d sends form encoding by default; its body is still the artifact's JSON, parsed as such.
    case "application/x-www-form-urlencoded":
      return { kind: "post", name, artifact: parseArtifact(req.body) };
    case "multipart/form-data":
      return { kind: "post", name, ...(await parseMultipart(req)) };
    default:
      throw new CtsHttpError(
        415,
        "unsupported-media-type",
        `content type ${JSON.stringify(type.slice(0, 100))} is not supported: send application/json or multipart/form-data`,
      );
  }
}

/** The artifact DTO from its JSON text; bad JSON or a bad shape is a 400 naming the problem. */
export function parseArtifact(json: Buffer | string): ThreatServiceArtifact {
  const text = typeof json === "string" ? json : json.toString("utf8");
  if (Buffer.byteLength(text) > CtsLimits.maxArtifactJsonBytes)
    throw new CtsHttpError(
      413,
      "artifact-too-large",
      `the artifact exceeds ${CtsLimits.maxArtifactJsonBytes} bytes`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CtsHttpError(400, "malformed-json", `the artifact is not JSON: ${(e as Error).message}`);
  }
  try {
    return validate(ThreatServiceArtifact, value, "ThreatServiceArtifactDTO");
  } catch (e) {
    if (e instanceof SchemaError) throw new CtsHttpError(400, "invalid-artifact", e.message.slice(0, 500));
    throw e;
  }
}

/**
 * A multipart POST: part 0 is the artifact's JSON (a field or a file part), later parts the file
 * content, which is counted and discarded (the service does not take uploads: OPTIONS says so).
 */
async function parseMultipart(
  req: CtsRequest,
): Promise<{ artifact: ThreatServiceArtifact; fileBytes: number }> {
  const headers = { "content-type": req.headers["content-type"] ?? "" };
  let bb: BusboyInstance;
  try {
    bb = new Busboy({
      headers,
      limits: {
        parts: 8,
        fields: 8,
        files: 4,
        fieldSize: CtsLimits.maxArtifactJsonBytes,
        fileSize: CtsLimits.maxBodyBytes,
      },
    });
  } catch (e) {
    throw new CtsHttpError(400, "malformed-multipart", `bad multipart request: ${(e as Error).message}`);
  }
  let index = 0;
  let first: Promise<string> | undefined;
  let fileBytes = 0;
  let tooBig = false;
  const collect = (stream: Readable, isFirst: boolean) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => {
        if (isFirst) chunks.push(c);
        else fileBytes += c.length;
      });
      stream.on("limit", () => (tooBig = true));
      stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      stream.on("error", reject);
    });
  bb.on("field", (_n: string, value: string, _nt: boolean, truncated: boolean) => {
    if (truncated) tooBig = true;
    if (index++ === 0) first = Promise.resolve(value);
  });
  bb.on("file", (_n: string, stream: Readable) => {
    const p = collect(stream, index++ === 0);
    // When busboy fails, `done` rejects before part 0 is awaited: its rejection must not go unhandled.
    p.catch(() => undefined);
    if (!first) first = p;
  });
  const done = new Promise<void>((resolve, reject) => {
    bb.on("finish", resolve);
    bb.on("error", reject);
  });
  Readable.from([req.body]).pipe(bb);
  try {
    await done;
  } catch (e) {
    throw new CtsHttpError(400, "malformed-multipart", `bad multipart request: ${(e as Error).message}`);
  }
  if (tooBig) throw new CtsHttpError(413, "part-too-large", "a multipart part exceeds its size limit");
  if (!first)
    throw new CtsHttpError(
      400,
      "malformed-multipart",
      "the multipart request has no parts: part 0 must be the artifact JSON",
    );
  return { artifact: parseArtifact(await first), fileBytes };
}
