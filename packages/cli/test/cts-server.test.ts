import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CtsEnv, OPENSEARCH_URL_ENV, Params, paramName, type CtsResponse } from "@sec-an/contracts";
import { resetClients, setClients, setParamOverrides } from "@sec-an/runtime";
import { awsClientConfig, dynamoClientConfig, restoreEnvAfterAll, uniqueName } from "@sec-an/testing";
import { handler as apiHandler } from "../../../projects/threat-service/src/handlers/api";
import { handler as searchHandler } from "../../../projects/threat-service/src/handlers/search";
import {
  createDnsTables,
  createStateTables,
  dynamo,
  ingestName,
  scanInitiatorStandIn,
} from "../../../projects/threat-service/test/helpers";
import { scannedHost, snapshotStore } from "../../../projects/threat-service/test/store";
import { sqsPoller, type Loop } from "../src/local/bridges";
import { ctsExample, startCtsServer, toApiGatewayEvent, type CtsServer } from "../src/local/cts-server";
import type { LocalClients } from "../src/local/provision";
import type { LocalInvoker } from "../src/local/invoker";

/**
 * A client that behaves like SOAR against the CTS on loopback: the loopback server hands each request to
 * the real API handler; the real search worker consumes the search queue (fauxqs) as the local run's
 * poller does; state and the DNS tables are on dynalite, the snapshot documents on the OpenSearch double.
 * (The whole `sec-an local --keep-running` run is not started here: it would add nmap and the pipeline's
 * minutes to a test about the service.)
 */
const sqs = new SQSClient(awsClientConfig());
const stage = { app: "sec-an", stage: "ctstest" };
restoreEnvAfterAll([
  CtsEnv.activeTable,
  CtsEnv.resultsTable,
  CtsEnv.searchQueueUrl,
  CtsEnv.recheckSecs,
  CtsEnv.scanMaxAgeSecs,
  OPENSEARCH_URL_ENV,
  "SEC_AN_STAGE",
]);

let server: CtsServer;
let poller: Loop;
let store: Awaited<ReturnType<typeof snapshotStore>>;
let scans: Awaited<ReturnType<typeof scanInitiatorStandIn>>;

beforeAll(async () => {
  store = await snapshotStore();
  await scannedHost(store.put, "127.0.0.1", new Date(Date.now() - 3600_000));
  const { client, doc } = dynamo();
  const state = await createStateTables(client);
  const dns = await createDnsTables(client);
  await ingestName(doc, dns, "app.sec-an.test", ["127.0.0.1"]);
  await ingestName(doc, dns, "new.sec-an.test", ["127.0.0.2"]);
  const searchQueue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("cts-searches") })))
    .QueueUrl!;
  scans = await scanInitiatorStandIn();
  const topicArn = scans.topicArn;

  Object.assign(process.env, {
    [CtsEnv.activeTable]: state.active,
    [CtsEnv.resultsTable]: state.results,
    [CtsEnv.searchQueueUrl]: searchQueue,
    [CtsEnv.recheckSecs]: "1",
    [CtsEnv.scanMaxAgeSecs]: "86400",
    [OPENSEARCH_URL_ENV]: store.os.url,
    SEC_AN_STAGE: stage.stage,
  });
  setParamOverrides({
    [paramName(stage, Params.resolvedHostsTableId)]: dns.resolvedHosts,
    [paramName(stage, Params.resolvedAddressesTableId)]: dns.resolvedAddresses,
    [paramName(stage, Params.scanInitiatorTopicArn)]: topicArn,
  });
  setClients({ sqs, sns: scans.sns, dynamo: new DynamoDBClient(dynamoClientConfig()) });

  const invoker = {
    invoke: async (_ref: string, event: unknown) => ({
      ok: true,
      result: await searchHandler(event as never),
      ms: 0,
    }),
  };
  poller = sqsPoller(
    { sqs } as LocalClients,
    invoker as unknown as LocalInvoker,
    "cts-search",
    searchQueue,
    "arn:aws:sqs:us-east-1:000000000000:cts-searches",
    10,
  );
  server = await startCtsServer((event) => apiHandler(event));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await poller?.stop();
  await store?.close();
  setParamOverrides(undefined);
  resetClients();
});

const post = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  fetch(server.url, { method: "POST", body, headers, redirect: "manual" });

/** What SOAR does: POST the artifact, then GET every retry_secs until a 200 (bounded). */
async function soar(
  artifact: object,
  onPending?: () => Promise<void>,
): Promise<{ polls: number; answer: CtsResponse }> {
  let r = await post(JSON.stringify(artifact));
  let body = (await r.json()) as CtsResponse;
  let polls = 0;
  while (r.status === 303) {
    expect(body.retry_secs).toBeGreaterThanOrEqual(1);
    if (polls === 0) await onPending?.();
    if (++polls > 6) throw new Error("still pending after 6 polls");
    await new Promise((res) => setTimeout(res, body.retry_secs! * 1000));
    r = await fetch(`${server.url}/${body.id}`, { redirect: "manual" });
    body = (await r.json()) as CtsResponse;
  }
  expect(r.status).toBe(200);
  expect(body.retry_secs).toBeUndefined();
  return { polls, answer: body };
}

const scanRequests = async () => (await scans.requests(1)).map((r) => r.request);

const props = (hit: CtsResponse["hits"][number]) =>
  Object.fromEntries(hit.props.map((p) => [p.name, p.value]));

describe("the CTS on loopback, driven like SOAR", () => {
  test("OPTIONS: capabilities; bad input: a 4xx JSON error", async () => {
    const o = await fetch(server.url, { method: "OPTIONS" });
    expect([o.status, await o.json()]).toEqual([200, { upload_file: false }]);
    const bad = await post("{oops");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "malformed-json" } });
    const xml = await post("<x/>", { "content-type": "text/xml" });
    expect(xml.status).toBe(415);
    const big = await post("x".repeat(1024 * 1024 + 10));
    expect(big.status).toBe(413);
    const unknown = await fetch(`${server.url}/00000000-0000-5000-8000-000000000000`);
    expect([unknown.status, ((await unknown.json()) as CtsResponse).hits]).toEqual([200, []]);
  });

  test("net.ip of an address we scanned: 303 then, polled, 200 with its hits; the id is the same on every POST", async () => {
    const { polls, answer } = await soar({ type: "net.ip", value: "127.0.0.1" });
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(props(answer.hits[0])).toMatchObject({
      Address: "127.0.0.1",
      "Open ports": "2",
      "Highest CVE severity": "9.8",
    });
    // Cached: the next POST answers at once, under the same id.
    const again = await post('{"value":"127.0.0.1","type":"net.ip"}', {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as CtsResponse).id).toBe(answer.id);
    expect(await scanRequests()).toEqual([]);
  }, 60_000);

  test("an owned address with no data: a scan is asked for, and its results reach SOAR when they land", async () => {
    const { answer } = await soar({ type: "net.ip", value: "127.0.0.2" }, async () => {
      const requests = await scanRequests();
      expect(requests.map((q) => q.target)).toEqual(["127.0.0.2"]);
      // The scanner and the ingestor do their part: the documents of that scan arrive.
      await scannedHost(store.put, "127.0.0.2", new Date());
    });
    expect(props(answer.hits[0])).toMatchObject({ Address: "127.0.0.2", "Open ports": "2" });
  }, 60_000);

  test("an address we do not own with no data: no scan, an empty answer", async () => {
    const { answer } = await soar({ type: "net.ip", value: "127.0.0.3" });
    expect(answer.hits).toEqual([]);
    expect(await scanRequests()).toEqual([]);
  }, 60_000);

  test("the local run's hint names the artifact type that fits its target", () => {
    expect(ctsExample("http://127.0.0.1:1/cts/sec-an", "127.0.0.2")).toBe(
      `curl -X POST http://127.0.0.1:1/cts/sec-an -d '{"type":"net.ip","value":"127.0.0.2"}'`,
    );
    expect(ctsExample("u", "localhost")).toContain('"type":"net.name"');
    expect(ctsExample("u", "127.0.0.0/30")).toContain('"type":"net.cidr"');
  });
});

describe("toApiGatewayEvent", () => {
  const ev = (path: string) =>
    toApiGatewayEvent("GET", new URL(path, "http://127.0.0.1"), {}, Buffer.alloc(0));
  test("fills the path parameters of both routes, decoded, as API Gateway does", () => {
    expect(ev("/cts/net.ip").pathParameters).toEqual({ name: "net.ip" });
    expect(ev("/cts/net.ip/ab%2Fc").pathParameters).toEqual({ name: "net.ip", id: "ab/c" });
    expect(ev("/cts/net.ip/abc").resource).toBe("/cts/{name}/{id}");
    expect(ev("/cts/net.ip").resource).toBe("/cts/{name}");
  });
  test("no parameters for a path neither route matches", () => {
    for (const p of ["/", "/cts", "/cts/", "/other/x", "/cts/a/b/c", "/cts//x"])
      expect(ev(p).pathParameters).toBeNull();
  });
});
