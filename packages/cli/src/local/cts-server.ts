import { createServer, type IncomingMessage, type Server } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { CTS_DEFAULT_NAME, CtsEnv, CtsLimits } from "@sec-an/contracts";
import type * as ThreatService from "@sec-an/project-threat-service";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { projectIndex } from "../tasks";
import type { LocalInvoker } from "./invoker";
import type { SqliteStore } from "./sqlite-store";
import type { LocalTopology } from "./topology";

/** The threat service's API handler, as the program tags it. */
export const CTS_API_ENTRY = "projects/threat-service/src/handlers/api.ts";

export type CtsInvoke = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface CtsServer {
  /** The service URL SOAR would be registered with, e.g. `http://127.0.0.1:41234/cts/sec-an`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Reads a body up to `limit` bytes; one byte more is enough for the handler to refuse it (413). The rest
 * is read and dropped, so the client still gets that answer, up to a bound past which the connection is cut.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    if (size < limit) chunks.push(b.subarray(0, limit - size));
    size += b.length;
    if (size > 16 * limit) {
      req.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}

/** A request as API Gateway's proxy integration hands it to the function (body base64, as for binary). */
export function toApiGatewayEvent(
  method: string,
  url: URL,
  headers: IncomingMessage["headers"],
  body: Buffer,
): APIGatewayProxyEvent {
  // The two routes API Gateway maps, /cts/{name} and /cts/{name}/{id}, with their parameters filled
  // (decoded, as API Gateway hands them over) so the handler reads the same event it reads there.
  const segments = url.pathname.split("/");
  const parts = segments[1] === "cts" ? segments.slice(2) : [];
  const dec = (v: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  const pathParameters =
    parts.length >= 1 && parts.length <= 2 && parts.every(Boolean)
      ? { name: dec(parts[0]), ...(parts[1] === undefined ? {} : { id: dec(parts[1]) }) }
      : null;
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) h[k] = Array.isArray(v) ? v.join(", ") : v;
  return {
    httpMethod: method,
    path: url.pathname,
    resource: parts.length > 1 ? "/cts/{name}/{id}" : "/cts/{name}",
    headers: h,
    multiValueHeaders: {},
    queryStringParameters: url.searchParams.size ? Object.fromEntries(url.searchParams) : null,
    multiValueQueryStringParameters: null,
    pathParameters,
    stageVariables: null,
    body: body.length ? body.toString("base64") : null,
    isBase64Encoded: body.length > 0,
    requestContext: {} as APIGatewayProxyEvent["requestContext"],
  };
}

/**
 * The custom threat service on loopback: a small HTTP server that hands each request to the real API
 * handler, the way API Gateway would, and writes its answer back. Binds 127.0.0.1 only.
 */
export async function startCtsServer(
  invoke: CtsInvoke,
  opts: { port?: number; serviceName?: string } = {},
): Promise<CtsServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const body = await readBody(req, CtsLimits.maxBodyBytes + 1);
        const r = await invoke(toApiGatewayEvent(req.method ?? "GET", url, req.headers, body));
        res.writeHead(r.statusCode, r.headers as Record<string, string>);
        res.end(r.isBase64Encoded ? Buffer.from(r.body, "base64") : r.body);
      } catch (e) {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "local-invoke-failed", message: (e as Error).message } }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/cts/${opts.serviceName ?? CTS_DEFAULT_NAME}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A curl command asking the CTS about one of the run's targets, with the artifact type that fits it. */
export function ctsExample(url: string, target = "127.0.0.1"): string {
  const type = isIP(target) ? "net.ip" : target.includes("/") ? "net.cidr" : "net.name";
  return `curl -X POST ${url} -d '${JSON.stringify({ type, value: target })}'`;
}

/**
 * The local run's CTS: the threat service's searches read the local store, and its API function runs
 * through the local invoker (its own environment, the emulators' tables and queue). Undefined when the
 * topology has no threat service.
 */
export async function serveCtsLocally(args: {
  topology: LocalTopology;
  invoker: LocalInvoker;
  store: SqliteStore;
  port?: number;
}): Promise<CtsServer | undefined> {
  const fn = args.topology.functions.find((f) => f.entry === CTS_API_ENTRY);
  if (!fn) return undefined;
  const cts = await projectIndex<typeof ThreatService>("threat-service");
  cts.setSnapshotReaderOverride({
    // The local store matches one value per field: a `terms` filter is one search per value.
    search: async (index, filter, size) => {
      const [field, values] = Object.entries(filter.terms ?? {})[0] ?? [undefined, [undefined]];
      const docs = [];
      for (const v of values) {
        const term = { ...filter.term, ...(field === undefined ? {} : { [field]: v as string | number }) };
        docs.push(...(await args.store.search(index, { term }, size)));
        if (docs.length >= size) break;
      }
      return docs.slice(0, size);
    },
  });
  return startCtsServer(
    async (event) => {
      const r = await args.invoker.invoke(fn.name, event);
      if (!r.ok) throw r.error ?? new Error("the CTS handler failed");
      return r.result as APIGatewayProxyResult;
    },
    { port: args.port, serviceName: fn.env[CtsEnv.serviceName] },
  );
}
