import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { awsClientConfig, emulatorEndpoints, FaultProxy, uniqueName } from "../src";
import { openSearchForTests, type OpenSearchUnderTest } from "../src/opensearch";

let os: OpenSearchUnderTest;
let proxy: FaultProxy;
beforeAll(async () => {
  os = await openSearchForTests();
  proxy = await FaultProxy.start(os.url);
});
afterAll(async () => {
  await proxy.close();
  await os.close();
});
beforeEach(() => proxy.clear());

const get = (path: string, init?: RequestInit) => fetch(`${proxy.url}${path}`, init);

describe("FaultProxy in front of the OpenSearch double", () => {
  it("forwards unchanged when no rule applies, and logs each request", async () => {
    const before = proxy.log.length;
    const res = await get("/_alias/*.write");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(proxy.log.slice(before)).toEqual([{ method: "GET", path: "/_alias/*.write" }]);
  });

  it("answers a scripted status instead of forwarding, honouring skip and times", async () => {
    proxy.script([
      { match: { path: /^\/_alias/ }, skip: 1, times: 2, fault: { kind: "status", status: 403, body: "{}" } },
    ]);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get("/_alias/*.write")).status);
    expect(statuses).toEqual([200, 403, 403, 200]);
    expect(proxy.log.slice(-4).map((l) => l.fault)).toEqual([undefined, "status", "status", undefined]);
  });

  it("matches on method, body and header, all of them", async () => {
    proxy.script([
      {
        match: { method: "POST", body: /needle/, header: { "x-test": /^yes$/ } },
        fault: { kind: "status", status: 429 },
      },
    ]);
    const post = (body: string, h: string) =>
      get("/_bulk", {
        method: "POST",
        body,
        headers: { "x-test": h, "content-type": "application/x-ndjson" },
      });
    expect((await post("needle", "yes")).status).toBe(429);
    expect((await post("needle", "no")).status).not.toBe(429);
    expect((await post("hay", "yes")).status).not.toBe(429);
  });

  it("drops the connection", async () => {
    proxy.script([{ fault: { kind: "drop" } }]);
    await expect(get("/_alias/*.write")).rejects.toThrow();
  });

  it("holds a timed-out request until the client gives up", async () => {
    proxy.script([{ fault: { kind: "timeout" } }]);
    await expect(get("/_alias/*.write", { signal: AbortSignal.timeout(200) })).rejects.toThrow();
  });

  it("delays, then forwards the real answer", async () => {
    proxy.script([{ fault: { kind: "delay", ms: 150 } }]);
    const t0 = Date.now();
    const res = await get("/_alias/*.write");
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("cuts a response short so the client cannot read a whole body", async () => {
    proxy.script([{ fault: { kind: "short", bytes: 1 } }]);
    await expect(get("/").then((r) => r.text())).rejects.toThrow();
  });

  it("rewrites the real response", async () => {
    proxy.script([
      {
        fault: {
          kind: "rewrite",
          fn: (r) => ({ status: 503, body: JSON.stringify({ was: r.status, len: r.body.length > 0 }) }),
        },
      },
    ]);
    const res = await get("/_alias/*.write");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ was: 200, len: true });
  });

  it("close() ends a request held by a timeout", async () => {
    const p = await FaultProxy.start(os.url);
    p.script([{ fault: { kind: "timeout" } }]);
    const pending = fetch(`${p.url}/`).then(
      () => "answered",
      () => "failed",
    );
    await new Promise((r) => setTimeout(r, 50));
    await p.close();
    expect(await pending).toBe("failed");
  });
});

describe("FaultProxy in front of fauxqs", () => {
  it("fails one SendMessage by its x-amz-target header, then lets the retry through", async () => {
    const sqsProxy = await FaultProxy.start(emulatorEndpoints().aws);
    try {
      const sqs = new SQSClient({ ...awsClientConfig(sqsProxy.url), maxAttempts: 1 });
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("fq") }));
      sqsProxy.script([
        {
          match: { header: { "x-amz-target": /SendMessage$/ } },
          times: 1,
          fault: { kind: "status", status: 500, body: '{"__type":"InternalError"}' },
        },
      ]);
      await expect(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "one" }))).rejects.toThrow();
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "two" }));
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
      expect(got.Messages?.map((m) => m.Body)).toEqual(["two"]);
      expect(sqsProxy.log.filter((l) => l.fault === "status")).toHaveLength(1);
    } finally {
      await sqsProxy.close();
    }
  });
});
