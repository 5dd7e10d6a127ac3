import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { DocumentCollection } from "@sec-an/contracts";
import {
  CollectingPublisher,
  logger,
  makeScannerParseHandler,
  putRawResult,
  resetClients,
  runScannerParser,
  setClients,
  type CascadePublisher,
} from "@sec-an/runtime";
import { s3ClientConfig, uniqueName } from "@sec-an/testing";
import type { S3Event } from "aws-lambda";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseStream } from "../src/handlers/parse";
import type { StreamedNmapRun } from "../src/parser";
import { nmapTask } from "../src/task";
import { fixture, rawResult } from "./helpers";
import { syntheticNmapXml } from "./synthetic";

/**
 * The Lambda's streamed parse (S3 body in chunks, published as hosts complete) against the in-memory
 * parse of the same bytes: the same collections and port events; malformed XML part-way fails with the
 * byte offset, after only whole hosts went out.
 */
logger.setLogLevel("SILENT");
const s3 = new S3Client(s3ClientConfig());
const bucket = uniqueName("nmap-stream").toLowerCase();
beforeAll(async () => {
  setClients({ s3 });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => resetClients());

class Cascades implements CascadePublisher {
  readonly events: unknown[] = [];
  async publish(_: unknown, events: readonly { event: unknown }[]) {
    this.events.push(...events.map((e) => e.event));
  }
}

/** A collection without its parse time (each parse run stamps its own). */
const docsOf = (messages: readonly { body: string }[]) =>
  messages.map((m) => {
    const { parsedAt: _, ...rest } = JSON.parse(m.body) as DocumentCollection;
    return rest;
  });

async function streamed(xml: string | Buffer, request: unknown = { target: "127.0.0.7" }) {
  const t = new Date("2026-11-23T10:05:00Z");
  const key = await putRawResult({
    bucket,
    task: "nmap",
    scanId: "scan-1",
    request,
    output: { body: xml, extension: "xml", startTime: t, endTime: t },
    s3,
  });
  const publisher = new CollectingPublisher();
  const cascades = new Cascades();
  const handler = makeScannerParseHandler<StreamedNmapRun>(
    { ...nmapTask, parseStream },
    { publisher, cascadePublisher: cascades },
  );
  const event = { Records: [{ s3: { bucket: { name: bucket }, object: { key } } }] } as unknown as S3Event;
  let error: Error | undefined;
  try {
    await handler(event);
  } catch (e) {
    error = e as Error;
  }
  return { key, publisher, cascades, error };
}

async function expectSameAsInMemory(xml: string | Buffer) {
  const s = await streamed(xml);
  expect(s.error).toBeUndefined();
  const raw = rawResult(
    xml,
    { scanEndTime: "2026-11-23T10:05:00.000Z", scanStartTime: "2026-11-23T10:05:00.000Z" },
    s.key,
  );
  const whole = await runScannerParser(raw, nmapTask);
  expect(docsOf(s.publisher.messages)).toEqual(docsOf(whole.messages));
  expect(s.cascades.events).toEqual(whole.cascades.map((c) => c.event));
}

describe("streamed nmap parse = in-memory parse", () => {
  const fixtures = readdirSync(join(__dirname, "fixtures")).filter((f) => f.endsWith(".xml"));
  it.each(fixtures)("fixture %s", (name) => expectSameAsInMemory(fixture(name)));

  it("a 2 MB synthetic report, read in many chunks", () =>
    expectSameAsInMemory(syntheticNmapXml({ hosts: 400, portsPerHost: 5, cvesPerPort: 2, tlsEvery: 5 })));
});

describe("malformed XML part-way through a streamed report", () => {
  it("fails with the byte offset and reason, having published only whole hosts", async () => {
    const xml = syntheticNmapXml({ hosts: 300, portsPerHost: 2 });
    // Cut inside host 250 and close the root: the XML is malformed there.
    const cut = xml.indexOf('<address addr="10.0.0.250"');
    const s = await streamed(`${xml.slice(0, cut)}</nmaprun>\n`);
    expect(s.error?.message).toMatch(
      new RegExp(`at byte ${cut}: closing tag </nmaprun> does not match <host>`),
    );
    const published = docsOf(s.publisher.messages);
    expect(published.length).toBeGreaterThan(0);
    expect(published.length).toBeLessThanOrEqual(250);
    // Every published collection is a whole host: its data document and all its ports are there.
    for (const m of published) {
      expect(m.part).toBeUndefined();
      expect(m.docs.data).toHaveLength(1);
      expect(m.docs.ports).toHaveLength(2);
    }
  });
});
