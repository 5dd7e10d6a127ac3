import {
  indexBase,
  keyHash,
  versionedIndexName,
  withDocFieldMappings,
  type DocumentCollection,
  type IndexFlavour,
} from "@sec-an/contracts";
import type { SQSRecord } from "aws-lambda";
import { applyIndex } from "../src/admin";
import type { IndexAdmin } from "../src/store/types";

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
