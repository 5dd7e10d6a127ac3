import { gunzipSync } from "node:zlib";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  DEAD_LETTER_OBJECT_SUFFIX,
  DeadLetterRecord,
  PlatformIndex,
  indexBase,
  isValid,
  writeAlias,
} from "@sec-an/contracts";
import type { S3Event } from "aws-lambda";
import type { BulkOp, DocumentStore } from "./store/types";

/** Logical index of dead letters: `dead_letter_data` (no snapshot/history). */
export const DEAD_LETTER_INDEX = indexBase(
  PlatformIndex.deadLetter.task,
  PlatformIndex.deadLetter.docType,
  "",
);

/** One dead letter as indexed: the recorder's record, where it is stored, and when it was reported. */
export type DeadLetterDoc = Partial<DeadLetterRecord> & {
  bucket: string;
  deadLetterKey: string;
  queueName: string;
  sentTime: string;
  reportedTime: string;
  reportError?: string;
};

const s3Key = (raw: string) => decodeURIComponent(raw.replace(/\+/g, " "));

/**
 * The document for one dead-letter object. A record the recorder wrote is indexed as-is (minus its
 * free-form attributes map); anything unreadable is still reported, from its key and S3 metadata, with
 * the reason it could not be read: a dead letter must never vanish because its record is odd.
 */
export async function deadLetterDoc(
  s3: S3Client,
  bucket: string,
  key: string,
  now = new Date(),
): Promise<DeadLetterDoc> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const meta = out.Metadata ?? {};
  const fallback = (why: string): DeadLetterDoc => ({
    bucket,
    deadLetterKey: key,
    queueName: meta["queue-name"] || key.split("/")[0] || "unknown-queue",
    messageId: meta["message-id"],
    sentTime:
      meta["sent-time"] && !Number.isNaN(Date.parse(meta["sent-time"]))
        ? meta["sent-time"]
        : (out.LastModified ?? now).toISOString(),
    ...(meta.reason ? { reason: meta.reason } : {}),
    ...(meta["error-code"] ? { errorCode: meta["error-code"] } : {}),
    reportedTime: now.toISOString(),
    reportError: why,
  });
  let parsed: unknown;
  try {
    const bytes = Buffer.from(await out.Body!.transformToByteArray());
    parsed = JSON.parse(gunzipSync(bytes).toString("utf8"));
  } catch (e) {
    return fallback(`dead-letter object unreadable: ${(e as Error).message}`.slice(0, 1000));
  }
  const record = (parsed as { record?: unknown })?.record;
  if (!isValid(DeadLetterRecord, record)) return fallback("dead-letter object has no valid record");
  const { attributes: _attributes, ...rest } = record;
  void _attributes; // free-form sender attributes: kept in S3, not indexed (mapping explosion)
  return { ...rest, bucket, deadLetterKey: key, reportedTime: now.toISOString() };
}

/**
 * Index every dead letter of an S3 event straight into `dead_letter_data` (one bulk request), never
 * through the ingest queue: a dead letter of the ingest path itself therefore cannot loop. The id is the
 * bucket/key, so S3's at-least-once notifications overwrite rather than duplicate. Store failures throw:
 * Lambda's async retries apply, then the on-failure destination (a terminal queue nobody consumes).
 */
export async function reportDeadLetters(
  event: S3Event,
  deps: { s3: S3Client; store: DocumentStore; now?: Date },
): Promise<{ indexed: number; skipped: number }> {
  const ops: BulkOp[] = [];
  let skipped = 0;
  for (const r of event.Records ?? []) {
    const bucket = r.s3.bucket.name;
    const key = s3Key(r.s3.object.key);
    if (!key.endsWith(DEAD_LETTER_OBJECT_SUFFIX)) {
      skipped++;
      continue;
    }
    const doc = await deadLetterDoc(deps.s3, bucket, key, deps.now);
    ops.push({ action: "index", index: writeAlias(DEAD_LETTER_INDEX), id: `${bucket}/${key}`, doc });
  }
  if (ops.length === 0) return { indexed: 0, skipped };
  const results = await deps.store.bulk(ops);
  const bad = results.map((r, i) => ({ r, op: ops[i] })).filter((x) => !x.r.ok);
  if (bad.length)
    throw new Error(
      `could not index ${bad.length} dead letter(s): ${bad
        .map((x) => `${x.op.id}: ${x.r.error}`)
        .join("; ")
        .slice(0, 2000)}`,
    );
  return { indexed: ops.length, skipped };
}
