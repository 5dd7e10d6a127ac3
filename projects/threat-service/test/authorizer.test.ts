import { generateKeyPairSync, createSign, type KeyObject } from "node:crypto";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { CtsEnv } from "@sec-an/contracts";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { authenticate, cached, ctsResourceArn, type AuthDeps } from "../src/auth";
import { ResourceNotFoundException } from "@aws-sdk/client-secrets-manager";
import {
  authorizerHandler,
  clientIdsFrom,
  cognitoVerifier,
  defaultDeps,
  handler,
  parseSecret,
} from "../src/handlers/authorizer";

const METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/threat/POST/cts/sec-an";
const POOL = "us-east-1_TestPool1";
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
const event = (authorization?: string): APIGatewayRequestAuthorizerEvent =>
  ({
    type: "REQUEST",
    methodArn: METHOD_ARN,
    headers: authorization === undefined ? {} : { Authorization: authorization },
    requestContext: { identity: { sourceIp: "127.0.0.1" } },
  }) as unknown as APIGatewayRequestAuthorizerEvent;

/**
 * A user pool's signing key and a token signer, as Cognito issues them (RS256, `kid` in the JWKS), and
 * the deployed verifier of that pool for the given app clients.
 */
function pool(clientIds: readonly string[] = ["c1"]) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = {
    ...(publicKey.export({ format: "jwk" }) as Record<string, string>),
    kid: "k1",
    alg: "RS256",
    use: "sig",
  };
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const sign = (claims: Record<string, unknown>, key: KeyObject = privateKey) => {
    const head = `${b64({ alg: "RS256", kid: "k1" })}.${b64(claims)}`;
    return `${head}.${createSign("RSA-SHA256").update(head).sign(key).toString("base64url")}`;
  };
  const verifier = cognitoVerifier(POOL, clientIds);
  verifier.cacheJwks({ keys: [jwk as never] });
  return { sign, verifier, otherKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey };
}

describe("the CTS authorizer", () => {
  const p = pool();
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: "user-1",
    iss: ISSUER,
    token_use: "access",
    client_id: "c1",
    exp: now + 600,
    iat: now,
  };
  let fetches = 0;
  const deps: AuthDeps = {
    basicCredentials: async () => {
      fetches += 1;
      return { username: "soar", password: "s3cret:with:colons" };
    },
    verifyCognito: async (token) => {
      try {
        return (await p.verifier.verify(token)).sub;
      } catch {
        return undefined;
      }
    },
  };
  const authorize = authorizerHandler(() => deps);

  test("SOAR's basic auth against the secret: allowed on every /cts/ method of the stage", async () => {
    const r = await authorize(event(basic("soar", "s3cret:with:colons")));
    expect(r.principalId).toBe("basic:soar");
    expect(r.policyDocument.Statement).toEqual([
      {
        Action: "execute-api:Invoke",
        Effect: "Allow",
        Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/threat/*/cts/*",
      },
    ]);
  });

  test("a wrong user or password, no header, or another scheme: 401 (Unauthorized)", async () => {
    for (const h of [
      basic("soar", "wrong"),
      basic("other", "s3cret:with:colons"),
      undefined,
      "Basic !!!",
      "Digest x",
      basic("soar", ""),
    ])
      await expect(authorize(event(h))).rejects.toThrow(/^Unauthorized$/);
  });

  test("basic auth is refused when the secret is not set up, whatever is sent", async () => {
    const none = { ...deps, basicCredentials: async () => undefined };
    await expect(authenticate(basic("", ""), none)).resolves.toBeUndefined();
    expect(parseSecret("not json")).toBeUndefined();
    expect(parseSecret('{"username":"u"}')).toBeUndefined();
    expect(parseSecret('{"username":"u","password":"p"}')).toEqual({ username: "u", password: "p" });
  });

  test("a platform user's Cognito token is allowed; expired, forged or foreign tokens are not", async () => {
    expect((await authorize(event(`Bearer ${p.sign(claims)}`))).principalId).toBe("cognito:user-1");
    for (const bad of [
      p.sign({ ...claims, exp: now - 10 }),
      p.sign(claims, p.otherKey),
      p.sign({ ...claims, iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other" }),
      "not.a.jwt",
    ])
      await expect(authorize(event(`Bearer ${bad}`))).rejects.toThrow(/^Unauthorized$/);
  });

  test("only tokens issued to the configured app clients: another client of the same pool is refused", async () => {
    const idToken = (aud: string) => {
      const { client_id: _, ...rest } = claims;
      return p.sign({ ...rest, token_use: "id", aud });
    };
    // Same pool, same signing key, valid in every other way: only the client differs.
    for (const bad of [
      p.sign({ ...claims, client_id: "c2" }),
      idToken("c2"),
      p.sign({ ...claims, client_id: "" }),
    ])
      await expect(authorize(event(`Bearer ${bad}`))).rejects.toThrow(/^Unauthorized$/);
    expect((await authorize(event(`Bearer ${idToken("c1")}`))).principalId).toBe("cognito:user-1");
    // Several clients may be configured; each of them is accepted.
    const two = pool(["c1", "c3"]);
    for (const client of ["c1", "c3"])
      await expect(two.verifier.verify(two.sign({ ...claims, client_id: client }))).resolves.toMatchObject({
        sub: "user-1",
      });
    await expect(two.verifier.verify(two.sign({ ...claims, client_id: "c2" }))).rejects.toThrow(/client/i);
  });

  test("no configured client: no token is accepted, and the pool is not even looked up", async () => {
    expect(clientIdsFrom(" c1 , c3,")).toEqual(["c1", "c3"]);
    for (const none of [undefined, "", " , "]) expect(() => clientIdsFrom(none)).toThrow(/no app client/);
    expect(() => cognitoVerifier(POOL, [])).toThrow(/at least one/);
    delete process.env[CtsEnv.cognitoClientIds];
    await expect(defaultDeps().verifyCognito(p.sign(claims))).rejects.toThrow(/names no app client/);
    await expect(authorizerHandler(defaultDeps)(event(`Bearer ${p.sign(claims)}`))).rejects.toThrow(
      /^Unauthorized$/,
    );
  });

  test("the secret is fetched once per TTL, and a failed fetch is not kept", async () => {
    let t = 0;
    let calls = 0;
    let fail = true;
    const get = cached(
      async () => {
        calls += 1;
        if (fail) throw new Error("throttled");
        return "v";
      },
      1000,
      () => t,
    );
    await expect(get()).rejects.toThrow("throttled");
    fail = false;
    expect(await get()).toBe("v");
    expect(await get()).toBe("v");
    expect(calls).toBe(2);
    t = 1000;
    await get();
    expect(calls).toBe(3);
  });

  test("the deployed handler reads the secret from Secrets Manager (by the ARN in its environment)", async () => {
    const sm = mockClient(SecretsManagerClient);
    const arn =
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-sec-an/threat-service/basic-auth-AbCdEf";
    sm.on(GetSecretValueCommand, { SecretId: arn }).resolves({
      SecretString: '{"username":"soar","password":"pw"}',
    });
    process.env[CtsEnv.authSecretId] = arn;
    try {
      expect((await handler(event(basic("soar", "pw")))).principalId).toBe("basic:soar");
      await expect(handler(event(basic("soar", "nope")))).rejects.toThrow(/^Unauthorized$/);
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    } finally {
      delete process.env[CtsEnv.authSecretId];
      sm.restore();
    }
  });

  test("a secret with no value yet is 401, not 500, and that answer is cached like a value", async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: "no value for staging label AWSCURRENT", $metadata: {} }),
    );
    process.env[CtsEnv.authSecretId] = "arn:aws:secretsmanager:us-east-1:1:secret:none";
    try {
      const d = defaultDeps();
      const authorize = authorizerHandler(() => d);
      await expect(authorize(event(basic("soar", "pw")))).rejects.toThrow(/^Unauthorized$/);
      await expect(authorize(event(basic("soar", "pw")))).rejects.toThrow(/^Unauthorized$/);
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    } finally {
      delete process.env[CtsEnv.authSecretId];
      sm.restore();
    }
  });

  test("any other failure while authenticating (secret or Cognito parameter read) is 401 and logged", async () => {
    const failing = authorizerHandler(() => ({
      basicCredentials: async () => {
        throw new Error("AccessDenied");
      },
      verifyCognito: async () => {
        throw new Error("ParameterNotFound");
      },
    }));
    await expect(failing(event(basic("soar", "pw")))).rejects.toThrow(/^Unauthorized$/);
    await expect(failing(event(`Bearer ${p.sign(claims)}`))).rejects.toThrow(/^Unauthorized$/);
  });

  test("the policy resource is the stage's /cts/ methods, from any method ARN", () => {
    expect(
      ctsResourceArn(
        "arn:aws:execute-api:eu-west-2:1:api/dev/GET/cts/sec-an/5f358b94-b329-59a4-a316-b22cc24ef2a5",
      ),
    ).toBe("arn:aws:execute-api:eu-west-2:1:api/dev/*/cts/*");
    expect(() => ctsResourceArn("garbage")).toThrow();
    expect(fetches).toBeGreaterThan(0);
  });
});
