import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DocumentCollection, validate, type ParseFn } from "@sec-an/contracts";
import { awsClientConfig, captureIo, createTestBucket, s3ClientConfig, uniqueName } from "@sec-an/testing";
import { CollectingPublisher, putRawResult } from "../../src";
import { SqsPublisher, parseReingestArgs, reingest, reingestCommand } from "../../src/reingest";

const TASK = "demo";
/** A parser: body is `{ hosts: { [address]: ports[] } }`. */
const parse: ParseFn = (raw, tools) => {
  const { hosts } = JSON.parse(raw.body.toString("utf8")) as { hosts: Record<string, number[]> };
  for (const [address, ports] of Object.entries(hosts)) {
    const ctx = tools.results({ address });
    for (const port of ports) {
      ctx.pushContext({ port });
      ctx.postResults("ports", { address, port });
      ctx.popContext();
    }
  }
};

let s3: S3Client;
let sqs: SQSClient;
let bucket: string;
let queue: string;
beforeAll(async () => {
  s3 = new S3Client(s3ClientConfig());
  sqs = new SQSClient(awsClientConfig());
  bucket = await createTestBucket(s3, "raw");
  queue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("ingest") }))).QueueUrl!;
  const put = (scanId: string, end: string, hosts: Record<string, number[]>) =>
    putRawResult({
      bucket,
      task: TASK,
      scanId,
      request: { target: Object.keys(hosts)[0] },
      s3,
      output: {
        body: JSON.stringify({ hosts }),
        extension: "json",
        startTime: new Date(end),
        endTime: new Date(end),
      },
    });
  await put("s1", "2026-01-01T10:00:00Z", { "127.0.0.1": [22, 80] });
  await put("s2", "2026-01-02T10:00:00Z", { "127.0.0.1": [22], "127.0.0.2": [443] });
  await put("s3", "2026-01-05T10:00:00Z", { "127.0.0.3": [25] });
  // Not a raw result at all: reported, and the others still replay.
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${TASK}/2026/01/03/broken.json`, Body: "x" }));
});
afterAll(() => {
  s3.destroy();
  sqs.destroy();
});

async function drain(): Promise<DocumentCollection[]> {
  const out: DocumentCollection[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10 }));
    if (!r.Messages?.length) return out;
    out.push(...r.Messages.map((m) => validate(DocumentCollection, JSON.parse(m.Body!))));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue,
        Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}
/** Every document id the ingestor would write: snapshot ids and history ids. */
const ids = (cs: DocumentCollection[]) =>
  cs
    .flatMap((c) =>
      Object.values(c.docs).flatMap((ds) =>
        ds.flatMap((d) => [d.nonTemporalKey, `${d.nonTemporalKey}@${c.temporalKey}`]),
      ),
    )
    .sort();

describe("reingest", () => {
  it("replays raw results into the ingest queue; running it twice gives identical document ids and counts", async () => {
    const opts = {
      bucket,
      task: TASK,
      parse,
      parserVersion: "2",
      publisher: new SqsPublisher(queue, () => sqs),
      s3,
    };
    const first = await reingest(opts);
    const firstMsgs = await drain();
    const second = await reingest(opts);
    const secondMsgs = await drain();
    expect(first).toEqual({
      objects: 4,
      parsed: 3,
      messages: 4,
      documents: 5,
      failures: [
        { key: `${TASK}/2026/01/03/broken.json`, error: expect.stringMatching(/metadata is missing/) },
      ],
    });
    expect(second).toEqual(first);
    expect(firstMsgs).toHaveLength(4);
    expect(ids(secondMsgs)).toEqual(ids(firstMsgs));
    // 5 history ids, 4 snapshot ids: 127.0.0.1:22 was seen by two scans and has one snapshot document.
    expect(new Set(ids(firstMsgs)).size).toBe(9);
    expect(firstMsgs.every((c) => c.lineage.parserVersion === "2")).toBe(true);
  });

  it("limits by day with since/until, and publishes nothing on a dry run", async () => {
    const pub = new CollectingPublisher();
    const r = await reingest({
      bucket,
      task: TASK,
      parse,
      parserVersion: "2",
      publisher: pub,
      s3,
      since: new Date("2026-01-02T00:00:00Z"),
      until: new Date("2026-01-04T00:00:00Z"),
    });
    expect(r).toMatchObject({ objects: 2, parsed: 1, documents: 2 });
    const dry = new CollectingPublisher();
    await expect(
      reingest({ bucket, task: TASK, parse, parserVersion: "2", publisher: dry, s3, dryRun: true }),
    ).resolves.toMatchObject({ parsed: 3, documents: 5 });
    expect(dry.messages).toHaveLength(0);
  });
});

describe("reingest command", () => {
  const registry = { [TASK]: { name: TASK, parserVersion: "3", parse } };

  it("parses its arguments strictly", () => {
    expect(parseReingestArgs(["--task", "nmap", "--since", "2026-01-01", "--dry-run"])).toEqual({
      task: "nmap",
      since: new Date("2026-01-01T00:00:00Z"),
      dryRun: true,
    });
    expect(() => parseReingestArgs(["--since", "2026-01-01"])).toThrow(/--task is required/);
    expect(() => parseReingestArgs(["--task", "x", "--since", "01/01/2026"])).toThrow(/YYYY-MM-DD/);
    expect(() => parseReingestArgs(["--task", "x", "--bogus"])).toThrow(/unknown argument/);
  });

  it("replays a registered task and reports failures with exit 1; usage errors exit 2", async () => {
    const a = captureIo();
    const pub = new CollectingPublisher();
    const code = await reingestCommand(["--task", TASK, "--bucket", bucket], a.io, registry, {
      publisher: pub,
      run: (o) => reingest({ ...o, s3 }),
    });
    expect(code).toBe(1);
    expect(JSON.parse(a.out.stdout)).toMatchObject({
      task: TASK,
      bucket,
      parsed: 3,
      documents: 5,
      failures: 1,
    });
    expect(a.out.stderr).toMatch(/FAILED demo\/2026\/01\/03\/broken\.json/);
    expect(pub.messages).toHaveLength(4);
    const b = captureIo();
    expect(await reingestCommand(["--task", "nope"], b.io, registry)).toBe(2);
    expect(b.out.stderr).toMatch(/unknown task "nope" \(known: demo\)/);
    expect(await reingestCommand([], captureIo().io, registry)).toBe(2);
  });
});
