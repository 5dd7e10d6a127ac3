import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { captureIo } from "./capture-io";
import { parseScanArgs, postScan, run, scanRequest, signIn } from "../src/commands/scan";

const ssm = mockClient(SSMClient);
const cognito = mockClient(CognitoIdentityProviderClient);

/** A real HTTP server on 127.0.0.1 standing in for API Gateway: records each request, answers `reply`. */
let server: Server;
let apiUrl: string;
let seen: { method?: string; url?: string; headers: IncomingMessage["headers"]; body: string }[] = [];
let reply: { status: number; body: string } = { status: 202, body: "{}" };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(reply.status, { "content-type": "application/json" }).end(reply.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = [];
  ssm.reset();
  cognito.reset();
  ssm
    .on(GetParameterCommand, { Name: "/sec-an/dev/api/public/url" })
    .resolves({ Parameter: { Value: apiUrl } });
  ssm
    .on(GetParameterCommand, { Name: "/sec-an/dev/cognito/pool/client/cli" })
    .resolves({ Parameter: { Value: "client-123" } });
});

const deps = (env: NodeJS.ProcessEnv = {}) => ({
  ssm: new SSMClient({ region: "us-east-1" }),
  cognito: new CognitoIdentityProviderClient({ region: "us-east-1" }),
  env,
});

describe("sec-an scan: arguments and the request", () => {
  test("targets, stack, scanners, ports and a token from the environment", () => {
    expect(
      parseScanArgs(
        [
          "127.0.0.5",
          "app.corp.test",
          "--stack",
          "dev",
          "--scanner",
          "nmap",
          "--scanner",
          "ssl",
          "--ports",
          "22,443",
        ],
        {
          SEC_AN_TOKEN: "tok",
        },
      ),
    ).toEqual({
      deployment: { app: "sec-an", stage: "dev" },
      targets: ["127.0.0.5", "app.corp.test"],
      scanners: ["nmap", "ssl"],
      ports: "22,443",
      token: "tok",
      user: undefined,
      mfaCode: undefined,
    });
  });

  test.each([
    [["127.0.0.5"], /--stack is required/],
    [["--stack", "dev", "--token", "t"], /at least one target/],
    [["127.0.0.5", "--stack", "dev"], /--user <email>.*SEC_AN_PASSWORD.*--token/],
    [["127.0.0.5", "--stack", "d/v", "--token", "t"], /invalid app\/stage/],
    [["127.0.0.5", "--stack", "dev", "--bogus"], /Unknown option '--bogus'/],
  ])("%j is refused: %s", (args, message) => {
    expect(() => parseScanArgs(args, {})).toThrow(message);
  });

  test("the request: POST <api>/scans, the id token as Authorization, a JSON body of what was asked", () => {
    expect(scanRequest("https://x.example/v1/", "tok", { targets: ["127.0.0.5"], ports: "22" })).toEqual({
      url: "https://x.example/v1/scans",
      init: {
        method: "POST",
        headers: { authorization: "tok", "content-type": "application/json" },
        body: '{"targets":["127.0.0.5"],"ports":"22"}',
      },
    });
  });

  test("postScan over real HTTP: the server gets exactly that request, the answer comes back parsed", async () => {
    reply = { status: 403, body: '{"error":"not-owned"}' };
    const r = await postScan(apiUrl, "tok", { targets: ["127.0.0.9"], scanners: ["nmap"] });
    expect(r).toEqual({ status: 403, body: { error: "not-owned" } });
    expect(seen).toEqual([
      expect.objectContaining({
        method: "POST",
        url: "/v1/scans",
        body: '{"targets":["127.0.0.9"],"scanners":["nmap"]}',
      }),
    ]);
    expect(seen[0].headers).toMatchObject({ authorization: "tok", "content-type": "application/json" });
    reply = { status: 502, body: "<html>Bad gateway</html>" };
    expect(await postScan(apiUrl, "tok", { targets: ["127.0.0.9"] })).toEqual({
      status: 502,
      body: { message: "<html>Bad gateway</html>" },
    });
  });
});

describe("sec-an scan: end to end against a loopback API", () => {
  test("with a token: prints each queued target and its scan id, exit 0", async () => {
    reply = {
      status: 202,
      body: JSON.stringify({ scanners: ["nmap"], scans: [{ target: "127.0.0.5", scanId: "s-1" }] }),
    };
    const { io: o, out } = captureIo();
    expect(await run(["127.0.0.5", "--stack", "dev"], o, deps({ SEC_AN_TOKEN: "tok" }))).toBe(0);
    expect(out.stdout).toBe("queued for nmap:\n127.0.0.5\ts-1\n");
    expect(seen[0].headers.authorization).toBe("tok");
  });

  test("a refusal prints the API's reason per target, exit 1", async () => {
    reply = {
      status: 403,
      body: JSON.stringify({
        error: "not-owned",
        message: "some targets are neither ours nor allow-listed",
        targets: [{ target: "127.0.0.9", reason: "not an address of ours" }],
      }),
    };
    const { io: o, out } = captureIo();
    expect(await run(["127.0.0.9", "--stack", "dev", "--token", "tok"], o, deps())).toBe(1);
    expect(out.stderr).toBe(
      "HTTP 403 not-owned: some targets are neither ours nor allow-listed\n  127.0.0.9: not an address of ours\n",
    );
  });

  test("with --user: signs in with the password from the environment, answers the MFA challenge", async () => {
    reply = { status: 202, body: JSON.stringify({ scanners: ["nmap"], scans: [] }) };
    cognito.on(InitiateAuthCommand).resolves({ ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "sess" });
    cognito.on(RespondToAuthChallengeCommand).resolves({ AuthenticationResult: { IdToken: "id-token" } });
    const { io: o } = captureIo();
    expect(
      await run(
        ["127.0.0.5", "--stack", "dev", "--user", "ops@corp.test", "--mfa-code", "123456"],
        o,
        deps({ SEC_AN_PASSWORD: "pw" }),
      ),
    ).toBe(0);
    expect(cognito.commandCalls(InitiateAuthCommand)[0].args[0].input).toEqual({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: "client-123",
      AuthParameters: { USERNAME: "ops@corp.test", PASSWORD: "pw" },
    });
    expect(cognito.commandCalls(RespondToAuthChallengeCommand)[0].args[0].input).toMatchObject({
      Session: "sess",
      ChallengeResponses: { USERNAME: "ops@corp.test", SOFTWARE_TOKEN_MFA_CODE: "123456" },
    });
    expect(seen[0].headers.authorization).toBe("id-token");
  });

  test("sign-in problems are named: no password, MFA without a code, a first login", async () => {
    const { io: o, out } = captureIo();
    expect(await run(["127.0.0.5", "--stack", "dev", "--user", "u@corp.test"], o, deps())).toBe(2);
    expect(out.stderr).toMatch(/set SEC_AN_PASSWORD/);
    const c = new CognitoIdentityProviderClient({ region: "us-east-1" });
    cognito.on(InitiateAuthCommand).resolves({ ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "s" });
    await expect(signIn(c, "c", "u", "p")).rejects.toThrow(/--mfa-code/);
    cognito.on(InitiateAuthCommand).resolves({ ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "s" });
    await expect(signIn(c, "c", "u", "p")).rejects.toThrow(/permanent password/);
    expect(seen).toEqual([]);
  });

  test("a stack without the API deployed: names the parameter and the stack to deploy", async () => {
    ssm.reset();
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error("nope"), { name: "ParameterNotFound" }));
    const { io: o, out } = captureIo();
    expect(await run(["127.0.0.5", "--stack", "dev", "--token", "t"], o, deps())).toBe(1);
    expect(out.stderr).toMatch(
      /\/sec-an\/dev\/api\/public\/url not found: is the shared-infra stack of dev deployed/,
    );
  });
});
