import type { SQSRecord } from "aws-lambda";
import type { TSchema, Static } from "@sinclair/typebox";
import {
  RunTaskCommand,
  type ECSClient,
  type KeyValuePair,
  type RunTaskCommandInput,
} from "@aws-sdk/client-ecs";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  Attr,
  Env,
  InvalidTargetError,
  MalformedJsonError,
  SchemaError,
  ScanRequest,
  validateTarget,
} from "@sec-an/contracts";
import { parseRecordBody } from "../batch";
import { PermanentFailure } from "../errors";
import { scanIdFor } from "../task-kit";
import type { LauncherConfig, LauncherProvider } from "./config";

/**
 * The launcher: SQS records in, Fargate tasks started, each scanning up to `targetsPerTask` of them (or
 * a clear, recorded reason why not).
 * Two kinds of failure, handled differently on purpose:
 * - permanent (malformed body, schema miss, invalid target, unknown provider, oversize request):
 *   retrying cannot help, so the batch layer sends the record straight to the task queue's DLQ with the
 *   code and reason (the dead-letter recorder stores them) and the record counts as done — nothing
 *   lost, no wasted retries, and no Fargate task paid for a target the container would refuse;
 * - transient (RunTask error or `failures`, no task returned): the records of that task FAIL, so SQS
 *   redelivers them (their siblings in other tasks stand);
 *   on its last attempt the batch layer dead-letters it with code "retries-exhausted" and the error.
 */
export type LaunchErrorCode =
  "MalformedRequest" | "InvalidRequest" | "InvalidTarget" | "UnknownProvider" | "RequestTooLarge";

export class PermanentLaunchError extends PermanentFailure {
  constructor(
    override readonly code: LaunchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = "PermanentLaunchError";
  }
}

/** RunTask returned no task: thrown so the record is retried. */
export class LaunchFailedError extends Error {
  override name = "LaunchFailedError";
}

/** ECS limit on the size of all container overrides of one RunTask call (characters of JSON). */
export const MAX_OVERRIDE_CHARS = 8192;

export interface LaunchContext {
  readonly scanId: string;
  readonly provider: string;
}

export interface LauncherOptions<S extends TSchema = typeof ScanRequest> {
  /** Schema of the request body (default the contracts `ScanRequest`; extra fields are allowed). */
  readonly requestSchema?: S;
  /**
   * Extra container environment derived from a request (the original `create_environment_from_request`).
   * Throw a PermanentLaunchError to reject a request the container must not run.
   */
  readonly toEnvironment?: (request: Static<S>, ctx: LaunchContext) => Record<string, string>;
}

export interface LauncherDeps {
  readonly ecs: ECSClient;
  readonly sqs: SQSClient;
  readonly config: LauncherConfig;
}

/** The provider a record asks for: the `Provider` attribute or the request's `provider`, else the default. */
export function selectProvider(
  record: Pick<SQSRecord, "messageAttributes">,
  request: { provider?: unknown },
  config: Pick<LauncherConfig, "providers" | "defaultProvider">,
): { name: string; provider: LauncherProvider } {
  const fromAttr = record.messageAttributes?.[Attr.provider]?.stringValue;
  const fromBody = typeof request.provider === "string" ? request.provider : undefined;
  if (fromAttr !== undefined && fromBody !== undefined && fromAttr !== fromBody) {
    throw new PermanentLaunchError(
      "UnknownProvider",
      `provider attribute ${JSON.stringify(fromAttr)} contradicts the request's provider ${JSON.stringify(fromBody)}`,
    );
  }
  const name = fromAttr ?? fromBody ?? config.defaultProvider;
  // hasOwn: a name like "constructor" must not find Object.prototype members.
  if (!Object.hasOwn(config.providers, name)) {
    const known = Object.keys(config.providers).sort().join(", ");
    throw new PermanentLaunchError(
      "UnknownProvider",
      `unknown provider ${JSON.stringify(name)} (known: ${known})`,
    );
  }
  return { name, provider: config.providers[name] };
}

/**
 * Parse and validate the body (raw delivery, or inside an SNS envelope) and its target, with the same
 * validator the container applies; bad input is permanent.
 */
export function parseRequest<S extends TSchema>(body: string, schema: S): Static<S> {
  let request: Static<S>;
  try {
    request = parseRecordBody(schema, body, "scan request");
  } catch (e) {
    if (e instanceof MalformedJsonError) throw new PermanentLaunchError("MalformedRequest", e.message);
    if (e instanceof SchemaError) throw new PermanentLaunchError("InvalidRequest", e.message);
    throw e;
  }
  const target = (request as { target?: unknown }).target;
  if (target !== undefined) {
    try {
      validateTarget(target);
    } catch (e) {
      if (e instanceof InvalidTargetError)
        throw new PermanentLaunchError("InvalidTarget", e.message, { cause: e });
      throw e;
    }
  }
  return request;
}

/** One request a task carries, with the scan id its results are stored under. */
export interface TaskEntry {
  readonly scanId: string;
  readonly request: unknown;
}

/**
 * The container environment for a task's requests: one request in `SCAN_REQUEST`/`SCAN_REQUEST_ID`
 * exactly as before batching (so containers that scan one target never see anything new), several in
 * `SCAN_REQUESTS`. Request-derived variables can never replace where results go or which scans these are.
 */
function taskEnvironment(
  config: LauncherConfig,
  entries: readonly TaskEntry[],
  extraEnv: Record<string, string>,
): KeyValuePair[] {
  const ours: KeyValuePair[] =
    entries.length === 1
      ? [
          { name: Env.task, value: config.task },
          { name: Env.scanRequestId, value: entries[0].scanId },
          { name: Env.resultsBucket, value: config.resultsBucket },
          { name: Env.scanRequest, value: JSON.stringify(entries[0].request) },
        ]
      : [
          { name: Env.task, value: config.task },
          { name: Env.resultsBucket, value: config.resultsBucket },
          {
            name: Env.scanRequests,
            value: JSON.stringify(entries.map((e) => ({ scanId: e.scanId, request: e.request }))),
          },
        ];
  const reserved = new Set([
    Env.scanRequest,
    Env.scanRequestId,
    Env.scanRequests,
    ...ours.map((e) => e.name),
  ]);
  return [
    ...Object.entries(extraEnv)
      .filter(([name]) => !reserved.has(name as never))
      .map(([name, value]) => ({ name, value })),
    ...ours,
  ];
}

/** The container overrides of one RunTask call, and their size as ECS counts it (characters of JSON). */
export function taskOverrides(
  config: LauncherConfig,
  provider: LauncherProvider,
  entries: readonly TaskEntry[],
  extraEnv: Record<string, string> = {},
) {
  const overrides = {
    containerOverrides: [
      { name: provider.container, environment: taskEnvironment(config, entries, extraEnv) },
    ],
  };
  return { overrides, size: JSON.stringify(overrides).length };
}

/** The RunTask call for one validated request (pure: tested without any client). */
export function buildRunTask(
  config: LauncherConfig,
  provider: LauncherProvider,
  request: unknown,
  scanId: string,
  extraEnv: Record<string, string> = {},
): RunTaskCommandInput {
  return buildTaskRun(config, provider, [{ scanId, request }], extraEnv);
}

/** The RunTask call for one task scanning one or more validated requests (pure). */
export function buildTaskRun(
  config: LauncherConfig,
  provider: LauncherProvider,
  entries: readonly TaskEntry[],
  extraEnv: Record<string, string> = {},
): RunTaskCommandInput {
  if (entries.length === 0) throw new Error("a task needs at least one request");
  const { overrides, size } = taskOverrides(config, provider, entries, extraEnv);
  if (size > MAX_OVERRIDE_CHARS) {
    throw new PermanentLaunchError(
      "RequestTooLarge",
      `container overrides are ${size} characters; ECS allows ${MAX_OVERRIDE_CHARS}`,
    );
  }
  const first = entries[0].scanId;
  const by = entries.length === 1 ? first : `${first}+${entries.length - 1}`;
  return {
    cluster: config.cluster,
    taskDefinition: provider.taskDefinition,
    launchType: "FARGATE",
    count: 1,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...config.subnets],
        securityGroups: [...config.securityGroups],
        assignPublicIp: config.assignPublicIp ? "ENABLED" : "DISABLED",
      },
    },
    overrides,
    // startedBy allows [A-Za-z0-9_/-]{1,128}; lets an operator list every task one scan started.
    startedBy: `sec-an/${config.task}/${by}`.replace(/[^A-Za-z0-9_/-]/g, "_").slice(0, 128),
  };
}

/** A validated record, ready to join a task: what its task runs and how its container is set up. */
export interface PreparedRecord extends TaskEntry {
  readonly record: SQSRecord;
  readonly providerName: string;
  readonly provider: LauncherProvider;
  readonly extraEnv: Record<string, string>;
}

/** Validate one record. Throws a PermanentLaunchError (dead letter) when it can never run. */
export function prepareRecord<S extends TSchema>(
  record: SQSRecord,
  config: LauncherConfig,
  opts: LauncherOptions<S> = {},
): PreparedRecord {
  const request = parseRequest(record.body, opts.requestSchema ?? ScanRequest) as Static<S>;
  // Same rule as Lambda scanners: the request's own scanId when usable, else the SQS message id.
  const scanId = scanIdFor(request, record.messageId);
  const { name, provider } = selectProvider(record, request as { provider?: unknown }, config);
  const extraEnv = opts.toEnvironment?.(request, { scanId, provider: name }) ?? {};
  // A request too large for a task of its own can never run: refuse it now, alone.
  buildTaskRun(config, provider, [{ scanId, request }], extraEnv);
  return { record, request, scanId, providerName: name, provider, extraEnv };
}

/**
 * Group validated records into tasks of at most `targetsPerTask`, in arrival order. Only records with
 * the same provider and the same request-derived environment share a task (a task has one container
 * environment), and a group is cut early when one more request would push its overrides past ECS's
 * limit. Pure.
 */
export function groupIntoTasks(
  prepared: readonly PreparedRecord[],
  config: LauncherConfig,
  targetsPerTask: number = config.targetsPerTask ?? 1,
): PreparedRecord[][] {
  const byKey = new Map<string, PreparedRecord[][]>();
  for (const p of prepared) {
    const key = JSON.stringify([p.providerName, Object.entries(p.extraEnv).sort()]);
    const groups = byKey.get(key) ?? byKey.set(key, []).get(key)!;
    const open = groups.at(-1);
    const fits =
      open !== undefined &&
      open.length < targetsPerTask &&
      taskOverrides(config, p.provider, [...open, p], p.extraEnv).size <= MAX_OVERRIDE_CHARS;
    if (fits) open.push(p);
    else groups.push([p]);
  }
  return [...byKey.values()].flat();
}

/** Start one task for a group; resolves to its ARN, or throws LaunchFailedError (its records are retried). */
export async function runTaskFor(
  group: readonly PreparedRecord[],
  deps: Pick<LauncherDeps, "ecs" | "config">,
): Promise<string> {
  const { provider, providerName, extraEnv } = group[0];
  const input = buildTaskRun(deps.config, provider, group, extraEnv);
  const out = await deps.ecs.send(new RunTaskCommand(input));
  const failures = out.failures ?? [];
  const arn = out.tasks?.[0]?.taskArn;
  if (failures.length > 0 || !arn) {
    const why = failures
      .map((f) => `${f.arn ?? "?"}: ${f.reason ?? "?"}${f.detail ? ` (${f.detail})` : ""}`)
      .join("; ");
    throw new LaunchFailedError(
      `RunTask started no task for ${providerName}: ${why || "no task and no failure returned"}`,
    );
  }
  return arn;
}

/** Start one task for one record; resolves to the task ARN. Throws a PermanentLaunchError (dead letter) or anything else (retry). */
export async function launchRecord<S extends TSchema>(
  record: SQSRecord,
  deps: Pick<LauncherDeps, "ecs" | "config">,
  opts: LauncherOptions<S> = {},
): Promise<string> {
  return runTaskFor([prepareRecord(record, deps.config, opts)], deps);
}

/**
 * Each record's outcome for a whole SQS batch, by message id: invalid records reject alone with their
 * permanent error; valid ones are grouped into tasks, and a RunTask failure rejects exactly the records
 * of its group. Every promise already has a handler, so one that settles before its turn is no
 * unhandled rejection.
 */
export function launchBatch<S extends TSchema>(
  records: readonly SQSRecord[],
  deps: () => Pick<LauncherDeps, "ecs" | "config">,
  opts: LauncherOptions<S> = {},
): Map<string, Promise<string>> {
  const outcomes = new Map<string, Promise<string>>();
  const settle = (id: string, p: Promise<string>) => {
    p.catch(() => undefined);
    outcomes.set(id, p);
  };
  let d: Pick<LauncherDeps, "ecs" | "config">;
  try {
    d = deps();
  } catch (e) {
    // A bad config fails every record loudly, and they are retried.
    for (const r of records) settle(r.messageId, Promise.reject(e));
    return outcomes;
  }
  const prepared: PreparedRecord[] = [];
  for (const r of records) {
    try {
      prepared.push(prepareRecord(r, d.config, opts));
    } catch (e) {
      settle(r.messageId, Promise.reject(e));
    }
  }
  for (const group of groupIntoTasks(prepared, d.config)) {
    const started = runTaskFor(group, d);
    for (const p of group) settle(p.record.messageId, started);
  }
  return outcomes;
}
