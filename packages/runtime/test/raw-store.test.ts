import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { RawMeta } from "@sec-an/contracts";
import { getRawResult, isSidecarKey, listRawResults, putRawResult, RawResultError } from "../src";
import { createBucket, emulatorClients } from "./helpers";

const { s3 } = emulatorClients();
const output = (endTime = new Date("2026-11-23T10:05:00Z")) => ({
  body: "<nmaprun/>",
  extension: "xml",
  contentType: "application/xml",
  startTime: new Date("2026-11-23T10:00:00Z"),
  endTime,
});
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe("raw results store (fauxqs S3)", () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await createBucket(s3, "raw");
  });

  it("round-trips body, timing and the request as metadata", async () => {
    const request = { target: "127.0.0.1", requestedAt: "2026-11-23T09:59:00Z", note: "ünïcode ✓" };
    const key = await putRawResult({
      bucket,
      task: "nmap",
      scanId: "scan-rt",
      request,
      output: output(),
      s3,
    });
    expect(key).toBe("nmap/2026/11/23/scan-rt.xml");
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.Metadata?.[RawMeta.scanId]).toBe("scan-rt");
    expect(head.ContentType).toBe("application/xml");
    const raw = await getRawResult(bucket, key, s3);
    expect(raw.body.toString()).toBe("<nmaprun/>");
    expect(raw.metadata).toEqual({
      scanId: "scan-rt",
      task: "nmap",
      scanStartTime: "2026-11-23T10:00:00.000Z",
      scanEndTime: "2026-11-23T10:05:00.000Z",
      request,
    });
  });

  it("stores a request too large for metadata in a sidecar object", async () => {
    const request = {
      target: "example.org",
      hosts: Array.from({ length: 200 }, (_, i) => `host-${i}.example.org`),
    };
    const key = await putRawResult({
      bucket,
      task: "nmap",
      scanId: "scan-big",
      request,
      output: output(),
      s3,
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.Metadata?.[RawMeta.request]).toBeUndefined();
    const sidecar = head.Metadata?.[RawMeta.requestKey];
    expect(sidecar && isSidecarKey(sidecar)).toBe(true);
    const side = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: sidecar }));
    expect(JSON.parse(await side.Body!.transformToString())).toEqual(request);
    expect((await getRawResult(bucket, key, s3)).metadata.request).toEqual(request);
    await expect(getRawResult(bucket, sidecar!, s3)).rejects.toThrow(/sidecar/);
  });

  it("gives a clear error for missing or garbled metadata", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "nmap/2026/11/23/nometa.xml", Body: "x" }));
    await expect(getRawResult(bucket, "nmap/2026/11/23/nometa.xml", s3)).rejects.toThrow(
      /metadata is missing scan-id, task, scan-start-time, scan-end-time, request/,
    );
    const meta = {
      "scan-id": "s",
      task: "nmap",
      "scan-start-time": "2026-11-23T10:00:00Z",
      "scan-end-time": "2026-11-23T10:05:00Z",
      request: "bm90IGpzb24",
    };
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "nmap/2026/11/23/garbled.xml", Body: "x", Metadata: meta }),
    );
    const err = await getRawResult(bucket, "nmap/2026/11/23/garbled.xml", s3).catch((e) => e);
    expect(err).toBeInstanceOf(RawResultError);
    expect(err.message).toMatch(/garbled.xml: request metadata is not JSON/);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "nmap/2026/11/23/badtime.xml",
        Body: "x",
        Metadata: { ...meta, request: "e30", "scan-end-time": "yesterday" },
      }),
    );
    await expect(getRawResult(bucket, "nmap/2026/11/23/badtime.xml", s3)).rejects.toThrow(
      /raw result metadata is invalid: \/scanEndTime/,
    );
  });

  it("lists a task's results by dated prefix across pages", async () => {
    const b = await createBucket(s3, "list");
    for (const [i, day] of ["2026-11-20", "2026-11-21", "2026-11-22"].entries()) {
      for (let j = 0; j < 3; j += 1) {
        await putRawResult({
          bucket: b,
          task: "ssl",
          scanId: `s${i}-${j}`,
          request: {},
          output: output(new Date(`${day}T12:00:00Z`)),
          s3,
        });
      }
    }
    await putRawResult({ bucket: b, task: "nmap", scanId: "other", request: {}, output: output(), s3 });
    const all = await collect(listRawResults(b, { task: "ssl", s3 }));
    expect(all.map((o) => o.key).sort()).toHaveLength(9);
    const since = await collect(
      listRawResults(b, {
        task: "ssl",
        since: new Date("2026-11-21T23:00:00Z"),
        until: new Date("2026-11-22T01:00:00Z"),
        s3,
      }),
    );
    expect(since.map((o) => o.key).sort()).toEqual([
      "ssl/2026/11/21/s1-0.xml",
      "ssl/2026/11/21/s1-1.xml",
      "ssl/2026/11/21/s1-2.xml",
      "ssl/2026/11/22/s2-0.xml",
      "ssl/2026/11/22/s2-1.xml",
      "ssl/2026/11/22/s2-2.xml",
    ]);
    expect(since.every((o) => o.size > 0)).toBe(true);
  });
});
