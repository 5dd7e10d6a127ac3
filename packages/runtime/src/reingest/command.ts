import { Params, taskParams } from "@sec-an/contracts";
import { getParam } from "../params";
import type { Publisher } from "../publisher";
import { SqsPublisher } from "./sqs-publisher";
import { reingest, type ReingestOptions, type ReingestResult } from "./reingest";

/** What re-ingestion needs of a task: its name, parser and parser version. */
export interface ReingestTask {
  readonly name: string;
  readonly parserVersion: string;
  readonly parse: ReingestOptions["parse"];
  readonly docTypes?: readonly string[];
}

export interface ReingestIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export interface ReingestCommandDeps {
  /** Default: the task's raw-results bucket from SSM. */
  bucketFor?: (task: string) => Promise<string>;
  /** Default: the analytics ingest queue (SSM `Params.ingestQueueUrl`). */
  publisher?: Publisher;
  run?: typeof reingest;
}

export const REINGEST_USAGE =
  "usage: sec-an reingest --task <task> [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--bucket <bucket>] [--dry-run]\n";

export interface ReingestArgs {
  task: string;
  since?: Date;
  until?: Date;
  bucket?: string;
  dryRun: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Parse `reingest` arguments; throws a usage error naming the problem. */
export function parseReingestArgs(argv: readonly string[]): ReingestArgs {
  const out: Partial<ReingestArgs> & { dryRun: boolean } = { dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value`);
      return v;
    };
    const day = (v: string) => {
      if (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
        throw new Error(`${a} expects YYYY-MM-DD, got ${JSON.stringify(v)}`);
      return new Date(`${v}T00:00:00Z`);
    };
    if (a === "--task") out.task = value();
    else if (a === "--since") out.since = day(value());
    else if (a === "--until") out.until = day(value());
    else if (a === "--bucket") out.bucket = value();
    else if (a === "--dry-run") out.dryRun = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)}`);
  }
  if (!out.task) throw new Error("--task is required");
  if (out.since && out.until && out.since > out.until) throw new Error("--since is after --until");
  return out as ReingestArgs;
}

/**
 * `sec-an reingest --task nmap --since 2026-01-01`: replay the task's raw results through its current
 * parser into the ingest queue. Exit 0 when every object replayed, 1 when some failed (listed), 2 on
 * usage errors. `registry` maps task names to their parser modules (the CLI owns it).
 */
export async function reingestCommand(
  argv: readonly string[],
  io: ReingestIo,
  registry: Readonly<Record<string, ReingestTask>>,
  deps: ReingestCommandDeps = {},
): Promise<number> {
  let args: ReingestArgs;
  try {
    args = parseReingestArgs(argv);
  } catch (e) {
    io.stderr.write(`sec-an reingest: ${(e as Error).message}\n${REINGEST_USAGE}`);
    return 2;
  }
  const task = registry[args.task];
  if (!task) {
    io.stderr.write(
      `sec-an reingest: unknown task ${JSON.stringify(args.task)} (known: ${Object.keys(registry).sort().join(", ") || "none"})\n`,
    );
    return 2;
  }
  const bucket =
    args.bucket ??
    (await (deps.bucketFor ?? ((t: string) => getParam(taskParams(t).resultsBucketName)))(args.task));
  const publisher = deps.publisher ?? new SqsPublisher(() => getParam(Params.ingestQueueUrl));
  const result: ReingestResult = await (deps.run ?? reingest)({
    bucket,
    task: task.name,
    since: args.since,
    until: args.until,
    parse: task.parse,
    parserVersion: task.parserVersion,
    docTypes: task.docTypes,
    publisher,
    dryRun: args.dryRun,
    onObject: (key, r) =>
      io.stderr.write(
        "error" in r
          ? `FAILED ${key}: ${r.error}\n`
          : `${key}: ${r.messages} messages, ${r.documents} documents\n`,
      ),
  });
  io.stdout.write(
    `${JSON.stringify({ task: task.name, bucket, dryRun: args.dryRun, ...result, failures: result.failures.length })}\n`,
  );
  return result.failures.length ? 1 : 0;
}
