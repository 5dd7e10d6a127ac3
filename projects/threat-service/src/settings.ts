import { CTS_DEFAULT_NAME, CtsEnv } from "@sec-an/contracts";

/** A required environment variable (set by the program), or a clear error naming it. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

/** A positive whole number of seconds from the environment, or the default. */
export function secondsEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const v = env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a whole number of seconds, got ${JSON.stringify(v)}`);
  return n;
}

export const serviceNameFromEnv = (env: NodeJS.ProcessEnv = process.env) =>
  env[CtsEnv.serviceName] || CTS_DEFAULT_NAME;

export const tablesFromEnv = (env: NodeJS.ProcessEnv = process.env) => ({
  active: requiredEnv(CtsEnv.activeTable, env),
  results: requiredEnv(CtsEnv.resultsTable, env),
});

export const epochNow = () => Math.floor(Date.now() / 1000);
