import { Type } from "@sinclair/typebox";
import { Env, type ScannerModule } from "@sec-an/contracts";
import { getRawResult, logger, resetClients, setClients } from "../src";
import { runContainerScan } from "../src/container-scan";
import { createBucket, emulatorClients } from "./helpers";

logger.setLogLevel("SILENT");
const c = emulatorClients();
beforeEach(() => setClients({ s3: c.s3 }));
afterEach(() => resetClients());

const Request = Type.Object({ target: Type.String({ pattern: "^[a-z0-9.]+$" }) });
const scanner: Pick<ScannerModule<typeof Request>, "name" | "requestSchema" | "scan"> = {
  name: "boxed",
  requestSchema: Request,
  scan: {
    kind: "container",
    run: async (req) => {
      if (req.target === "crash") throw new Error("scanner crashed");
      const t = new Date("2026-11-27T10:00:00Z");
      return { body: `seen ${req.target}`, extension: "txt", startTime: t, endTime: t };
    },
  },
};
const env = (bucket: string, request: string) => ({
  [Env.resultsBucket]: bucket,
  [Env.scanRequestId]: "req-1",
  [Env.scanRequest]: request,
});

describe("runContainerScan (fauxqs S3)", () => {
  it("stores what the module's scan returns, with the request, and exits 0", async () => {
    const bucket = await createBucket(c.s3, "boxed");
    expect(await runContainerScan(scanner, env(bucket, JSON.stringify({ target: "127.0.0.1" })))).toBe(0);
    const raw = await getRawResult(bucket, "boxed/2026/11/27/req-1.txt", c.s3);
    expect(raw.body.toString()).toBe("seen 127.0.0.1");
    expect(raw.metadata.request).toEqual({ target: "127.0.0.1" });
  });

  it("exits 2 for a request that can never succeed, and 1 when the scan fails", async () => {
    const bucket = await createBucket(c.s3, "boxedbad");
    expect(await runContainerScan(scanner, env(bucket, "{not json"))).toBe(2);
    expect(await runContainerScan(scanner, env(bucket, JSON.stringify({ target: "a;b" })))).toBe(2);
    expect(await runContainerScan(scanner, { [Env.scanRequest]: "{}" })).toBe(2);
    expect(await runContainerScan(scanner, env(bucket, JSON.stringify({ target: "crash" })))).toBe(1);
  });
});
