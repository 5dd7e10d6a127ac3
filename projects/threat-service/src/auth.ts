import { createHash, timingSafeEqual } from "node:crypto";

/** The basic-auth credentials SOAR is registered with (`resutil threatserviceedit -user … -password …`). */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

export interface AuthDeps {
  /** The expected credentials (from Secrets Manager), or undefined when basic auth is not set up. */
  readonly basicCredentials: () => Promise<BasicCredentials | undefined>;
  /** The subject of a valid Cognito token of the platform's user pool, or undefined. */
  readonly verifyCognito: (token: string) => Promise<string | undefined>;
}

export interface Caller {
  readonly kind: "basic" | "cognito";
  readonly principal: string;
}

/** Equal strings, compared in time independent of where they differ (and of their lengths). */
function same(a: string, b: string): boolean {
  const h = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(h(a), h(b));
}

/** Parses an `Authorization: Basic …` value; undefined when it is not one. */
export function parseBasic(header: string): BasicCredentials | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
  if (!m) return undefined;
  const text = Buffer.from(m[1], "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Who is calling, from the Authorization header: SOAR with the registered basic-auth user and
 * password, or a platform user with a Cognito token (`Bearer …`). Undefined for anyone else.
 */
export async function authenticate(header: string | undefined, deps: AuthDeps): Promise<Caller | undefined> {
  if (!header || header.length > 8192) return undefined;
  const basic = parseBasic(header);
  if (basic) {
    const expected = await deps.basicCredentials();
    if (!expected || !expected.username || !expected.password) return undefined;
    // Both compared, always: the answer's timing says nothing about which part was wrong.
    const ok = [same(basic.username, expected.username), same(basic.password, expected.password)];
    return ok.every(Boolean) ? { kind: "basic", principal: basic.username } : undefined;
  }
  const bearer = /^Bearer\s+([A-Za-z0-9_.-]{1,8000})$/i.exec(header.trim());
  if (bearer) {
    const sub = await deps.verifyCognito(bearer[1]);
    return sub ? { kind: "cognito", principal: sub } : undefined;
  }
  return undefined;
}

/**
 * The resource an allowed caller may invoke: every method under `/cts/` of the API stage the request
 * came through. API Gateway caches the policy per Authorization header, so it must cover the GET polls
 * that follow a POST, not only the method that was authorised.
 */
export function ctsResourceArn(methodArn: string): string {
  // arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{method}/{path…}
  const [arnPart, stage] = methodArn.split("/");
  if (!arnPart?.startsWith("arn:") || !stage) throw new Error(`not a method ARN: ${methodArn.slice(0, 200)}`);
  return `${arnPart}/${stage}/*/cts/*`;
}

export function allowPolicy(caller: Caller, methodArn: string) {
  return {
    principalId: `${caller.kind}:${caller.principal}`.slice(0, 128),
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: ctsResourceArn(methodArn) }],
    },
    context: { caller: caller.kind },
  };
}

/** A value fetched at most once per `ttlMs` (secrets change rarely; Secrets Manager bills per call). */
export function cached<T>(
  fetch: () => Promise<T>,
  ttlMs: number,
  now: () => number = Date.now,
): () => Promise<T> {
  let held: { value: Promise<T>; at: number } | undefined;
  return () => {
    if (!held || now() - held.at >= ttlMs) {
      const value = fetch();
      held = { value, at: now() };
      // A failed fetch is not kept: the next call tries again.
      value.catch(() => (held = undefined));
    }
    return held.value;
  };
}
