import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetParameterCommand, GetParametersCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { Env, Params, taskParams } from "@sec-an/contracts";
import { restoreEnvAfterEach } from "@sec-an/testing";
import { mockClient } from "aws-sdk-client-mock";
import {
  clearParamCache,
  deploymentFromEnv,
  getParam,
  getParamList,
  getParams,
  resetClients,
  setClients,
  setParamOverrides,
  ParamNotFoundError,
} from "../src";

const ssm = new SSMClient({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
const mock = mockClient(ssm);
restoreEnvAfterEach();

beforeEach(() => {
  mock.reset();
  setClients({ ssm });
  clearParamCache();
  setParamOverrides(undefined);
  process.env[Env.app] = "sec-an";
  process.env[Env.stage] = "dev";
  delete process.env[Env.ssmSourceStage];
  delete process.env[Env.paramOverrides];
});
afterEach(() => {
  jest.restoreAllMocks();
  resetClients();
});

const value = (v: string) => ({ Parameter: { Name: "x", Type: "String" as const, Value: v, Version: 1 } });

describe("getParam", () => {
  it("reads the full name from SSM and caches it", async () => {
    mock.on(GetParameterCommand, { Name: "/sec-an/dev/s3/dead_letters/name" }).resolves(value("dl-bucket"));
    expect(await getParam(Params.deadLettersBucketName)).toBe("dl-bucket");
    expect(await getParam(Params.deadLettersBucketName)).toBe("dl-bucket");
    expect(mock.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it("fetches again once maxAge has passed", async () => {
    mock.on(GetParameterCommand).resolvesOnce(value("v1")).resolves(value("v2"));
    const now = Date.now();
    expect(await getParam(Params.ecsCluster, { maxAge: 60 })).toBe("v1");
    jest.spyOn(Date, "now").mockReturnValue(now + 30_000);
    expect(await getParam(Params.ecsCluster, { maxAge: 60 })).toBe("v1");
    jest.spyOn(Date, "now").mockReturnValue(now + 61_000);
    expect(await getParam(Params.ecsCluster, { maxAge: 60 })).toBe("v2");
    expect(mock.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it("reads another stage's parameters when SSM source stage is set", async () => {
    process.env[Env.ssmSourceStage] = "shared";
    expect(deploymentFromEnv()).toEqual({ app: "sec-an", stage: "shared" });
    mock
      .on(GetParameterCommand, { Name: "/sec-an/shared/tasks/nmap/results/arn" })
      .resolves(value("arn:topic"));
    expect(await getParam(taskParams("nmap").resultsTopicArn)).toBe("arn:topic");
  });

  it("names the full path when a parameter is missing", async () => {
    mock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
    const err = await getParam(Params.ecsCluster).catch((e) => e);
    expect(err).toBeInstanceOf(ParamNotFoundError);
    expect(err.message).toMatch(/\/sec-an\/dev\/ecs\/cluster not found.*task-execution/);
  });

  it("fails clearly without a stage", async () => {
    delete process.env[Env.stage];
    await expect(getParam(Params.ecsCluster)).rejects.toThrow(/SEC_AN_STAGE is not set/);
  });

  it("splits StringList parameters", async () => {
    mock.on(GetParameterCommand).resolves(value("subnet-a,subnet-b"));
    expect(await getParamList(Params.vpcSubnetsPrivate)).toEqual(["subnet-a", "subnet-b"]);
  });
});

describe("parameter overrides", () => {
  it("set in code win over SSM, including lists", async () => {
    setParamOverrides({
      "/sec-an/dev/ecs/cluster": "local-cluster",
      "/sec-an/dev/vpc/subnets/private": ["s1", "s2"],
    });
    expect(await getParam(Params.ecsCluster)).toBe("local-cluster");
    expect(await getParamList(Params.vpcSubnetsPrivate)).toEqual(["s1", "s2"]);
    expect(mock.commandCalls(GetParameterCommand)).toHaveLength(0);
  });

  it("come from the JSON file named by the environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "params-"));
    try {
      const file = join(dir, "params.json");
      writeFileSync(file, JSON.stringify({ "/sec-an/dev/s3/dead_letters/name": "file-bucket" }));
      process.env[Env.paramOverrides] = file;
      expect(await getParam(Params.deadLettersBucketName)).toBe("file-bucket");
      // not in the file: falls through to SSM
      mock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "nope", $metadata: {} }));
      await expect(getParam(Params.ecsCluster)).rejects.toThrow(/\/sec-an\/dev\/ecs\/cluster not found/);

      const bad = join(dir, "bad.json");
      writeFileSync(bad, JSON.stringify({ "/sec-an/dev/ecs/cluster": 42 }));
      process.env[Env.paramOverrides] = bad;
      await expect(getParam(Params.ecsCluster)).rejects.toThrow(/must be a string/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("getParams", () => {
  it("fetches several parameters in one GetParameters call, overrides first", async () => {
    setParamOverrides({ "/sec-an/dev/ecs/cluster": "local-cluster" });
    mock.on(GetParametersCommand).resolves({
      Parameters: [
        { Name: "/sec-an/dev/s3/dead_letters/name", Type: "String", Value: "dl", Version: 1 },
        { Name: "/sec-an/dev/tasks/nmap/results/arn", Type: "String", Value: "arn:t", Version: 1 },
      ],
      InvalidParameters: [],
    });
    const got = await getParams({
      cluster: Params.ecsCluster,
      bucket: Params.deadLettersBucketName,
      topic: taskParams("nmap").resultsTopicArn,
    });
    expect(got).toEqual({ cluster: "local-cluster", bucket: "dl", topic: "arn:t" });
    const calls = mock.commandCalls(GetParametersCommand);
    expect(calls).toHaveLength(1);
    expect([...(calls[0].args[0].input.Names ?? [])].sort()).toEqual([
      "/sec-an/dev/s3/dead_letters/name",
      "/sec-an/dev/tasks/nmap/results/arn",
    ]);
    // cached: no second call
    await getParams({ bucket: Params.deadLettersBucketName });
    expect(mock.commandCalls(GetParametersCommand)).toHaveLength(1);
  });

  it("names every missing parameter", async () => {
    mock.on(GetParametersCommand).resolves({
      Parameters: [{ Name: "/sec-an/dev/ecs/cluster", Type: "String", Value: "c", Version: 1 }],
      InvalidParameters: ["/sec-an/dev/vpc/id", "/sec-an/dev/s3/dead_letters/name"],
    });
    const err = await getParams({
      a: Params.ecsCluster,
      b: Params.vpcId,
      c: Params.deadLettersBucketName,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ParamNotFoundError);
    expect(err.message).toContain("/sec-an/dev/vpc/id, /sec-an/dev/s3/dead_letters/name not found");
  });
});
