import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { RunTaskCommandInput, RunTaskCommandOutput } from "@aws-sdk/client-ecs";
import { requestsOfTask } from "@sec-an/runtime";
import { alive, descendants, signal, type ProcessId } from "./proc";
import { loopbackGuard } from "./targets";
import type { LocalTaskDefinition } from "./topology";

/**
 * Stands in for ECS RunTask: the launcher's real call lands here, and the "Fargate task" is the
 * container's real entrypoint run as a child process with the task definition's environment plus the
 * launcher's overrides. Unknown task definitions answer with `failures`, as ECS would, so the
 * launcher's retry path is exercised for real. When a task stops, an "ECS Task State Change" event of
 * the shape AWS sends goes to the event sink (the local EventBridge), so stop rules run here too.
 */
export interface TaskRun {
  taskArn: string;
  family: string;
  startedAt: Date;
  exitCode?: number | null;
  finishedAt?: Date;
  stderr: string;
}

export interface LocalEcsOptions {
  /** Let tasks scan non-loopback targets (the CLI's --allow-remote). */
  allowRemote?: boolean;
  /** Where each task's own TMPDIR is made (default the system's temporary directory). */
  tmpRoot?: string;
  /** Between SIGTERM and SIGKILL when stopping a task (default 15 s: the entrypoint's own grace for nmap is 10 s). */
  graceMs?: number;
  /** Receives each task's STOPPED state change (see also {@link LocalEcs.onTaskStopped}). */
  onStopped?: TaskEventSink;
  /** Node's arguments that run a task's entrypoint (default: its TypeScript source through tsx). */
  entrypointArgs?: (def: LocalTaskDefinition & { entry: string }) => string[];
}

export type TaskEventSink = (event: TaskStateChange) => Promise<unknown>;

type Override = NonNullable<NonNullable<RunTaskCommandInput["overrides"]>["containerOverrides"]>[number];

/** An "ECS Task State Change" event for a stopped task, with the fields EventBridge rules and handlers read. */
export interface TaskStateChange {
  version: "0";
  id: string;
  "detail-type": "ECS Task State Change";
  source: "aws.ecs";
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    clusterArn: string;
    taskArn: string;
    taskDefinitionArn: string;
    group: string;
    startedBy?: string;
    launchType?: string;
    lastStatus: "STOPPED";
    desiredStatus: "STOPPED";
    stopCode: "EssentialContainerExited" | "UserInitiated" | "TaskFailedToStart";
    stoppedReason: string;
    createdAt: string;
    stoppedAt: string;
    containers: {
      name: string;
      taskArn: string;
      lastStatus: "STOPPED";
      exitCode?: number;
      reason?: string;
    }[];
    overrides: { containerOverrides: { name?: string; environment?: { name?: string; value?: string }[] }[] };
  };
}

/** How a task's process ended, as the stand-in saw it. */
export interface TaskEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started at all. */
  spawnError?: string;
  /** Stopped by {@link LocalEcs.stop} (Ctrl-C, --timeout), not by itself. */
  stoppedByUs: boolean;
  /** The last line the container wrote to stderr. */
  lastError?: string;
}

/** Cluster ARN as ECS reports it: the given ARN, or one built from a cluster name (ECS's `default` when none). */
export function clusterArnOf(cluster: string | undefined): string {
  const c = cluster || "default";
  return c.startsWith("arn:")
    ? c
    : `arn:aws:ecs:${process.env.AWS_REGION ?? "us-east-1"}:000000000000:cluster/${c}`;
}

/** A task ARN in the cluster's region and account: `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`. */
export function taskArnIn(clusterArn: string, id: string = randomUUID().replace(/-/g, "")): string {
  const [, partition, , region, account, resource] = clusterArn.split(":");
  return `arn:${partition}:ecs:${region}:${account}:task/${resource.split("/").pop()}/${id}`;
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The STOPPED event AWS would send for this run. A container killed by a signal reports 128 + the
 * signal's number, as Docker does; ECS limits a container's `reason` to 255 characters.
 */
export function taskStoppedEvent(a: {
  clusterArn: string;
  taskArn: string;
  taskDefinitionArn: string;
  family: string;
  container: string;
  input: Pick<RunTaskCommandInput, "startedBy" | "launchType" | "overrides">;
  startedAt: Date;
  stoppedAt: Date;
  end: TaskEnd;
}): TaskStateChange {
  const { end } = a;
  const exitCode = end.exitCode ?? (end.signal ? 128 + (constants.signals[end.signal] ?? 0) : undefined);
  const [stopCode, stoppedReason]: [TaskStateChange["detail"]["stopCode"], string] = end.spawnError
    ? ["TaskFailedToStart", `CannotStartContainerError: ${end.spawnError}`]
    : end.stoppedByUs
      ? ["UserInitiated", "Task stopped by the local run (interrupted or out of time)"]
      : ["EssentialContainerExited", "Essential container in task exited"];
  const reason = end.signal ? `killed by ${end.signal}` : exitCode ? end.lastError : undefined;
  const [, , , region, account] = a.clusterArn.split(":");
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    account,
    time: a.stoppedAt.toISOString(),
    region,
    resources: [a.taskArn],
    detail: {
      clusterArn: a.clusterArn,
      taskArn: a.taskArn,
      taskDefinitionArn: a.taskDefinitionArn,
      group: `family:${a.family}`,
      ...(a.input.startedBy ? { startedBy: a.input.startedBy } : {}),
      ...(a.input.launchType ? { launchType: a.input.launchType } : {}),
      lastStatus: "STOPPED",
      desiredStatus: "STOPPED",
      stopCode,
      stoppedReason,
      createdAt: a.startedAt.toISOString(),
      stoppedAt: a.stoppedAt.toISOString(),
      containers: [
        {
          name: a.container,
          taskArn: a.taskArn,
          lastStatus: "STOPPED",
          ...(end.spawnError || exitCode === undefined ? {} : { exitCode }),
          ...(reason ? { reason: cut(reason, 255) } : {}),
        },
      ],
      overrides: {
        containerOverrides: (a.input.overrides?.containerOverrides ?? []).map((o: Override) => ({
          name: o.name,
          environment: (o.environment ?? []).map((e) => ({ name: e.name, value: e.value })),
        })),
      },
    },
  };
}

interface Task {
  readonly child: ChildProcess;
  readonly tmp: string;
  /** What it started, kept while it lives: those may outlive it in process groups of their own. */
  started: ProcessId[];
  /** Resolves once the entrypoint, everything it started, and its TMPDIR are gone. */
  readonly gone: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Each task runs in a process group of its own (so a terminal's Ctrl-C reaches only the CLI, which then
 * stops tasks in order) with a TMPDIR of its own (so whatever it leaves there is removed with it).
 */
export class LocalEcs {
  readonly runs: TaskRun[] = [];
  private readonly tasks = new Set<Task>();
  private sink?: TaskEventSink;
  private stopping = false;

  constructor(
    private readonly taskDefinitions: readonly LocalTaskDefinition[],
    private readonly repoRoot: string,
    private readonly baseEnv: Record<string, string>,
    private readonly log: (line: string) => void,
    private readonly opts: LocalEcsOptions = {},
  ) {
    this.sink = opts.onStopped;
  }

  /** Where STOPPED events go from now on (the run builds its event bus after the stand-in). */
  onTaskStopped(sink: TaskEventSink): void {
    this.sink = sink;
  }

  /** Same shape as `ECSClient.send`, for the commands the launcher uses. */
  async send(command: {
    input: unknown;
    constructor: { name: string };
  }): Promise<Partial<RunTaskCommandOutput>> {
    if (command.constructor.name !== "RunTaskCommand")
      throw new Error(`local ECS does not implement ${command.constructor.name}`);
    const input = command.input as RunTaskCommandInput;
    const def = this.taskDefinitions.find(
      (d) => d.mockArn === input.taskDefinition || d.family === input.taskDefinition,
    );
    if (!def)
      return {
        tasks: [],
        failures: [
          { arn: input.taskDefinition, reason: "MISSING (task definition not in the local topology)" },
        ],
        $metadata: {},
      };
    if (!def.entry)
      return {
        tasks: [],
        failures: [{ arn: def.mockArn, reason: "no sec-an:entry tag: the container cannot run locally" }],
        $metadata: {},
      };
    const override = input.overrides?.containerOverrides?.[0];
    const container = def.containers.find((c) => c.name === override?.name) ?? def.containers[0];
    const env: Record<string, string> = {
      ...this.baseEnv,
      ...(container?.environment ?? {}),
      ...Object.fromEntries((override?.environment ?? []).map((e) => [e.name!, e.value ?? ""])),
    };
    // The loopback rule holds here too, for a request that reached RunTask some other way than the CLI,
    // and for every request of a task that scans several.
    const guard = loopbackGuard(this.opts.allowRemote ?? false);
    let refused: { code: string; message: string } | undefined;
    try {
      refused = requestsOfTask(env)
        .map((r) => guard(r.body))
        .find(Boolean);
    } catch (e) {
      refused = { code: "malformed", message: (e as Error).message };
    }
    if (refused) {
      this.log(`[${def.family}] refused: ${refused.message}`);
      return { tasks: [], failures: [{ arn: def.mockArn, reason: refused.message }], $metadata: {} };
    }
    const clusterArn = clusterArnOf(input.cluster);
    const taskArn = taskArnIn(clusterArn);
    const run: TaskRun = { taskArn, family: def.family, startedAt: new Date(), stderr: "" };
    this.runs.push(run);
    const tmpRoot = this.opts.tmpRoot ?? tmpdir();
    mkdirSync(tmpRoot, { recursive: true });
    const tmp = mkdtempSync(join(tmpRoot, "sec-an-task-"));
    const args = this.opts.entrypointArgs?.({ ...def, entry: def.entry }) ?? [
      "--require",
      "tsx/cjs",
      resolve(this.repoRoot, def.entry),
    ];
    const child = spawn(process.execPath, args, {
      cwd: this.repoRoot,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/tmp",
        ...env,
        TMPDIR: tmp,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    child.stdout?.on("data", (b: Buffer) =>
      b
        .toString()
        .split("\n")
        .filter(Boolean)
        .forEach((l) => this.log(`[${def.family}] ${l}`)),
    );
    child.stderr?.on("data", (b: Buffer) => {
      run.stderr = (run.stderr + b.toString()).slice(-4000);
    });
    const exited = new Promise<Omit<TaskEnd, "stoppedByUs">>((r) => {
      child.once("error", (e) => r({ exitCode: null, signal: null, spawnError: e.message }));
      child.once("exit", (exitCode, signal) => r({ exitCode, signal }));
    });
    const watch = setInterval(() => {
      if (child.pid) task.started = merge(task.started, descendants(child.pid));
    }, 1000).unref();
    const gone = exited.then(async (how) => {
      clearInterval(watch);
      const code = how.exitCode;
      const lastError = run.stderr.trim().split("\n").pop() || undefined;
      run.exitCode = code;
      run.finishedAt = new Date();
      this.log(
        `[${def.family}] task ${taskArn.split("/").pop()} exited ${code ?? how.signal ?? how.spawnError}${code ? `: ${lastError}` : ""}`,
      );
      // Anything the entrypoint left running is stopped with it; then its TMPDIR goes.
      await killAll(task.started);
      rmSync(tmp, { recursive: true, force: true });
      // Counted as running until its stop event is delivered, so the run does not settle before the
      // stop rule's dead letter exists.
      await this.deliver(
        taskStoppedEvent({
          clusterArn,
          taskArn,
          taskDefinitionArn: def.mockArn,
          family: def.family,
          container: container?.name ?? override?.name ?? def.family,
          input,
          startedAt: run.startedAt,
          stoppedAt: run.finishedAt,
          end: { ...how, stoppedByUs: this.stopping, lastError },
        }),
      );
      this.tasks.delete(task);
    });
    const task: Task = { child, tmp, gone, started: [] };
    this.tasks.add(task);
    return {
      tasks: [{ taskArn, lastStatus: "PROVISIONING", taskDefinitionArn: def.mockArn }],
      failures: [],
      $metadata: {},
    };
  }

  running(): number {
    return this.tasks.size;
  }

  private async deliver(event: TaskStateChange): Promise<void> {
    if (!this.sink) return;
    try {
      await this.sink(event);
    } catch (e) {
      this.log(`[ecs] stop event for ${event.detail.taskArn}: ${(e as Error).message}`);
    }
  }

  /**
   * Stop every task: SIGTERM to its process group (the entrypoint stops nmap and removes its directory),
   * then, after the grace period, SIGKILL to the group and to every process it started; resolves when all
   * of them have exited and every task's TMPDIR is removed.
   */
  async stop(graceMs = this.opts.graceMs ?? 15_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.tasks].map(async (task) => {
        const { child, gone } = task;
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return gone;
        task.started = merge(task.started, descendants(child.pid));
        killGroup(child.pid, "SIGTERM");
        const timer = new Promise<"late">((r) => setTimeout(() => r("late"), graceMs).unref());
        if ((await Promise.race([gone.then(() => "done" as const), timer])) === "late") {
          task.started = merge(task.started, descendants(child.pid));
          await killAll(task.started);
          killGroup(child.pid, "SIGKILL");
        }
        return gone;
      }),
    );
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: the group is gone already.
  }
}

const merge = (a: ProcessId[], b: ProcessId[]) => {
  const key = (p: ProcessId) => `${p.pid}/${p.start}`;
  const known = new Set(a.map(key));
  return [...a, ...b.filter((p) => !known.has(key(p)))];
};

/** SIGKILL the processes that are still alive, and wait (bounded) until none is. */
async function killAll(ps: readonly ProcessId[]): Promise<void> {
  for (const p of ps) signal(p, "SIGKILL");
  for (let i = 0; i < 50 && ps.some(alive); i++) await sleep(100);
}
