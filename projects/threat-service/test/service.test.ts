import type { SearchJob } from "@sec-an/contracts";
import { searchId } from "../src/id";
import { searcherRegistry } from "../src/searchers";
import { getSearch, postArtifact, type ServiceDeps } from "../src/service";
import type { SearchState } from "../src/state";
import { stateOnDynalite, testClock } from "./helpers";

const IP = { type: "net.ip", value: "127.0.0.1" };

describe("search state on DynamoDB (dynalite)", () => {
  let state: SearchState;
  let clock: ReturnType<typeof testClock>;
  let started: SearchJob[];
  let deps: ServiceDeps;

  beforeEach(async () => {
    ({ state } = await stateOnDynalite());
    clock = testClock();
    started = [];
    deps = {
      state,
      searchers: new Map([
        ["net.ip", {}],
        ["net.name", {}],
      ]),
      startSearch: async (job) => {
        started.push(job);
      },
      now: clock.now,
      searchTimeoutSecs: 3600,
    };
  });

  test("100 concurrent POSTs of one artifact start exactly one search, and all get its id", async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => postArtifact(IP, deps)));
    expect(started).toHaveLength(1);
    expect(started[0]).toEqual({ id: searchId(IP), artifact: IP, startedAt: clock.now(), attempt: 1 });
    expect(new Set(answers.map((a) => a.body.id))).toEqual(new Set([searchId(IP)]));
    for (const a of answers)
      expect(a).toEqual({ status: 303, body: { id: searchId(IP), hits: [], retry_secs: 5 } });
  });

  test("POST → 303, GET polls 303 until complete, then 200 with the hits; POST again answers from results", async () => {
    const first = await postArtifact(IP, deps);
    expect(first.status).toBe(303);
    const id = first.body.id;
    clock.advance(5);
    expect(await getSearch(id, deps)).toEqual({ status: 303, body: { id, hits: [], retry_secs: 5 } });
    clock.advance(60);
    expect((await getSearch(id, deps)).body.retry_secs).toBe(60);
    const hits = [{ props: [{ type: "ip" as const, name: "Address", value: "127.0.0.1" }] }];
    await state.complete(id, IP, hits, clock.now(), 600, started[0].startedAt);
    expect(await getSearch(id, deps)).toEqual({ status: 200, body: { id, hits } });
    expect(await postArtifact(IP, deps)).toEqual({ status: 200, body: { id, hits } });
    expect(started).toHaveLength(1);
  });

  test("hits expire with the hit TTL (injected clock): the next POST searches again", async () => {
    const { body } = await postArtifact(IP, deps);
    await state.complete(body.id, IP, [], clock.now(), 600, started[0].startedAt);
    clock.advance(599);
    expect((await postArtifact(IP, deps)).status).toBe(200);
    clock.advance(1);
    expect(await getSearch(body.id, deps)).toEqual({ status: 200, body: { id: body.id, hits: [] } });
    expect((await postArtifact(IP, deps)).status).toBe(303);
    expect(started).toHaveLength(2);
  });

  test("a search that never completes expires: GET answers with what it has, and a POST starts it again", async () => {
    const { body } = await postArtifact(IP, deps);
    const partial = [{ props: [{ type: "string" as const, name: "Host status", value: "up" }] }];
    await state.savePartial(body.id, started[0].startedAt, partial, false);
    clock.advance(3599);
    expect(await getSearch(body.id, deps)).toMatchObject({ status: 303, body: { hits: partial } });
    clock.advance(1);
    expect(await getSearch(body.id, deps)).toEqual({ status: 200, body: { id: body.id, hits: partial } });
    expect((await postArtifact(IP, deps)).status).toBe(303);
    expect(started.map((j) => j.startedAt)).toEqual([clock.now() - 3600, clock.now()]);
  });

  test("an unknown id, an unsupported type: 200 with empty hits, nothing started", async () => {
    const unknown = searchId({ type: "net.ip", value: "127.0.0.9" });
    expect(await getSearch(unknown, deps)).toEqual({ status: 200, body: { id: unknown, hits: [] } });
    const hash = { type: "hash.md5", value: "d41d8cd98f00b204e9800998ecf8427e" };
    expect(await postArtifact(hash, deps)).toEqual({ status: 200, body: { id: searchId(hash), hits: [] } });
    expect(started).toHaveLength(0);
  });

  test("a value its searcher cannot find is answered 200 with no hits at once: no claim, nothing queued", async () => {
    const real: ServiceDeps = { ...deps, searchers: searcherRegistry() };
    for (const [type, value] of [
      ["net.name", "localhost"],
      ["net.ip", "not-an-ip"],
      ["net.port", "0"],
      ["net.port", "65536"],
      ["net.cidr", "10.0.0.0/23"],
      ["net.cidr", "10.0.0.0/33"],
      ["net.uri", "not a uri"],
    ]) {
      const a = { type, value };
      expect(await postArtifact(a, real)).toEqual({ status: 200, body: { id: searchId(a), hits: [] } });
      expect(await state.active(searchId(a))).toBeUndefined();
    }
    expect(started).toHaveLength(0);
    for (const [type, value] of [
      ["net.name", "host.example.com"],
      ["net.ip", "::1"],
      ["net.port", "65535"],
      ["net.cidr", "10.0.0.0/24"],
      ["net.uri", "https://[::1]:8443/x"],
    ])
      expect((await postArtifact({ type, value }, real)).status).toBe(303);
    expect(started).toHaveLength(5);
  });

  test("a stale worker completing an expired claim leaves the newer claim in place", async () => {
    const id = searchId(IP);
    const first = clock.now();
    expect(await state.claim(id, IP, first, first + 10)).toBe(true);
    clock.advance(20);
    expect(await state.claim(id, IP, clock.now(), clock.now() + 3600)).toBe(true);
    // The first claim's worker finishes late: its answer is stored, but the running search is not ended.
    await state.complete(id, IP, [], clock.now(), 3600, first);
    expect(await state.active(id)).toMatchObject({ startedAt: clock.now() });
    await state.complete(id, IP, [], clock.now(), 3600, clock.now());
    expect(await state.active(id)).toBeUndefined();
  });

  test("a search that could not be queued is given back: the next POST starts it", async () => {
    let fail = true;
    const flaky: ServiceDeps = {
      ...deps,
      startSearch: async (job) => {
        if (fail) throw new Error("queue unavailable");
        started.push(job);
      },
    };
    await expect(postArtifact(IP, flaky)).rejects.toThrow("queue unavailable");
    fail = false;
    expect((await postArtifact(IP, flaky)).status).toBe(303);
    expect(started).toHaveLength(1);
  });
});
