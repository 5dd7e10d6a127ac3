import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { lookup } from "node:dns/promises";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DEFAULT_APP, Params, paramName, type Deployment } from "@sec-an/contracts";
import type { Io } from "../main";
import { readStackParam } from "./scan";

export const DASHBOARDS_USAGE = "dashboards --stack <stack> [--app a] [--local-port 443] [--region r]";

/**
 * Cognito sends the browser back to the domain's own host name on port 443 after sign-in, so the
 * tunnel listens there by default; another port works until that redirect (see docs/dashboards.md).
 */
export const DEFAULT_LOCAL_PORT = 443;
/** Session Manager's document that forwards a local port to a host the instance can reach. */
export const PORT_FORWARD_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost";
/** What the tunnel needs on this machine, and where each comes from. */
export const REQUIRED_TOOLS = {
  aws: "the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
  "session-manager-plugin":
    "the Session Manager plugin: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html",
} as const;

export interface DashboardsOptions {
  readonly deployment: Deployment;
  readonly localPort: number;
  readonly region?: string;
}

export function parseDashboardsArgs(args: string[]): DashboardsOptions {
  const { values } = parseArgs({
    args,
    options: {
      stack: { type: "string" },
      app: { type: "string" },
      "local-port": { type: "string" },
      region: { type: "string" },
    },
  });
  if (!values.stack) throw new Error("--stack is required");
  const deployment = { app: values.app ?? DEFAULT_APP, stage: values.stack };
  paramName(deployment, Params.esEndpointUrl); // throws on a bad app or stage
  const port = Number(values["local-port"] ?? DEFAULT_LOCAL_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`--local-port must be 1..65535, got ${JSON.stringify(values["local-port"])}`);
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(values.region))
    throw new Error(`--region ${JSON.stringify(values.region)} is not an AWS region name`);
  return { deployment, localPort: port, region: values.region };
}

/** The domain's host name from its endpoint URL (as published in SSM), checked to be a plain DNS name. */
export function domainHost(endpointUrl: string): string {
  const host = new URL(endpointUrl).hostname;
  if (!/^[a-z0-9.-]+$/i.test(host))
    throw new Error(`unexpected domain endpoint ${JSON.stringify(endpointUrl)}`);
  return host;
}

/** `aws …` arguments of the session, as one vector for spawn (never a shell string). */
export function portForwardArgv(o: {
  instanceId: string;
  host: string;
  localPort: number;
  region?: string;
}): string[] {
  if (!/^i-[0-9a-f]{8,17}$/.test(o.instanceId))
    throw new Error(`unexpected tunnel instance id ${JSON.stringify(o.instanceId)}`);
  return [
    "ssm",
    "start-session",
    "--target",
    o.instanceId,
    "--document-name",
    PORT_FORWARD_DOCUMENT,
    "--parameters",
    JSON.stringify({ host: [o.host], portNumber: ["443"], localPortNumber: [String(o.localPort)] }),
    ...(o.region ? ["--region", o.region] : []),
  ];
}

/** The Dashboards URL through the tunnel: the domain's own name, so its certificate matches. */
export function dashboardsUrl(host: string, localPort: number): string {
  return `https://${host}${localPort === 443 ? "" : `:${localPort}`}/_dashboards/`;
}

/** Tools missing from PATH, each with where to get it. */
export function missingTools(pathEnv: string | undefined): string[] {
  const dirs = (pathEnv ?? "").split(path.delimiter).filter(Boolean);
  const found = (tool: string) =>
    dirs.some((d) => {
      try {
        accessSync(path.join(d, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return Object.entries(REQUIRED_TOOLS).flatMap(([tool, where]) =>
    found(tool) ? [] : [`${tool}: ${where}`],
  );
}

export interface DashboardsDeps {
  ssm: Pick<SSMClient, "send">;
  env: NodeJS.ProcessEnv;
  /** Addresses a host name resolves to on this machine. */
  resolve: (host: string) => Promise<string[]>;
}

const isLoopback = (a: string) => a === "::1" || a.startsWith("127.");

/** `sec-an dashboards`: a Session Manager tunnel to the VPC-only domain, until interrupted. */
export async function run(args: string[], io: Io, deps?: Partial<DashboardsDeps>): Promise<number> {
  let o: DashboardsOptions;
  try {
    o = parseDashboardsArgs(args);
  } catch (e) {
    io.stderr.write(`sec-an dashboards: ${(e as Error).message}\nusage: sec-an ${DASHBOARDS_USAGE}\n`);
    return 2;
  }
  const env = deps?.env ?? process.env;
  const missing = missingTools(env.PATH);
  if (missing.length) {
    io.stderr.write(
      `sec-an dashboards: the tunnel needs, on PATH:\n${missing.map((m) => `  ${m}\n`).join("")}`,
    );
    return 2;
  }
  let argv: string[];
  let host: string;
  try {
    const ssm = deps?.ssm ?? new SSMClient(o.region ? { region: o.region } : {});
    const [instanceId, endpoint] = await Promise.all([
      readStackParam(ssm, o.deployment, Params.dashboardsTunnelInstanceId),
      readStackParam(ssm, o.deployment, Params.esEndpointUrl),
    ]);
    host = domainHost(endpoint);
    argv = portForwardArgv({ instanceId, host, localPort: o.localPort, region: o.region });
  } catch (e) {
    io.stderr.write(`sec-an dashboards: ${(e as Error).message}\n`);
    return 1;
  }
  const resolve =
    deps?.resolve ?? (async (h: string) => (await lookup(h, { all: true })).map((a) => a.address));
  const local = await resolve(host).then(
    (as) => as.length > 0 && as.every(isLoopback),
    () => false,
  );
  io.stdout.write(`Dashboards: ${dashboardsUrl(host, o.localPort)}\n`);
  if (!local)
    io.stdout.write(
      `First add this line to your hosts file (/etc/hosts), so the name reaches the tunnel and the certificate matches:\n` +
        `  127.0.0.1 ${host}\n`,
    );
  io.stdout.write("Sign in with your sec-an user. Ctrl-C closes the tunnel.\n");
  return new Promise<number>((resolveExit) => {
    const child = spawn("aws", argv, { stdio: "inherit", env });
    child.on("error", (e) => {
      io.stderr.write(`sec-an dashboards: could not start aws: ${e.message}\n`);
      resolveExit(1);
    });
    child.on("exit", (code, signal) => resolveExit(code ?? (signal ? 130 : 1)));
  });
}
