import { stackConfig } from "@sec-an/testing";
import { Type } from "@sinclair/typebox";
import { ConfigError, logRetentionDays, readStackConfig, stackConfigSchema } from "../../src/core/config";

const schema = stackConfigSchema({
  rateLimit: Type.Integer({ minimum: 1, default: 5 }),
  cpu: Type.Integer({ minimum: 256, maximum: 16384, default: 1024 }),
  views: Type.Boolean({ default: true }),
  mode: Type.Union([Type.Literal("None"), Type.Literal("Single")], { default: "None" }),
  accounts: Type.Array(Type.String({ pattern: "^\\d{12}$" }), { default: [] }),
  image: Type.Optional(
    Type.String({ pattern: "^[a-z]+/[a-z]+:[a-z0-9.]+$", errorMessage: "must be a full image reference" }),
  ),
  roleArn: Type.String({ description: "the role to assume" }),
  retention: logRetentionDays(90),
});

describe("readStackConfig", () => {
  it("fills defaults from the schema and converts Pulumi's strings", () => {
    const c = readStackConfig(
      stackConfig({ roleArn: "r", cpu: "2048", views: "false", accounts: '["111122223333"]' }),
      "sec-an-x",
      schema,
      "dev",
    );
    expect(c).toEqual({
      app: "sec-an",
      rateLimit: 5,
      cpu: 2048,
      views: false,
      mode: "None",
      accounts: ["111122223333"],
      roleArn: "r",
      retention: 90,
      deployment: { app: "sec-an", stage: "dev" },
    });
    const set = readStackConfig(
      stackConfig({ roleArn: "r", stage: "prod", app: "a", retention: "365" }),
      "n",
      schema,
      "dev",
    );
    expect([set.deployment, set.retention]).toEqual([{ app: "a", stage: "prod" }, 365]);
  });

  it("does not share a default between reads", () => {
    const a = readStackConfig(stackConfig({ roleArn: "r" }), "n", schema, "dev");
    (a.accounts as string[]).push("x");
    expect(readStackConfig(stackConfig({ roleArn: "r" }), "n", schema, "dev").accounts).toEqual([]);
  });

  it.each([
    [{ rateLimit: "x" }, 'config sec-an-x:rateLimit: must be an integer >= 1, got "x"'],
    [{ rateLimit: "0" }, 'config sec-an-x:rateLimit: must be an integer >= 1, got "0"'],
    [{ cpu: "1.5" }, 'config sec-an-x:cpu: must be an integer 256..16384, got "1.5"'],
    [{ views: "yes" }, 'config sec-an-x:views: must be true or false, got "yes"'],
    [{ mode: "single" }, 'config sec-an-x:mode: must be one of None, Single, got "single"'],
    [{ accounts: '["1234"]' }, "config sec-an-x:accounts: /0: must be string to match"],
    [{ accounts: "not json" }, 'config sec-an-x:accounts: must be array, got "not json"'],
    [{ image: "nmap:latest" }, 'config sec-an-x:image: must be a full image reference, got "nmap:latest"'],
    [
      { retention: "100" },
      "config sec-an-x:retention: must be one of the CloudWatch retention periods 1, 3,",
    ],
    [{ retention: "x" }, "config sec-an-x:retention: must be one of the CloudWatch retention periods"],
    [{ stage: "a/b" }, "config sec-an-x:stage: invalid app/stage"],
  ])("rejects %j naming the key", (values, message) => {
    const read = () => readStackConfig(stackConfig({ roleArn: "r", ...values }), "sec-an-x", schema, "dev");
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });

  it("requires a key with neither a value nor a default, and a stack name usable as a stage", () => {
    expect(() => readStackConfig(stackConfig({}), "sec-an-x", schema, "dev")).toThrow(
      "config sec-an-x:roleArn: required: the role to assume",
    );
    expect(() => readStackConfig(stackConfig({ roleArn: "r" }), "sec-an-x", schema, "dev/x")).toThrow(
      "config sec-an-x:stage: invalid app/stage",
    );
  });

  it("carries the key on the error", () => {
    try {
      readStackConfig(stackConfig({ roleArn: "r", cpu: "1" }), "n", schema, "dev");
      throw new Error("not thrown");
    } catch (e) {
      expect((e as ConfigError).key).toBe("cpu");
    }
  });
});
