import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { logger, reportFailure } from "@sec-an/runtime";
import { CtsHttpError } from "./errors";
import type { CtsRequest } from "./request";
import { route } from "./request";
import { CAPABILITIES, getSearch, postArtifact, type ServiceDeps } from "./service";

/** An API Gateway (REST, proxy integration) event as the service's request. */
export function fromApiGateway(event: APIGatewayProxyEvent): CtsRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v ?? undefined;
  const raw = event.body ?? "";
  // The path parameters, not `event.path`: behind a custom domain the path carries its base path too.
  const { name, id } = event.pathParameters ?? {};
  return {
    method: event.httpMethod,
    path: name ? `/cts/${name}${id === undefined ? "" : `/${id}`}` : event.path,
    headers,
    body: event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8"),
  };
}

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify(body),
});

/**
 * One request through the service: OPTIONS → capabilities, POST → start or answer a search, GET → poll.
 * Refused input is a 4xx with a JSON error; anything else that fails is logged and answered 500 without
 * detail (SOAR retries later).
 */
export async function serve(
  req: CtsRequest,
  serviceName: string,
  deps: () => ServiceDeps,
): Promise<APIGatewayProxyResult> {
  try {
    const r = await route(req, serviceName);
    if (r.kind === "options") return json(200, CAPABILITIES);
    const answer = r.kind === "post" ? await postArtifact(r.artifact, deps()) : await getSearch(r.id, deps());
    return json(answer.status, answer.body);
  } catch (e) {
    if (e instanceof CtsHttpError) return json(e.status, e.body());
    logger.error("request failed", {
      method: req.method,
      path: req.path.slice(0, 200),
      reason: (e as Error).message,
    });
    // The caller only sees "try again later": the cause goes to whoever watches the error channel.
    await reportFailure({ code: "internal", message: (e as Error).message, requestId: "" });
    return json(500, {
      error: { code: "internal", message: "the request could not be served; try again later" },
    });
  }
}
