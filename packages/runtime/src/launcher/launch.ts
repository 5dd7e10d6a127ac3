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
 * The launcher: one SQS record in, one Fargate task started (or a clear, recorded reason why not).
 * Two kinds of failure, handled differently on purpose:
 * - permanent (malformed body, schema miss, invalid target, unknown provider, oversize request):
 *   retrying cannot help, so the batch layer sends the record straight to the task queue's DLQ with the
 *   code and reason (the dead-letter recorder stores them) and the record counts as done — nothing
 *   lost, no wasted retries, and no Fargate task paid for a target the container would refuse;
 * - transient (RunTask error or `failures`, no task returned): the record FAILS, so SQS redelivers it;
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

/** The RunTask call for one validated request (pure: tested without any client). */
export function buildRunTask(
  config: LauncherConfig,
  provider: LauncherProvider,
  request: unknown,
  scanId: string,
  extraEnv: Record<string, string> = {},
): RunTaskCommandInput {
  const ours: KeyValuePair[] = [
    { name: Env.task, value: config.task },
    { name: Env.scanRequestId, value: scanId },
    { name: Env.resultsBucket, value: config.resultsBucket },
    { name: Env.scanRequest, value: JSON.stringify(request) },
  ];
  // A request-derived variable can never replace where results go or which scan this is.
  const reserved = new Set(ours.map((e) => e.name));
  const environment = [
    ...Object.entries(extraEnv)
      .filter(([name]) => !reserved.has(name))
      .map(([name, value]) => ({ name, value })),
    ...ours,
  ];
  const overrides = { containerOverrides: [{ name: provider.container, environment }] };
  const size = JSON.stringify(overrides).length;
  if (size > MAX_OVERRIDE_CHARS) {
    throw new PermanentLaunchError(
      "RequestTooLarge",
      `container overrides are ${size} characters; ECS allows ${MAX_OVERRIDE_CHARS}`,
    );
  }
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
    startedBy: `sec-an/${config.task}/${scanId}`.replace(/[^A-Za-z0-9_/-]/g, "_").slice(0, 128),
  };
}

/** Start one task for one record; resolves to the task ARN. Throws a PermanentLaunchError (dead letter) or anything else (retry). */
export async function launchRecord<S extends TSchema>(
  record: SQSRecord,
  deps: Pick<LauncherDeps, "ecs" | "config">,
  opts: LauncherOptions<S> = {},
): Promise<string> {
  const request = parseRequest(record.body, opts.requestSchema ?? ScanRequest) as Static<S>;
  // Same rule as Lambda scanners: the request's own scanId when usable, else the SQS message id.
  const scanId = scanIdFor(request, record.messageId);
  const { name, provider } = selectProvider(record, request as { provider?: unknown }, deps.config);
  const extra = opts.toEnvironment?.(request, { scanId, provider: name }) ?? {};
  const input = buildRunTask(deps.config, provider, request, scanId, extra);
  const out = await deps.ecs.send(new RunTaskCommand(input));
  const failures = out.failures ?? [];
  const arn = out.tasks?.[0]?.taskArn;
  if (failures.length > 0 || !arn) {
    const why = failures
      .map((f) => `${f.arn ?? "?"}: ${f.reason ?? "?"}${f.detail ? ` (${f.detail})` : ""}`)
      .join("; ");
    throw new LaunchFailedError(
      `RunTask started no task for ${name}: ${why || "no task and no failure returned"}`,
    );
  }
  return arn;
}
