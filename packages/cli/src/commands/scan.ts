import { parseArgs } from "node:util";
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DEFAULT_APP, Params, paramName, type Deployment, type ParamDef } from "@sec-an/contracts";
import type { Io } from "../main";

export const SCAN_USAGE =
  "scan <target>... --stack <stack> [--app a] [--scanner s]... [--ports p] [--token t | --user email [--mfa-code c]]";

/** Environment the command reads: a token or password never goes on the command line (it shows in `ps`). */
export const ScanCliEnv = { token: "SEC_AN_TOKEN", password: "SEC_AN_PASSWORD" } as const;

export interface ScanOptions {
  readonly deployment: Deployment;
  readonly targets: string[];
  readonly scanners?: string[];
  readonly ports?: string;
  readonly token?: string;
  readonly user?: string;
  readonly mfaCode?: string;
}

export class UsageError extends Error {}

/** The command line and environment → options; throws UsageError naming what is missing. */
export function parseScanArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ScanOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      stack: { type: "string" },
      app: { type: "string" },
      scanner: { type: "string", multiple: true },
      ports: { type: "string" },
      token: { type: "string" },
      user: { type: "string" },
      "mfa-code": { type: "string" },
    },
  });
  if (!values.stack) throw new UsageError("--stack is required");
  if (positionals.length === 0) throw new UsageError("name at least one target");
  const deployment = { app: values.app ?? DEFAULT_APP, stage: values.stack };
  paramName(deployment, Params.apiPublicUrl); // throws on a bad app or stage
  const token = values.token ?? env[ScanCliEnv.token];
  if (!token && !values.user)
    throw new UsageError(
      `sign in with --user <email> (password in ${ScanCliEnv.password}) or pass --token / ${ScanCliEnv.token}`,
    );
  return {
    deployment,
    targets: positionals,
    scanners: values.scanner,
    ports: values.ports,
    token: token || undefined,
    user: values.user,
    mfaCode: values["mfa-code"],
  };
}

/** The HTTP request `POST /scans` takes: the id token as the Cognito authorizer expects it. */
export function scanRequest(
  apiUrl: string,
  token: string,
  o: Pick<ScanOptions, "targets" | "scanners" | "ports">,
) {
  const body = {
    targets: o.targets,
    ...(o.scanners?.length ? { scanners: o.scanners } : {}),
    ...(o.ports ? { ports: o.ports } : {}),
  };
  return {
    url: `${apiUrl.replace(/\/+$/, "")}/scans`,
    init: {
      method: "POST",
      headers: { authorization: token, "content-type": "application/json" },
      body: JSON.stringify(body),
    },
  };
}

export interface ScanResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Sends the request; a body that is not JSON (a gateway error page) is kept as its text. */
export async function postScan(
  apiUrl: string,
  token: string,
  o: Pick<ScanOptions, "targets" | "scanners" | "ports">,
  fetchImpl: typeof fetch = fetch,
): Promise<ScanResponse> {
  const { url, init } = scanRequest(apiUrl, token, o);
  const res = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { message: text.slice(0, 500) } };
  }
}

/** What the command prints for a response, and its exit code. */
export function describeResponse(r: ScanResponse): { out: string; err: string; code: number } {
  const b = r.body as {
    scans?: { target: string; scanId: string }[];
    scanners?: string[];
    error?: string;
    message?: string;
    targets?: { target: string; reason: string }[];
  };
  if (r.status === 202 && b.scans) {
    const lines = b.scans.map((s) => `${s.target}\t${s.scanId}`);
    return { out: `queued for ${(b.scanners ?? []).join(", ")}:\n${lines.join("\n")}\n`, err: "", code: 0 };
  }
  const reasons = (b.targets ?? []).map((t) => `  ${t.target}: ${t.reason}\n`).join("");
  const hint = r.status === 401 ? " (the token is missing, expired or not from this stack's user pool)" : "";
  return {
    out: "",
    err: `HTTP ${r.status} ${b.error ?? ""}: ${b.message ?? ""}${hint}\n${reasons}`,
    code: 1,
  };
}

export interface ScanDeps {
  ssm: Pick<SSMClient, "send">;
  cognito: Pick<CognitoIdentityProviderClient, "send">;
  fetch: typeof fetch;
  env: NodeJS.ProcessEnv;
}

/** A parameter of a deployed stack, or an error naming the stack to deploy. */
export async function readStackParam(
  ssm: Pick<SSMClient, "send">,
  d: Deployment,
  def: ParamDef,
): Promise<string> {
  const name = paramName(d, def);
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    if (out.Parameter?.Value) return out.Parameter.Value;
  } catch (e) {
    if ((e as Error).name !== "ParameterNotFound") throw e;
  }
  throw new Error(`SSM parameter ${name} not found: is the ${def.producer} stack of ${d.stage} deployed?`);
}

/** An id token for the user, by password sign-in against the CLI's app client (answering a TOTP challenge). */
export async function signIn(
  cognito: ScanDeps["cognito"],
  clientId: string,
  user: string,
  password: string,
  mfaCode?: string,
): Promise<string> {
  const first = await cognito.send(
    new InitiateAuthCommand({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: clientId,
      AuthParameters: { USERNAME: user, PASSWORD: password },
    }),
  );
  let result = first.AuthenticationResult;
  if (!result && first.ChallengeName === "SOFTWARE_TOKEN_MFA") {
    if (!mfaCode)
      throw new UsageError("this user has MFA: pass --mfa-code <code from the authenticator app>");
    const answer = await cognito.send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: "SOFTWARE_TOKEN_MFA",
        Session: first.Session,
        ChallengeResponses: { USERNAME: user, SOFTWARE_TOKEN_MFA_CODE: mfaCode },
      }),
    );
    result = answer.AuthenticationResult;
  } else if (!result && first.ChallengeName === "NEW_PASSWORD_REQUIRED") {
    throw new UsageError(
      "set a permanent password first: sign in to Dashboards once (see docs/dashboards.md)",
    );
  } else if (!result) {
    throw new UsageError(
      `Cognito asks for ${first.ChallengeName ?? "an unknown challenge"}, which sec-an scan cannot answer`,
    );
  }
  if (!result?.IdToken) throw new Error("Cognito returned no id token");
  return result.IdToken;
}

/** `sec-an scan`: ask the platform to scan targets now, through `POST /scans`. */
export async function run(args: string[], io: Io, deps?: Partial<ScanDeps>): Promise<number> {
  let o: ScanOptions;
  const env = deps?.env ?? process.env;
  try {
    o = parseScanArgs(args, env);
  } catch (e) {
    io.stderr.write(`sec-an scan: ${(e as Error).message}\nusage: sec-an ${SCAN_USAGE}\n`);
    return 2;
  }
  const ssm = deps?.ssm ?? new SSMClient({});
  try {
    const apiUrl = await readStackParam(ssm, o.deployment, Params.apiPublicUrl);
    let token = o.token;
    if (!token) {
      const password = env[ScanCliEnv.password];
      if (!password) throw new UsageError(`set ${ScanCliEnv.password} to ${o.user}'s password`);
      const clientId = await readStackParam(ssm, o.deployment, Params.cognitoCliClientId);
      token = await signIn(
        deps?.cognito ?? new CognitoIdentityProviderClient({}),
        clientId,
        o.user!,
        password,
        o.mfaCode,
      );
    }
    const d = describeResponse(await postScan(apiUrl, token, o, deps?.fetch ?? fetch));
    io.stdout.write(d.out);
    io.stderr.write(d.err);
    return d.code;
  } catch (e) {
    io.stderr.write(`sec-an scan: ${(e as Error).message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}
