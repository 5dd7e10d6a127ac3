import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { captureIo } from "./capture-io";
import {
  dashboardsUrl,
  domainHost,
  missingTools,
  parseDashboardsArgs,
  portForwardArgv,
  run,
} from "../src/commands/dashboards";

const ssm = mockClient(SSMClient);
const HOST = "vpc-dev-sec-an-search-abc123.us-east-1.es.amazonaws.com";
let bin: string;

/** A directory holding stand-ins for the two tools: `aws` records its argument vector, one per line. */
beforeAll(() => {
  bin = mkdtempSync(path.join(tmpdir(), "sec-an-dashboards-"));
  writeFileSync(
    path.join(bin, "aws"),
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "$ARGV_OUT"\nexit 0\n`,
  );
  writeFileSync(path.join(bin, "session-manager-plugin"), "#!/bin/sh\nexit 0\n");
  chmodSync(path.join(bin, "aws"), 0o755);
  chmodSync(path.join(bin, "session-manager-plugin"), 0o755);
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));
beforeEach(() => {
  ssm.reset();
  ssm
    .on(GetParameterCommand, { Name: "/sec-an/dev/analytics/dashboards/tunnel_instance/id" })
    .resolves({ Parameter: { Value: "i-0123456789abcdef0" } });
  ssm
    .on(GetParameterCommand, { Name: "/sec-an/dev/analytics/elastic/es_endpoint/url" })
    .resolves({ Parameter: { Value: `https://${HOST}` } });
});

describe("sec-an dashboards: pure parts", () => {
  test("arguments: stack required, port 443 by default, region checked", () => {
    expect(parseDashboardsArgs(["--stack", "dev"])).toEqual({
      deployment: { app: "sec-an", stage: "dev" },
      localPort: 443,
      region: undefined,
    });
    expect(
      parseDashboardsArgs(["--stack", "dev", "--local-port", "8443", "--region", "eu-west-1"]).localPort,
    ).toBe(8443);
    expect(() => parseDashboardsArgs([])).toThrow(/--stack is required/);
    expect(() => parseDashboardsArgs(["--stack", "dev", "--local-port", "0"])).toThrow(/1..65535/);
    expect(() => parseDashboardsArgs(["--stack", "dev", "--region", "x;y"])).toThrow(/not an AWS region/);
  });

  test("the session's argument vector", () => {
    expect(portForwardArgv({ instanceId: "i-0123456789abcdef0", host: HOST, localPort: 443 })).toEqual([
      "ssm",
      "start-session",
      "--target",
      "i-0123456789abcdef0",
      "--document-name",
      "AWS-StartPortForwardingSessionToRemoteHost",
      "--parameters",
      `{"host":["${HOST}"],"portNumber":["443"],"localPortNumber":["443"]}`,
    ]);
    expect(
      portForwardArgv({
        instanceId: "i-0123456789abcdef0",
        host: HOST,
        localPort: 8443,
        region: "eu-west-1",
      }).slice(-2),
    ).toEqual(["--region", "eu-west-1"]);
    expect(() => portForwardArgv({ instanceId: "i-1; rm -rf /", host: HOST, localPort: 443 })).toThrow(
      /instance id/,
    );
  });

  test("URL and host", () => {
    expect(dashboardsUrl(HOST, 443)).toBe(`https://${HOST}/_dashboards/`);
    expect(dashboardsUrl(HOST, 8443)).toBe(`https://${HOST}:8443/_dashboards/`);
    expect(domainHost(`https://${HOST}`)).toBe(HOST);
  });

  test("missing tools are named with where to get them", () => {
    expect(missingTools(bin)).toEqual([]);
    const empty = mkdtempSync(path.join(tmpdir(), "sec-an-empty-"));
    try {
      const missing = missingTools(empty);
      expect(missing).toHaveLength(2);
      expect(missing[0]).toMatch(/^aws: the AWS CLI v2/);
      expect(missing[1]).toMatch(/^session-manager-plugin: the Session Manager plugin/);
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});

describe("sec-an dashboards: run", () => {
  test("starts `aws ssm start-session` with the vector, prints the URL and the hosts line", async () => {
    const argvOut = path.join(bin, "argv.txt");
    const { io, out } = captureIo();
    const code = await run(["--stack", "dev"], io, {
      ssm: new SSMClient({ region: "us-east-1" }),
      env: { PATH: bin, ARGV_OUT: argvOut },
      resolve: async () => ["10.0.3.7"],
    });
    expect(code).toBe(0);
    expect(readFileSync(argvOut, "utf8").trimEnd().split("\n")).toEqual(
      portForwardArgv({ instanceId: "i-0123456789abcdef0", host: HOST, localPort: 443 }),
    );
    expect(out.stdout).toContain(`Dashboards: https://${HOST}/_dashboards/`);
    expect(out.stdout).toContain(`127.0.0.1 ${HOST}`);
  });

  test("no hosts-file advice once the name already points at loopback", async () => {
    const { io, out } = captureIo();
    await run(["--stack", "dev", "--local-port", "8443"], io, {
      ssm: new SSMClient({ region: "us-east-1" }),
      env: { PATH: bin, ARGV_OUT: path.join(bin, "argv2.txt") },
      resolve: async () => ["127.0.0.1"],
    });
    expect(out.stdout).not.toContain("hosts file");
    expect(out.stdout).toContain(`https://${HOST}:8443/_dashboards/`);
  });

  test("without the tools on PATH: a clear error, no session, no AWS call", async () => {
    const { io, out } = captureIo();
    expect(
      await run(["--stack", "dev"], io, { ssm: new SSMClient({ region: "us-east-1" }), env: { PATH: "" } }),
    ).toBe(2);
    expect(out.stderr).toMatch(/needs, on PATH:\n {2}aws: .*\n {2}session-manager-plugin: /);
    expect(ssm.calls()).toHaveLength(0);
  });

  test("a stack without the tunnel: names the parameter and the stack", async () => {
    ssm.reset();
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error("x"), { name: "ParameterNotFound" }));
    const { io, out } = captureIo();
    expect(
      await run(["--stack", "dev"], io, { ssm: new SSMClient({ region: "us-east-1" }), env: { PATH: bin } }),
    ).toBe(1);
    expect(out.stderr).toMatch(
      /tunnel_instance\/id not found: is the analytics-platform stack of dev deployed/,
    );
  });
});
