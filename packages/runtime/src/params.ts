import { readFileSync } from "node:fs";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { DEFAULT_APP, Env, paramName, type Deployment, type ParamDef } from "@sec-an/contracts";
import { ssmClient } from "./aws";

/**
 * Late SSM lookup ("look SSM up as late as possible", seed 001): handlers call `getParam` inside the
 * invocation, never at module scope, so a parameter changed by a later stack deploy is seen within
 * `maxAge` without redeploying the function.
 */

/** Default cache lifetime: SSM's GetParameter throughput is limited, and our values change only on deploys. */
export const DEFAULT_PARAM_MAX_AGE_SECONDS = 300;

export interface GetParamOptions {
  /** Cache lifetime in seconds (default 300; 0 disables the cache). */
  maxAge?: number;
  /** Bypass the cache for this call. */
  forceFetch?: boolean;
  /** Deployment to read from; defaults to the one named by the environment. */
  deployment?: Deployment;
}

type OverrideValue = string | string[];

/** The parameter named by `name` does not exist (in SSM or in the overrides). */
export class ParamNotFoundError extends Error {
  constructor(
    readonly parameterName: string,
    detail?: string,
  ) {
    super(`SSM parameter ${parameterName} not found${detail ? `: ${detail}` : ""}`);
    this.name = "ParamNotFoundError";
  }
}

/**
 * The deployment whose parameters this process reads: app from `SEC_AN_APP` (default "sec-an"), stage
 * from `SEC_AN_SSM_SOURCE_STAGE` when set (ephemeral stacks reading a long-lived stage's parameters),
 * otherwise `SEC_AN_STAGE`.
 */
export function deploymentFromEnv(env: NodeJS.ProcessEnv = process.env): Deployment {
  const app = env[Env.app] || DEFAULT_APP;
  const stage = env[Env.ssmSourceStage] || env[Env.stage];
  if (!stage) throw new Error(`environment variable ${Env.stage} is not set: cannot name SSM parameters`);
  return { app, stage };
}

/** Full SSM name of `def` for the deployment from the environment (or the one given). */
export function fullParamName(def: ParamDef, deployment: Deployment = deploymentFromEnv()): string {
  return paramName(deployment, def);
}

let overrides: Record<string, OverrideValue> | undefined;
let fileOverrides: { path: string; values: Record<string, OverrideValue> } | undefined;

/** Values that win over SSM, keyed by full parameter name. `undefined` clears them. */
export function setParamOverrides(values: Record<string, OverrideValue> | undefined): void {
  overrides = values ? { ...values } : undefined;
}

function overrideFor(name: string): OverrideValue | undefined {
  if (overrides && Object.prototype.hasOwnProperty.call(overrides, name)) return overrides[name];
  const path = process.env[Env.paramOverrides];
  if (!path) return undefined;
  if (fileOverrides?.path !== path) fileOverrides = { path, values: loadOverrideFile(path) };
  return Object.prototype.hasOwnProperty.call(fileOverrides.values, name)
    ? fileOverrides.values[name]
    : undefined;
}

function loadOverrideFile(path: string): Record<string, OverrideValue> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(
      `${Env.paramOverrides}=${path}: cannot read parameter overrides: ${(e as Error).message}`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${Env.paramOverrides}=${path}: expected a JSON object of parameter name → value`);
  }
  for (const [k, v] of Object.entries(parsed)) {
    const ok = typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
    if (!ok)
      throw new Error(`${Env.paramOverrides}=${path}: value of ${k} must be a string or a list of strings`);
  }
  return parsed as Record<string, OverrideValue>;
}

let provider: { client: SSMClient; ssm: SSMProvider } | undefined;
function ssmProvider(): SSMProvider {
  const c = ssmClient();
  // A new injected client (tests, local runs) gets a new provider, and so a fresh cache.
  if (provider?.client !== c) provider = { client: c, ssm: new SSMProvider({ awsSdkV3Client: c }) };
  return provider.ssm;
}

/** Forget cached SSM values (tests; after a known parameter change). */
export function clearParamCache(): void {
  provider?.ssm.clearCache();
}

async function fetchRaw(def: ParamDef, opts: GetParamOptions): Promise<OverrideValue> {
  const name = fullParamName(def, opts.deployment);
  const o = overrideFor(name);
  if (o !== undefined) return o;
  try {
    const value = await ssmProvider().get(name, {
      maxAge: opts.maxAge ?? DEFAULT_PARAM_MAX_AGE_SECONDS,
      forceFetch: opts.forceFetch,
    });
    if (typeof value !== "string") throw new ParamNotFoundError(name, "no value returned");
    return value;
  } catch (e) {
    if (e instanceof ParamNotFoundError) throw e;
    const cause = (e as { cause?: { name?: string } }).cause;
    if (cause?.name === "ParameterNotFound" || (e as Error).name === "ParameterNotFound") {
      throw new ParamNotFoundError(
        name,
        `published by the ${def.producer} stack: is it deployed for this stage?`,
      );
    }
    throw new Error(`reading SSM parameter ${name}: ${(e as Error).message}`, { cause: e });
  }
}

/** The value of a String parameter (a StringList comes back comma-joined; use `getParamList` for those). */
export async function getParam(def: ParamDef, opts: GetParamOptions = {}): Promise<string> {
  const v = await fetchRaw(def, opts);
  return Array.isArray(v) ? v.join(",") : v;
}

/** The items of a StringList parameter. */
export async function getParamList(def: ParamDef, opts: GetParamOptions = {}): Promise<string[]> {
  const v = await fetchRaw(def, opts);
  if (Array.isArray(v)) return [...v];
  return v === "" ? [] : v.split(",");
}

/**
 * Several String parameters at once: overrides first, the rest in batched GetParameters calls (the
 * original's one-lookup-per-invocation decorator). Every missing name is reported in one error.
 */
export async function getParams<K extends string>(
  defs: Record<K, ParamDef>,
  opts: Omit<GetParamOptions, "forceFetch"> = {},
): Promise<Record<K, string>> {
  const names = Object.fromEntries(
    Object.entries<ParamDef>(defs).map(([k, d]) => [k, fullParamName(d, opts.deployment)]),
  ) as Record<K, string>;
  const out = {} as Record<K, string>;
  const toFetch: K[] = [];
  for (const k of Object.keys(names) as K[]) {
    const o = overrideFor(names[k]);
    if (o === undefined) toFetch.push(k);
    else out[k] = Array.isArray(o) ? o.join(",") : o;
  }
  if (toFetch.length === 0) return out;
  let fetched: Record<string, unknown>;
  try {
    fetched = await ssmProvider().getParametersByName(
      Object.fromEntries(toFetch.map((k) => [names[k], {}])),
      { maxAge: opts.maxAge ?? DEFAULT_PARAM_MAX_AGE_SECONDS, throwOnError: false },
    );
  } catch (e) {
    throw new Error(
      `reading SSM parameters ${toFetch.map((k) => names[k]).join(", ")}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const missing = toFetch.filter((k) => typeof fetched[names[k]] !== "string");
  if (missing.length)
    throw new ParamNotFoundError(
      missing.map((k) => names[k]).join(", "),
      "is any of their stacks not deployed for this stage?",
    );
  for (const k of toFetch) out[k] = fetched[names[k]] as string;
  return out;
}
