import { Attr, DocFields, type ArtifactHit, type SearchJob } from "@sec-an/contracts";
import { PermanentFailure } from "@sec-an/runtime";
import { DynamoDnsReader, TopicScanRequester } from "../src/adapters";
import { searchId } from "../src/id";
import { searcherRegistry } from "../src/searchers";
import { INDEX } from "../src/searchers/facts";
import { getSearch, postArtifact } from "../src/service";
import type { SearchState } from "../src/state";
import { runSearch, type WorkerDeps } from "../src/worker";
import {
  createDnsTables,
  dynamo,
  ingestName,
  scanInitiatorStandIn,
  stateOnDynalite,
  testClock,
} from "./helpers";
import { scannedHost, snapshotStore } from "./store";

const T0 = 1_800_000_000;
const DAY = 86_400;

let store: Awaited<ReturnType<typeof snapshotStore>>;
let scans: Awaited<ReturnType<typeof scanInitiatorStandIn>>;
const scanRequests = () => scans.requests();
let dns: Awaited<ReturnType<typeof createDnsTables>>;

beforeAll(async () => {
  store = await snapshotStore();
  // 127.0.0.1: ours, scanned an hour before the searches start. 127.0.0.4: ours, scanned 3 days before.
  await scannedHost(store.put, "127.0.0.1", new Date((T0 - 3600) * 1000));
  await scannedHost(store.put, "127.0.0.4", new Date((T0 - 3 * DAY) * 1000));
  // config-scanner's findings on the security group of the interface holding 127.0.0.1.
  const finding = {
    region: "eu-west-2",
    account: "111122223333",
    resource: "sg-1",
    group_id: "sg-1",
    public_ips: ["127.0.0.1"],
    private_ips: [],
  };
  await store.put(INDEX.config, {
    ...finding,
    plugin: "openSSH",
    title: "Open SSH",
    status: "FAIL",
    severity: "high",
    open_to_world: true,
    ports: [22],
    message: "22/tcp open to 0.0.0.0/0",
  });
  await store.put(INDEX.config, {
    ...finding,
    plugin: "openRDP",
    title: "Open RDP",
    status: "OK",
    severity: "high",
    open_to_world: false,
    ports: [],
    message: "ok",
  });
  const { client, doc } = dynamo();
  dns = await createDnsTables(client);
  await ingestName(doc, dns, "app.sec-an.test", ["127.0.0.1"]);
  await ingestName(doc, dns, "new.sec-an.test", ["127.0.0.2"]);
  await ingestName(doc, dns, "old.sec-an.test", ["127.0.0.4"]);
  await ingestName(doc, dns, "twice.sec-an.test", ["127.0.0.5"]);
  scans = await scanInitiatorStandIn();
}, 60_000);
afterAll(() => store.close());

describe("searches over the snapshot indices and the DNS tables", () => {
  let state: SearchState;
  let clock: ReturnType<typeof testClock>;
  let queued: Array<{ job: SearchJob; delay: number }>;
  let deps: WorkerDeps;
  const searchers = searcherRegistry();
  const requester = () =>
    new TopicScanRequester(
      scans.sns,
      async () => scans.topicArn,
      new DynamoDnsReader(dynamo().doc, dns),
      () => new Date(clock.now() * 1000),
    );

  beforeEach(async () => {
    ({ state } = await stateOnDynalite());
    clock = testClock(T0);
    queued = [];
    deps = {
      state,
      searchers,
      context: {
        snapshots: store.reader,
        dns: new DynamoDnsReader(dynamo().doc, dns),
        scans: requester(),
        scanMaxAgeSecs: DAY,
      },
      requeue: async (job, delay) => {
        queued.push({ job, delay });
      },
      now: clock.now,
      hitTtlSecs: DAY,
      recheckSecs: 60,
    };
    await scanRequests();
  });

  /** POST the artifact, then run the job the POST queued. */
  async function search(type: string, value: string) {
    const svc = {
      state,
      searchers,
      now: clock.now,
      startSearch: async (job: SearchJob) => void queued.push({ job, delay: 0 }),
    };
    const posted = await postArtifact({ type, value }, svc);
    const job = queued.shift()!.job;
    return { posted, result: await runSearch(job, deps), answer: await getSearch(job.id, svc), job, svc };
  }
  const names = (h: ArtifactHit) => Object.fromEntries(h.props.map((p) => [p.name, p.value]));

  test("net.ip of a scanned address: ports, CVEs worst first, TLS, last scan; no scan asked for", async () => {
    const { posted, result, answer } = await search("net.ip", "127.0.0.1");
    expect(posted.status).toBe(303);
    expect(result).toBe("completed");
    expect(answer.status).toBe(200);
    const hits = answer.body.hits.map(names);
    expect(hits[0]).toMatchObject({
      Address: "127.0.0.1",
      "Last scan": new Date((T0 - 3600) * 1000).toISOString(),
      "Open ports": "2",
      "Highest CVE severity": "9.8",
      "Weakest TLS protocol": "TLSv1",
      "Soonest certificate expiry (days)": "-30",
    });
    expect(hits.filter((h) => h.Port && h.Service).map((h) => [h.Port, h.Service, h.Product])).toEqual([
      ["22", "ssh", "OpenSSH"],
      ["443", "https", "nginx"],
    ]);
    expect(hits.filter((h) => h.CVE).map((h) => h.CVE)).toEqual(["CVE-2023-38408", "CVE-2021-23017"]);
    expect(hits[0]["Configuration findings"]).toBe("1");
    expect(hits.filter((h) => h["Configuration finding"])).toEqual([
      expect.objectContaining({
        "Configuration finding": "Open SSH",
        "Finding status": "FAIL",
        Ports: "22",
        "Open to the internet": "true",
      }),
    ]);
    expect(hits.find((h) => h["TLS port"])).toMatchObject({
      "TLS host name": "app.sec-an.test",
      "Certificate chain": "self-signed",
    });
    const types = answer.body.hits[0].props.map((p) => [p.name, p.type]);
    expect(types).toContainEqual(["Address", "ip"]);
    expect(types).toContainEqual(["Open ports", "number"]);
    expect(await scanRequests()).toEqual([]);
  });

  test("an owned address with no data is scanned once; the search waits, then completes when the documents arrive", async () => {
    const { result, answer, job } = await search("net.ip", "127.0.0.2");
    expect(result).toBe("waiting");
    expect(answer).toMatchObject({ status: 303, body: { hits: [] } });
    const requests = await scanRequests();
    expect(requests).toHaveLength(1);
    expect(requests[0].request).toMatchObject({ target: "127.0.0.2", targetType: "ipv4" });
    expect(requests[0].attributes).toEqual({ [Attr.addressType]: "ipv4", [Attr.depth]: "0" });
    expect(queued).toEqual([{ job: { ...job, attempt: 2 }, delay: 60 }]);
    // A minute on, still no documents: it waits again without asking for a second scan.
    clock.advance(60);
    expect(await runSearch(queued.shift()!.job, deps)).toBe("waiting");
    expect(await scanRequests()).toEqual([]);
    await scannedHost(store.put, "127.0.0.2", new Date(clock.now() * 1000));
    clock.advance(60);
    expect(await runSearch(queued.shift()!.job, deps)).toBe("completed");
    const done = await getSearch(job.id, { state, now: clock.now });
    expect(done.status).toBe(200);
    expect(names(done.body.hits[0])).toMatchObject({ Address: "127.0.0.2", "Open ports": "2" });
  });

  test("a first look delivered twice asks for the scan once (recorded on the search, not by attempt)", async () => {
    const { result, job } = await search("net.ip", "127.0.0.5");
    expect(result).toBe("waiting");
    expect(await scanRequests()).toHaveLength(1);
    // The queue redelivers the same first look (its function timed out after the scan was asked for).
    expect(await runSearch(job, deps)).toBe("waiting");
    expect(await scanRequests()).toEqual([]);
    expect(await state.active(job.id)).toMatchObject({ scanRequested: true });
  });

  test("an address we do not own is never scanned: the answer is what we know (nothing)", async () => {
    const { result, answer } = await search("net.ip", "127.0.0.3");
    expect(result).toBe("completed");
    expect(answer).toEqual({
      status: 200,
      body: { id: searchId({ type: "net.ip", value: "127.0.0.3" }), hits: [] },
    });
    expect(await scanRequests()).toEqual([]);
  });

  test("an owned address with an old scan is rescanned, and SOAR sees the old facts while it waits", async () => {
    const { result, answer } = await search("net.ip", "127.0.0.4");
    expect(result).toBe("waiting");
    expect(answer.status).toBe(303);
    expect(names(answer.body.hits[0])).toMatchObject({ Address: "127.0.0.4" });
    expect((await scanRequests()).map((r) => r.request.target)).toEqual(["127.0.0.4"]);
  });

  test("a search still waiting when it runs out of time completes with what it has", async () => {
    const { job } = await search("net.ip", "127.0.0.4");
    clock.advance(3600 - 30);
    expect(await runSearch(queued.shift()!.job, deps)).toBe("completed");
    const done = await getSearch(job.id, { state, now: clock.now });
    expect(done.status).toBe(200);
    expect(done.body.hits.length).toBeGreaterThan(0);
  });

  test("the scan requester itself refuses what is not an address we own, whoever calls it", async () => {
    const r = requester();
    for (const refused of ["127.0.0.3", "127.0.0.2; rm -rf /", "new.sec-an.test", "127.0.0.0/30", ""])
      expect([refused, await r.requestScan(refused)]).toEqual([refused, false]);
    expect(await scanRequests()).toEqual([]);
    expect(await r.requestScan("127.0.0.2")).toBe(true);
    expect((await scanRequests()).map((q) => q.request.target)).toEqual(["127.0.0.2"]);
  });

  test("hostile values reach no scan and no query: nothing found", async () => {
    for (const [type, value] of [
      ["net.ip", "127.0.0.2; rm -rf /"],
      ["net.ip", "$(curl 127.0.0.1)"],
      ["net.name", "new.sec-an.test && id"],
      ["net.uri", "javascript:alert(1)"],
      ["net.port", "443 OR 1=1"],
      ["net.cidr", "127.0.0.0/8"],
    ]) {
      const posted = await postArtifact(
        { type, value },
        { state, searchers, now: clock.now, startSearch: () => Promise.reject(new Error("queued")) },
      );
      expect([type, value, posted.status, posted.body.hits]).toEqual([type, value, 200, []]);
      // A job that reached the searcher anyway (queued by hand) finds nothing either.
      const outcome = await searchers
        .get(type)!
        .search(value, { ...deps.context, startedAt: T0, attempt: 1 });
      expect([type, value, outcome]).toEqual([type, value, { hits: [], pending: false }]);
    }
    expect(await scanRequests()).toEqual([]);
  });

  test("net.name: the name's addresses from the DNS tables, then each address's facts", async () => {
    const { answer } = await search("net.name", "App.Sec-An.Test.");
    const hits = answer.body.hits.map(names);
    expect(hits[0]).toMatchObject({ "Host name": "app.sec-an.test", Addresses: "127.0.0.1" });
    expect(hits[1]).toMatchObject({ Address: "127.0.0.1", "Open ports": "2" });
    expect((await search("net.name", "unknown.sec-an.test")).answer.body.hits).toEqual([]);
  });

  test("net.uri: the host's name and address facts plus the certificates served for that name", async () => {
    const { answer } = await search("net.uri", "https://app.sec-an.test:443/login?x=1");
    const hits = answer.body.hits.map(names);
    expect(hits[0]).toMatchObject({ "Host name": "app.sec-an.test" });
    // The endpoint is reached by address and by name: one hit.
    expect(
      hits.filter((h) => h["TLS host name"] === "app.sec-an.test" && h.Address === "127.0.0.1"),
    ).toHaveLength(1);
    expect(new Set(hits.map((h) => JSON.stringify(h))).size).toBe(hits.length);
    const byAddress = await search("net.uri", "http://127.0.0.1:8080/");
    expect(names(byAddress.answer.body.hits[0])).toMatchObject({ Address: "127.0.0.1" });
  });

  test("net.port and net.cidr: which of our addresses have the port open; the scanned addresses of a network", async () => {
    const port = (await search("net.port", "22")).answer.body.hits.map(names);
    // (127.0.0.2 is there too once the waiting search's scan has landed, above.)
    expect(port.map((h) => h.Address)).toEqual(expect.arrayContaining(["127.0.0.1", "127.0.0.4"]));
    expect(port.every((h) => h.Port === "22" && h.Service === "ssh")).toBe(true);
    expect((await search("net.port", "25")).answer.body.hits).toEqual([]);
    const cidr = (await search("net.cidr", "127.0.0.0/30")).answer.body.hits.map(names);
    expect(cidr.map((h) => h.Address)).toEqual(expect.arrayContaining(["127.0.0.1"]));
    expect(cidr.every((h) => ["127.0.0.1", "127.0.0.2"].includes(h.Address))).toBe(true);
  });

  test("the snapshot indices carry their projects' real mappings: a mistyped field is refused", async () => {
    const index = await store.client.indices.get({ index: INDEX.hosts });
    const mappings = Object.values(index.body as Record<string, { mappings: { properties: object } }>)[0];
    expect(mappings.mappings.properties).toMatchObject({ address: { type: "ip" } });
    await expect(
      store.put(INDEX.hosts, { address: "127.0.0.9", [DocFields.scanEndTime]: "yesterday" }),
    ).rejects.toThrow(/mapper_parsing_exception/);
    await expect(store.put(INDEX.ports, { address: "127.0.0.9", port_id: "ssh" })).rejects.toThrow(
      /mapper_parsing_exception/,
    );
  });

  test("a job for a type no searcher answers fails for good (dead-lettered, not retried)", async () => {
    const job: SearchJob = {
      id: searchId({ type: "hash.md5", value: "x" }),
      artifact: { type: "hash.md5", value: "x" },
      startedAt: T0,
      attempt: 1,
    };
    await expect(runSearch(job, deps)).rejects.toBeInstanceOf(PermanentFailure);
  });
});
