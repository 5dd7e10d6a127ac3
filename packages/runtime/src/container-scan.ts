import { Env, parseJson, type ScannerModule } from "@sec-an/contracts";
import type { TSchema } from "@sinclair/typebox";
import { logger } from "./batch";
import { putRawResult } from "./raw-store";
import { scanIdFor } from "./task-kit";

/**
 * The body of a scanner container written in TypeScript: read the request the launcher put in the
 * environment, check it against the module's schema, run the module's scan, store the raw result.
 * Returns the exit code: 0 stored, 2 a request that can never succeed, 1 anything else (ECS reports
 * a non-zero exit, and the launcher's retry policy decides).
 */
export async function runContainerScan<S extends TSchema>(
  scanner: Pick<ScannerModule<S>, "name" | "requestSchema" | "scan">,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const scan = scanner.scan;
  if (scan.kind !== "container" || !scan.run)
    throw new Error(`${scanner.name}: the module has no container scan to run`);
  const bucket = env[Env.resultsBucket];
  const requestId = env[Env.scanRequestId];
  if (!bucket || !requestId) {
    logger.error("the launcher sets RESULTS_BUCKET and SCAN_REQUEST_ID; one is missing", {
      task: scanner.name,
    });
    return 2;
  }
  let request;
  try {
    request = parseJson(scanner.requestSchema, env[Env.scanRequest] ?? "");
  } catch (e) {
    logger.error("scan request rejected", { task: scanner.name, error: e as Error });
    return 2;
  }
  try {
    const scanId = scanIdFor(request, requestId);
    const output = await scan.run(request, { scanId, task: scanner.name });
    const key = await putRawResult({ bucket, task: scanner.name, scanId, request, output });
    logger.info("scan stored", { task: scanner.name, scanId, key });
    return 0;
  } catch (e) {
    logger.error("scan failed", { task: scanner.name, error: e as Error });
    return 1;
  }
}
