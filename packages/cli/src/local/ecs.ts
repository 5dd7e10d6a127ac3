import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { RunTaskCommandInput, RunTaskCommandOutput } from "@aws-sdk/client-ecs";
import type { LocalTaskDefinition } from "./topology";

/**
 * Stands in for ECS RunTask: the launcher's real call lands here, and the "Fargate task" is the
 * container's real entrypoint run as a child process with the task definition's environment plus the
 * launcher's overrides. Unknown task definitions answer with `failures`, as ECS would, so the
 * launcher's retry path is exercised for real.
 */
export interface TaskRun {
  taskArn: string;
  family: string;
  startedAt: Date;
  exitCode?: number | null;
  finishedAt?: Date;
  stderr: string;
}

export class LocalEcs {
  readonly runs: TaskRun[] = [];
  private readonly children = new Set<ChildProcess>();

  constructor(
    private readonly taskDefinitions: readonly LocalTaskDefinition[],
    private readonly repoRoot: string,
    private readonly baseEnv: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

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
    const taskArn = `arn:aws:ecs:local:000000000000:task/${randomUUID()}`;
    const run: TaskRun = { taskArn, family: def.family, startedAt: new Date(), stderr: "" };
    this.runs.push(run);
    const child = spawn(process.execPath, ["--require", "tsx/cjs", resolve(this.repoRoot, def.entry)], {
      cwd: this.repoRoot,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.add(child);
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
    child.on("exit", (code) => {
      run.exitCode = code;
      run.finishedAt = new Date();
      this.children.delete(child);
      this.log(
        `[${def.family}] task ${taskArn.split("/").pop()} exited ${code}${code ? `: ${run.stderr.trim().split("\n").pop()}` : ""}`,
      );
    });
    return {
      tasks: [{ taskArn, lastStatus: "PROVISIONING", taskDefinitionArn: def.mockArn }],
      failures: [],
      $metadata: {},
    };
  }

  running(): number {
    return this.children.size;
  }

  async stop(): Promise<void> {
    for (const c of this.children) c.kill("SIGTERM");
    await Promise.all([...this.children].map((c) => new Promise((r) => c.once("exit", r))));
  }
}
