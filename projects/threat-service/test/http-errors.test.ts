import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { ErrorChannelEnv } from "@sec-an/contracts";
import { logger, resetClients, setClients } from "@sec-an/runtime";
import { awsClientConfig, captureErrorsTopic } from "@sec-an/testing";
import { serve } from "../src/http";
import type { ServiceDeps } from "../src/service";

logger.setLogLevel("SILENT");
const sqs = new SQSClient(awsClientConfig());
const sns = new SNSClient(awsClientConfig());
afterAll(() => {
  resetClients();
  delete process.env[ErrorChannelEnv.topicArn];
  sqs.destroy();
  sns.destroy();
});

test("a request that fails on our side is a 500 to the caller and an `internal` error event", async () => {
  const errors = await captureErrorsTopic({ sqs, sns });
  setClients({ sns });
  const deps = (): ServiceDeps => {
    throw new Error("state table unreachable");
  };
  const res = await serve(
    { method: "GET", path: "/cts/sec-an/some-id", headers: {}, body: Buffer.alloc(0) },
    "sec-an",
    deps,
  );
  expect(res.statusCode).toBe(500);
  expect(res.body).not.toContain("unreachable");
  expect(await errors.events()).toEqual([
    expect.objectContaining({ code: "internal", message: "state table unreachable" }),
  ]);
});
