import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from "@aws-sdk/client-s3";
import {
  Limits,
  RawMeta,
  RawResultMetadata,
  SchemaError,
  rawResultKey,
  validate,
  type RawResult,
  type ScanOutput,
} from "@sec-an/contracts";
import { s3Client } from "./aws";

/**
 * The raw-results lake: one object per scan, its request and timing stored alongside as S3 user
 * metadata (seed 000) so a parser, or a re-ingestion months later, needs nothing but the object.
 */

/** Prefix of sidecar objects holding requests too large for metadata; parsers and listings skip it. */
export const REQUEST_SIDECAR_PREFIX = "_requests/";
export const isSidecarKey = (key: string) => key.startsWith(REQUEST_SIDECAR_PREFIX);

/** A raw result whose metadata is missing or unreadable: it cannot be parsed, whatever its body holds. */
export class RawResultError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`raw result ${key}: ${detail}`);
    this.name = "RawResultError";
  }
}

export interface PutRawResultArgs {
  bucket: string;
  task: string;
  scanId: string;
  request: unknown;
  output: ScanOutput;
  s3?: S3Client;
}

/** Bytes S3 counts against its 2 KB user-metadata limit: every key and value, UTF-8. */
export function metadataBytes(meta: Record<string, string>): number {
  return Object.entries(meta).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");

/** Store a scan's output; returns the object key. */
export async function putRawResult(args: PutRawResultArgs): Promise<string> {
  const s3 = args.s3 ?? s3Client();
  const { output } = args;
  const key = rawResultKey(args.task, args.scanId, output.endTime, output.extension);
  const requestJson = JSON.stringify(args.request ?? null);
  const meta: Record<string, string> = {
    [RawMeta.scanId]: args.scanId,
    [RawMeta.task]: args.task,
    [RawMeta.scanStartTime]: output.startTime.toISOString(),
    [RawMeta.scanEndTime]: output.endTime.toISOString(),
    [RawMeta.request]: b64(requestJson),
  };
  if (metadataBytes(meta) > Limits.s3MetadataBytes) {
    delete meta[RawMeta.request];
    const sidecar = `${REQUEST_SIDECAR_PREFIX}${key}.json`;
    // Written first, so no raw object ever points at a sidecar that does not exist yet.
    await s3.send(
      new PutObjectCommand({
        Bucket: args.bucket,
        Key: sidecar,
        Body: requestJson,
        ContentType: "application/json",
      }),
    );
    meta[RawMeta.requestKey] = sidecar;
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: args.bucket,
      Key: key,
      Body: typeof output.body === "string" ? Buffer.from(output.body, "utf8") : output.body,
      ContentType: output.contentType ?? "application/octet-stream",
      Metadata: meta,
    }),
  );
  return key;
}

async function readBody(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ body: Buffer; metadata: Record<string, string> }> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!out.Body) throw new RawResultError(key, "object has no body");
  const body = Buffer.from(await out.Body.transformToByteArray());
  return { body, metadata: out.Metadata ?? {} };
}

/** Read a raw result and decode its metadata; missing or garbled metadata is a RawResultError. */
export async function getRawResult(
  bucket: string,
  key: string,
  s3: S3Client = s3Client(),
): Promise<RawResult> {
  if (isSidecarKey(key)) throw new RawResultError(key, "is a request sidecar, not a raw result");
  const { body, metadata: m } = await readBody(s3, bucket, key);
  return { key, body, metadata: await decodeMetadata(s3, bucket, key, m) };
}

/** A raw result whose body is read as it arrives: a parser holds a chunk at a time, not the object. */
export interface RawResultStream extends Omit<RawResult, "body"> {
  /** The object's size in bytes. */
  readonly size: number;
  /** The body, chunk by chunk, as S3 sends it (read it once). */
  readonly body: AsyncIterable<Uint8Array>;
  /** The object's last `bytes` bytes (the whole object when it is shorter), by a ranged read. */
  tail(bytes: number): Promise<Buffer>;
}

/** Open a raw result for streaming: its metadata decoded (a RawResultError when unusable), its body not yet read. */
export async function openRawResult(
  bucket: string,
  key: string,
  s3: S3Client = s3Client(),
): Promise<RawResultStream> {
  if (isSidecarKey(key)) throw new RawResultError(key, "is a request sidecar, not a raw result");
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!out.Body) throw new RawResultError(key, "object has no body");
  const body = out.Body as unknown as AsyncIterable<Uint8Array> & { destroy?: () => void };
  let metadata: RawResult["metadata"];
  try {
    metadata = await decodeMetadata(s3, bucket, key, out.Metadata ?? {});
  } catch (e) {
    body.destroy?.(); // nobody will read it: free the connection
    throw e;
  }
  const size = out.ContentLength ?? 0;
  return {
    key,
    metadata,
    size,
    body,
    async tail(bytes) {
      if (size === 0) return Buffer.alloc(0);
      const t = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=-${Math.min(bytes, size)}` }),
      );
      if (!t.Body) throw new RawResultError(key, "ranged read has no body");
      return Buffer.from(await t.Body.transformToByteArray());
    },
  };
}

async function decodeMetadata(
  s3: S3Client,
  bucket: string,
  key: string,
  m: Record<string, string>,
): Promise<RawResult["metadata"]> {
  const meta = Object.fromEntries(Object.entries(m).map(([k, v]) => [k.toLowerCase(), v]));
  const missing: string[] = [RawMeta.scanId, RawMeta.task, RawMeta.scanStartTime, RawMeta.scanEndTime].filter(
    (k) => !meta[k],
  );
  if (!meta[RawMeta.request] && !meta[RawMeta.requestKey]) missing.push(RawMeta.request);
  if (missing.length) throw new RawResultError(key, `metadata is missing ${missing.join(", ")}`);

  let request: unknown;
  let requestText: string;
  if (meta[RawMeta.request]) {
    if (!/^[A-Za-z0-9_-]*$/.test(meta[RawMeta.request]))
      throw new RawResultError(key, "request metadata is not base64url");
    requestText = Buffer.from(meta[RawMeta.request], "base64url").toString("utf8");
  } else {
    const sidecar = meta[RawMeta.requestKey];
    if (!isSidecarKey(sidecar))
      throw new RawResultError(key, `request-key ${JSON.stringify(sidecar)} is not a request sidecar`);
    requestText = (await readBody(s3, bucket, sidecar)).body.toString("utf8");
  }
  try {
    request = JSON.parse(requestText);
  } catch (e) {
    throw new RawResultError(key, `request metadata is not JSON: ${(e as Error).message}`);
  }
  try {
    return validate(
      RawResultMetadata,
      {
        scanId: meta[RawMeta.scanId],
        task: meta[RawMeta.task],
        scanStartTime: meta[RawMeta.scanStartTime],
        scanEndTime: meta[RawMeta.scanEndTime],
        request,
      },
      "raw result metadata",
    );
  } catch (e) {
    if (e instanceof SchemaError) throw new RawResultError(key, e.message);
    throw e;
  }
}

export interface RawObjectRef {
  key: string;
  size: number;
  lastModified?: Date;
}

export interface ListRawResultsOptions {
  task: string;
  /** Only results whose scan ended on or after this day (UTC), by the dated key prefix. */
  since?: Date;
  /** Only results whose scan ended on or before this day (UTC); default today. */
  until?: Date;
  s3?: S3Client;
}

const dayPrefix = (task: string, d: Date) => `${task}/${d.toISOString().slice(0, 10).replace(/-/g, "/")}/`;

/** Every raw result of a task (optionally in a day range), page by page, oldest day first. */
export async function* listRawResults(
  bucket: string,
  opts: ListRawResultsOptions,
): AsyncGenerator<RawObjectRef> {
  const s3 = opts.s3 ?? s3Client();
  rawResultKey(opts.task, "x", new Date(0), "x"); // validates the task name
  const prefixes: string[] = [];
  if (!opts.since) prefixes.push(`${opts.task}/`);
  else {
    const until = opts.until ?? new Date();
    const day = new Date(
      Date.UTC(opts.since.getUTCFullYear(), opts.since.getUTCMonth(), opts.since.getUTCDate()),
    );
    for (; day <= until; day.setUTCDate(day.getUTCDate() + 1)) prefixes.push(dayPrefix(opts.task, day));
  }
  for (const Prefix of prefixes) {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix })) {
      for (const o of page.Contents ?? []) {
        if (o.Key) yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified };
      }
    }
  }
}
