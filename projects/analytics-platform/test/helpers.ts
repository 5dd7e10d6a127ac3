import {
  DocFields,
  IngestFields,
  IngestMarkerIndex,
  indexBase,
  keyHash,
  readAlias,
  writeAlias,
  versionedIndexName,
  withDocFieldMappings,
  type DocumentCollection,
  type IndexFlavour,
} from "@sec-an/contracts";
import type { SQSRecord } from "aws-lambda";
import { applyIndex } from "../src/admin";
import type { DocumentStore, IndexAdmin } from "../src/store/types";

/** Create managed indices the way ElasticIndex does (through the admin logic). */
export async function createIndices(
  admin: IndexAdmin,
  task: string,
  docType: string,
  flavours: IndexFlavour[],
  mappings: Record<string, unknown> = { properties: {} },
) {
  for (const f of flavours) {
    const base = indexBase(task, docType, f);
    const m = f ? withDocFieldMappings(mappings) : mappings;
    await applyIndex(
      {
        kind: "index",
        base,
        index: versionedIndexName(base, { mappings: m, settings: {} }),
        mappings: m,
        settings: {},
        forceDestroy: true,
      },
      admin,
    );
  }
}

let n = 0;
export function sqsRecord(body: unknown, attrs: Record<string, string> = {}): SQSRecord {
  n += 1;
  return {
    messageId: `m-${n}`,
    receiptHandle: `r-${n}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "0",
      SenderId: "x",
      ApproximateFirstReceiveTimestamp: "0",
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attrs).map(([k, v]) => [
        k,
        { stringValue: v, dataType: "String", stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:dev-sec-an-ingest",
    awsRegion: "us-east-1",
  };
}

/** A collection of `ports` for one host, as a parser's ResultsContext would publish it. */
export function portsCollection(
  task: string,
  host: string,
  ports: number[],
  end: string,
  extra: Partial<DocumentCollection> = {},
): DocumentCollection {
  const parent = { address: host };
  return {
    kind: "collection",
    task,
    parentKey: keyHash(parent),
    temporalKey: keyHash({ ...parent, end }),
    scanId: `scan-${end.replace(/[^0-9]/g, "")}`,
    scanStartTime: end,
    scanEndTime: end,
    lineage: {
      scanId: `scan-${end.replace(/[^0-9]/g, "")}`,
      task,
      rawKey: `${task}/raw.xml`,
      parserVersion: "1",
    },
    docs: {
      ports: ports.map((port) => ({
        nonTemporalKey: keyHash({ ...parent, port }),
        data: { address: host, port },
      })),
    },
    ...extra,
  };
}

/** The marker index the ingestor keeps its per-parent latest-scan records in (as the platform creates it). */
export async function createMarkerIndex(admin: IndexAdmin) {
  await createIndices(admin, IngestMarkerIndex.task, IngestMarkerIndex.docType, [""], {
    properties: { [IngestFields.generation]: { type: "long" } },
  });
}

/** Snapshot and history indices of `docTypes` for `task`, plus the marker index. */
export async function createIngestIndices(admin: IndexAdmin, task: string, docTypes: string[]) {
  for (const t of docTypes) await createIndices(admin, task, t, ["snapshot", "history"]);
  if (!(await admin.getIndex(writeAlias(indexBase(IngestMarkerIndex.task, IngestMarkerIndex.docType, "")))))
    await createMarkerIndex(admin);
}

export interface ScanSpec {
  host: string;
  /** Scan end, epoch ms. */
  end: number;
  /** Documents per doc type: each string is a key of one document. */
  docs: Record<string, string[]>;
  /** Parse run time, epoch ms (default: the end). */
  parsedAt?: number;
  part?: { index: number; count: number };
  /** Owned doc types (default: none declared: the types present). */
  docTypes?: string[];
  /** Extra data on every document (a parser version's output). */
  tag?: string;
}

/** A collection for one host as a ResultsContext would publish it, from a compact spec. */
export function scanCollection(task: string, s: ScanSpec): DocumentCollection {
  const parent = { address: s.host };
  const end = new Date(s.end).toISOString();
  const scanId = `scan-${s.end}`;
  return {
    kind: "collection",
    task,
    parentKey: keyHash(parent),
    temporalKey: keyHash({ scanEndTime: end }),
    scanId,
    scanStartTime: end,
    scanEndTime: end,
    lineage: { scanId, task, rawKey: `${task}/${scanId}.xml`, parserVersion: s.tag ?? "1" },
    docs: Object.fromEntries(
      Object.entries(s.docs).map(([type, keys]) => [
        type,
        keys.map((key) => ({
          nonTemporalKey: keyHash({ ...parent, type, key }),
          data: { address: s.host, key, ...(s.tag ? { tag: s.tag } : {}) },
        })),
      ]),
    ),
    ...(s.docTypes ? { docTypes: s.docTypes } : {}),
    ...(s.parsedAt !== undefined ? { parsedAt: new Date(s.parsedAt).toISOString() } : {}),
    ...(s.part ? { part: s.part } : {}),
  };
}

/** A host's snapshot as `type:key` strings, sorted: what the current-state view shows. */
export async function snapshotOf(
  store: DocumentStore,
  task: string,
  host: string,
  docTypes: string[],
): Promise<string[]> {
  const out: string[] = [];
  for (const t of docTypes) {
    const alias = readAlias(indexBase(task, t, "snapshot"));
    await store.refresh(alias);
    const docs = await store.search(
      alias,
      { term: { [DocFields.parentKey]: keyHash({ address: host }) } },
      10_000,
    );
    for (const d of docs)
      out.push(`${t}:${String(d.source.key)}${d.source.tag ? `#${String(d.source.tag)}` : ""}`);
  }
  return out.sort();
}
