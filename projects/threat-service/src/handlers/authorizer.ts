import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CtsEnv, Params } from "@sec-an/contracts";
import { getParam, logger } from "@sec-an/runtime";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { allowPolicy, authenticate, cached, type AuthDeps, type BasicCredentials } from "../auth";
import { requiredEnv } from "../settings";

/** The basic-auth secret: JSON `{"username": …, "password": …}`, read at run time, never from the environment. */
export function parseSecret(text: string | undefined): BasicCredentials | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<BasicCredentials>;
    return typeof v.username === "string" && typeof v.password === "string"
      ? { username: v.username, password: v.password }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The app client ids from the environment; a token of any other client of the pool is refused. */
export function clientIdsFrom(value: string | undefined): string[] {
  const ids = (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0)
    throw new Error(`${CtsEnv.cognitoClientIds} names no app client: no token is accepted`);
  return ids;
}

/**
 * Verifies tokens of `userPoolId` issued to one of `clientIds`: an access token's `client_id` or an
 * id token's `aud` must be one of them (a pool's clients share its signing keys, so the signature alone
 * says nothing about which client the user signed in through).
 */
export function cognitoVerifier(userPoolId: string, clientIds: readonly string[]) {
  if (clientIds.length === 0) throw new Error("cognitoVerifier needs at least one app client id");
  return CognitoJwtVerifier.create({ userPoolId, tokenUse: null, clientId: [...clientIds] });
}

let sm: SecretsManagerClient | undefined;
const SECRET_TTL_MS = 5 * 60_000;

/** The deployed dependencies: the secret from Secrets Manager, tokens checked against the platform's pool. */
export const defaultDeps = (): AuthDeps => {
  const basicCredentials = cached(async () => {
    sm ??= new SecretsManagerClient({});
    try {
      const r = await sm.send(new GetSecretValueCommand({ SecretId: requiredEnv(CtsEnv.authSecretId) }));
      return parseSecret(r.SecretString);
    } catch (e) {
      // The secret is created empty and its value set by an operator: until then basic auth is not set up.
      if ((e as Error).name === "ResourceNotFoundException") return undefined;
      throw e;
    }
  }, SECRET_TTL_MS);
  let verifier: { verify(token: string): Promise<{ sub: string }> } | undefined;
  return {
    basicCredentials,
    verifyCognito: async (token) => {
      if (!verifier) {
        // A missing client list throws here: logged, and the caller refused (never "any client").
        const clientIds = clientIdsFrom(process.env[CtsEnv.cognitoClientIds]);
        verifier = cognitoVerifier(await getParam(Params.cognitoUserPool), clientIds) as unknown as {
          verify(token: string): Promise<{ sub: string }>;
        };
      }
      try {
        return (await verifier.verify(token)).sub;
      } catch {
        return undefined;
      }
    },
  };
};

let deps: AuthDeps | undefined;

/** Builds the Lambda REQUEST authorizer over `deps` (tests inject a secret fetcher and a verifier). */
export function authorizerHandler(get: () => AuthDeps) {
  return async (event: APIGatewayRequestAuthorizerEvent) => {
    const header = Object.entries(event.headers ?? {}).find(
      ([k]) => k.toLowerCase() === "authorization",
    )?.[1];
    let caller: Awaited<ReturnType<typeof authenticate>>;
    try {
      caller = await authenticate(header ?? undefined, get());
    } catch (e) {
      // Anything else thrown here would make API Gateway answer 500: a caller we cannot check is refused.
      logger.error("authentication failed", { error: (e as Error).message });
      caller = undefined;
    }
    if (!caller) {
      logger.info("caller refused", { sourceIp: event.requestContext?.identity?.sourceIp });
      // This exact message makes API Gateway answer 401 (anything else is a 500 or a 403).
      throw new Error("Unauthorized");
    }
    return allowPolicy(caller, event.methodArn);
  };
}

export const handler = authorizerHandler(() => (deps ??= defaultDeps()));
