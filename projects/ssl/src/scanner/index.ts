import { Params, SslEnv, type PortDetected, type ScanFn } from "@sec-an/contracts";
import { ParamNotFoundError, dynamoDocClient, getParam, logger } from "@sec-an/runtime";
import { hostsForAddress } from "./resolved";
import { scanTls, type SslScanOptions } from "./scan";

export { scanTls, checkTarget, collectHostnames, type SslScanOptions } from "./scan";
export { checkHostname } from "./hostnames";
export { hostsForAddress } from "./resolved";

/**
 * DNS names for an address from task-execution's resolved-addresses table, whose name is read from SSM
 * late. Where that stack is not deployed (a local run, an isolated ssl stack) the scan goes on with the
 * event's names only, and says so in the log.
 */
export async function resolvedHostnames(address: string): Promise<string[]> {
  let table: string;
  try {
    table = await getParam(Params.resolvedAddressesTableId);
  } catch (e) {
    if (e instanceof ParamNotFoundError) {
      logger.warn("resolved-addresses table not published; scanning the event's host names only", {
        error: e.message,
      });
      return [];
    }
    throw e;
  }
  return hostsForAddress(dynamoDocClient(), table, address);
}

function intFrom(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** Scan options of the Lambda: tuning from the environment, DNS names from resolved-addresses. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): SslScanOptions {
  return {
    timeoutMs: intFrom(env, SslEnv.handshakeTimeoutMs, 100, 60_000),
    maxHostnames: intFrom(env, SslEnv.maxHostnames, 1, 100),
    lookupHostnames: resolvedHostnames,
  };
}

/** The ssl ScanFn: TLS checks of one detected port; the raw result is its JSON. */
export function createScan(options: SslScanOptions = optionsFromEnv()): ScanFn<PortDetected> {
  return async (request) => {
    const startTime = new Date();
    const result = await scanTls(request, { ...options, now: options.now ?? (() => startTime) });
    return {
      body: JSON.stringify(result),
      extension: "json",
      contentType: "application/json",
      startTime,
      endTime: new Date(),
    };
  };
}
