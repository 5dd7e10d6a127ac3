import { RunTaskCommand } from "@aws-sdk/client-ecs";
import { Env } from "@sec-an/contracts";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { LocalEcs, type TaskStateChange } from "../src/local/ecs";
import { processesMentioning } from "../src/local/proc";
import { repoRoot } from "../src/local/run";
import type { LocalTaskDefinition } from "../src/local/topology";

/**
 * The ECS stand-in runs real entrypoints as child processes. Stopping it (Ctrl-C, --timeout) must leave
 * no nmap scanning and no temporary directory behind, and it refuses a non-loopback scan target itself,
 * whoever calls it.
 */
jest.setTimeout(60_000);
const root = repoRoot();
const scratch = mkdtempSync(join(tmpdir(), "sec-an-ecs-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const def = (entry: string): LocalTaskDefinition =>
  ({
    family: "nmap",
    mockArn: "arn:aws:ecs:local:000000000000:task-definition/nmap:1",
    entry,
    containers: [{ name: "nmap", environment: {} }],
  }) as unknown as LocalTaskDefinition;

/** A RunTask of the nmap definition with these container variables. */
const runWith = (environment: { name: string; value: string }[]) =>
  new RunTaskCommand({
    taskDefinition: "nmap",
    cluster: "local",
    overrides: { containerOverrides: [{ name: "nmap", environment }] },
  });

const runTask = (target: string) =>
  runWith([
    { name: Env.scanRequest, value: JSON.stringify({ target, requestedAt: new Date().toISOString() }) },
    { name: Env.scanRequestId, value: "scan-1" },
  ]);

async function until(check: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("stops a task that ignores SIGTERM: no nmap of ours left running, no temporary directory left", async () => {
  const tmpRoot = join(scratch, "tasks");
  const logs: string[] = [];
  const events: TaskStateChange[] = [];
  const ecs = new LocalEcs(
    [def(relative(root, join(__dirname, "fixtures/long-scan-entry.ts")))],
    root,
    {},
    (l) => logs.push(l),
    { tmpRoot, graceMs: 1500, onStopped: async (e) => events.push(e) },
  );
  const out = await ecs.send(runTask("127.0.0.1"));
  expect(out.failures).toEqual([]);
  // The entrypoint says which nmap it started and where it works.
  await until(() => logs.some((l) => /nmap \d+ in /.test(l)), 20_000);
  const [, pid, dir] = /nmap (\d+) in (\S+)/.exec(logs.find((l) => /nmap \d+ in /.test(l))!)!;
  const isNmap = () =>
    existsSync(`/proc/${pid}`) && /nmap/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  await until(isNmap, 10_000);
  expect(existsSync(dir)).toBe(true);

  await ecs.stop();

  await until(() => !isNmap(), 5_000).catch(() => undefined);
  expect(isNmap()).toBe(false);
  expect(processesMentioning(tmpRoot)).toEqual([]);
  expect(existsSync(dir)).toBe(false);
  expect(ecs.running()).toBe(0);
  expect(existsSync(tmpRoot) ? readdirSync(tmpRoot) : []).toEqual([]);
  // Stopped by us, as an operator's StopTask would be: the stop rule still hears of it.
  expect(events.map((e) => e.detail.stopCode)).toEqual(["UserInitiated"]);
  expect(events[0].detail.containers[0]).toMatchObject({
    name: "nmap",
    exitCode: 137,
    reason: "killed by SIGKILL",
  });
});

it("stops what a task started when the task dies on its own, and removes its temporary directory", async () => {
  const tmpRoot = join(scratch, "crash");
  const ecs = new LocalEcs(
    [def(relative(root, join(__dirname, "fixtures/long-scan-entry.ts")))],
    root,
    { EXIT_AFTER_MS: "2500" },
    () => undefined,
    { tmpRoot },
  );
  const events: TaskStateChange[] = [];
  ecs.onTaskStopped(async (e) => events.push(e));
  await ecs.send(runTask("127.0.0.1"));
  await until(() => processesMentioning(tmpRoot).some((p) => /nmap -sT/.test(p)), 20_000);
  await until(() => ecs.running() === 0, 20_000);
  expect(ecs.runs[0].exitCode).toBe(3);
  expect(processesMentioning(tmpRoot)).toEqual([]);
  expect(readdirSync(tmpRoot)).toEqual([]);
  // One STOPPED event, delivered before the task stops counting as running.
  expect(events).toHaveLength(1);
  expect(events[0].detail).toMatchObject({
    lastStatus: "STOPPED",
    stopCode: "EssentialContainerExited",
    taskArn: ecs.runs[0].taskArn,
    taskDefinitionArn: "arn:aws:ecs:local:000000000000:task-definition/nmap:1",
    containers: [{ name: "nmap", exitCode: 3 }],
    overrides: {
      containerOverrides: [
        { name: "nmap", environment: expect.arrayContaining([{ name: Env.scanRequestId, value: "scan-1" }]) },
      ],
    },
  });
});

it("refuses a non-loopback target at RunTask, starting nothing", async () => {
  const logs: string[] = [];
  const ecs = new LocalEcs([def("projects/nmap/src/entrypoint/main.ts")], root, {}, (l) => logs.push(l), {
    tmpRoot: join(scratch, "refused"),
  });
  for (const target of ["10.0.0.1", "127.0.0.0/4", "example.com", "::"]) {
    const out = await ecs.send(runTask(target));
    expect(out.tasks).toEqual([]);
    expect(out.failures?.[0]?.reason).toMatch(/is not loopback.*--allow-remote/);
  }
  expect(ecs.runs).toHaveLength(0);
  expect(ecs.running()).toBe(0);
  expect(existsSync(join(scratch, "refused"))).toBe(false);
});

describe("a task of several targets (SCAN_REQUESTS)", () => {
  const runBatch = (targets: string[]) =>
    runWith([
      {
        name: Env.scanRequests,
        value: JSON.stringify(
          targets.map((target, i) => ({
            scanId: `batch-${i}`,
            request: { target, requestedAt: new Date().toISOString() },
          })),
        ),
      },
    ]);

  it("refuses the task when any of its targets is not loopback, starting nothing", async () => {
    const ecs = new LocalEcs([def("projects/nmap/src/entrypoint/main.ts")], root, {}, () => undefined, {
      tmpRoot: join(scratch, "refused-batch"),
    });
    const out = await ecs.send(runBatch(["127.0.0.1", "10.0.0.1", "127.0.0.2"]));
    expect(out.tasks).toEqual([]);
    expect(out.failures?.[0]?.reason).toMatch(/"10\.0\.0\.1" is not loopback/);
    expect(ecs.runs).toHaveLength(0);
  });

  it("runs a task of loopback targets, and its STOPPED event carries every request", async () => {
    const events: TaskStateChange[] = [];
    const ecs = new LocalEcs([def("projects/nmap/src/entrypoint/main.ts")], root, {}, () => undefined, {
      tmpRoot: join(scratch, "batch"),
      onStopped: async (e) => events.push(e),
    });
    // No RESULTS_BUCKET: the entrypoint refuses to scan and exits at once, which is all this needs.
    const out = await ecs.send(runBatch(["127.0.0.1", "127.0.0.2"]));
    expect(out.failures).toEqual([]);
    await until(() => ecs.running() === 0, 30_000);
    expect(ecs.runs[0].exitCode).not.toBe(0);
    const env = events[0].detail.overrides.containerOverrides[0].environment ?? [];
    const carried = JSON.parse(env.find((e) => e.name === Env.scanRequests)!.value!);
    expect(carried.map((c: { scanId: string }) => c.scanId)).toEqual(["batch-0", "batch-1"]);
  });
});
