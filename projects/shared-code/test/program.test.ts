import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Params } from "@sec-an/contracts";
import { resourceKeys, resourceNamed, resources, runProgram, setupPulumiMocks } from "@sec-an/testing";
import { checkResources } from "@sec-an/policy";
import {
  defaultLayerModules,
  layerFiles,
  parseConfig,
  program,
  readConfig,
  runFromConfig,
} from "../src/program";

const deployment = { app: "sec-an", stage: "dev" };
const config = (values: Record<string, unknown>) => ({
  get: (k: string) => values[k] as string | undefined,
  getObject: <T>(k: string) => values[k] as T | undefined,
});

describe("shared-code program", () => {
  beforeEach(() => setupPulumiMocks({ project: "sec-an-shared-code", stack: "dev" }));

  it("publishes the runtime kit layer for nodejs22.x and exports its ARN to SSM and as an output", async () => {
    const out = await runProgram(() => {
      const o = program({ deployment, shareWithAccounts: ["111122223333"] });
      return { layerArn: o.layerArn, ssm: o.ssm };
    });
    expect(resourceKeys()).toEqual([
      "aws:lambda/layerVersion:LayerVersion::shared-utils",
      "aws:lambda/layerVersionPermission:LayerVersionPermission::shared-utils-111122223333",
      "aws:ssm/parameter:Parameter::shared-code-layerUtilsArn",
      "sec-an:core:SsmExports::shared-code",
    ]);
    const layer = resourceNamed("aws:lambda/layerVersion:LayerVersion", "shared-utils");
    expect(layer.inputs).toMatchObject({
      layerName: "dev-sec-an-shared-utils",
      compatibleRuntimes: ["nodejs22.x"],
      compatibleArchitectures: ["arm64", "x86_64"],
      licenseInfo: "Apache-2.0",
      skipDestroy: true,
    });
    const layerArn = "arn:aws:lambda:us-east-1:123456789012:layerVersion/shared-utils";
    expect(out).toEqual({ layerArn, ssm: { layerUtilsArn: layerArn } });
    expect(resourceNamed("aws:ssm/parameter:Parameter", "shared-code-layerUtilsArn").inputs).toMatchObject({
      name: "/sec-an/dev/lambda/layers/utils/arn",
      type: "String",
      insecureValue: layerArn,
      description: Params.layerUtilsArn.description,
    });
    expect(
      resourceNamed("aws:lambda/layerVersionPermission:LayerVersionPermission", "shared-utils-111122223333")
        .inputs,
    ).toMatchObject({
      action: "lambda:GetLayerVersion",
      principal: "111122223333",
      statementId: "account-111122223333",
    });
    expect(await checkResources(resources())).toEqual([]);
  });

  it("runs from the stack's Pulumi config as index.ts does", async () => {
    setupPulumiMocks({
      project: "sec-an-shared-code",
      stack: "prod",
      config: { app: "scanner", shareWithAccounts: ["111122223333"] },
    });
    const out = await runProgram(() => ({ ssm: runFromConfig("prod").ssm }));
    expect(out.ssm.layerUtilsArn).toMatch(/^arn:aws:lambda:/);
    expect(resourceNamed("aws:lambda/layerVersion:LayerVersion", "shared-utils").inputs.layerName).toBe(
      "prod-scanner-shared-utils",
    );
    expect(resourceNamed("aws:ssm/parameter:Parameter", "shared-code-layerUtilsArn").inputs.name).toBe(
      "/scanner/prod/lambda/layers/utils/arn",
    );
    expect(parseConfig().deployment).toEqual({ app: "scanner", stage: "prod" });
  });

  it("reads and validates config", () => {
    expect(readConfig(config({}), "prod")).toEqual({
      deployment: { app: "sec-an", stage: "prod" },
      shareWithAccounts: [],
    });
    expect(readConfig(config({ app: "x", stage: "s", shareWithAccounts: ["111122223333"] }), "prod")).toEqual(
      {
        deployment: { app: "x", stage: "s" },
        shareWithAccounts: ["111122223333"],
      },
    );
    expect(() => readConfig(config({ shareWithAccounts: ["1234"] }), "dev")).toThrow(
      "12-digit AWS account ids",
    );
    expect(() => readConfig(config({ stage: "bad stage" }), "dev")).toThrow("invalid app/stage");
  });
});

describe("layer contents", () => {
  let dir: string;
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is loadable as Lambda would: the runtime kit requires its contracts sibling and the runtime's AWS SDK", () => {
    const files = layerFiles(defaultLayerModules());
    expect(Object.keys(files).sort()).toEqual([
      "nodejs/node_modules/@sec-an/contracts/index.js",
      "nodejs/node_modules/@sec-an/contracts/package.json",
      "nodejs/node_modules/@sec-an/runtime/index.js",
      "nodejs/node_modules/@sec-an/runtime/package.json",
    ]);
    expect(files["nodejs/node_modules/@sec-an/runtime/index.js"]).toContain('require("@sec-an/contracts")');
    // Lay the archive out on disk (/opt in Lambda) with the SDK beside it, as the nodejs22.x runtime provides it.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "layer-"));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    const sdk = path.dirname(path.dirname(require.resolve("@aws-sdk/client-sqs/package.json")));
    fs.symlinkSync(sdk, path.join(dir, "nodejs", "node_modules", "@aws-sdk"));
    const runtimePath = path.join(dir, "nodejs/node_modules/@sec-an/runtime/index.js");
    const runtime = jest.requireActual(runtimePath) as Record<string, unknown>;
    const contracts = jest.requireActual(
      path.join(dir, "nodejs/node_modules/@sec-an/contracts/index.js"),
    ) as Record<string, unknown>;
    for (const name of ["getParam", "ResultsContext", "sqsBatchHandler", "putRawResult"])
      expect(typeof runtime[name]).toBe("function");
    expect((contracts.keyHash as (v: unknown) => string)({ b: 1, a: 2 })).toBe(
      (contracts.keyHash as (v: unknown) => string)({ a: 2, b: 1 }),
    );
    expect(JSON.parse(files["nodejs/node_modules/@sec-an/runtime/package.json"])).toEqual({
      name: "@sec-an/runtime",
      version: "0.1.0",
      main: "index.js",
      license: "Apache-2.0",
    });
  });

  it("rejects module names that are not package names", () => {
    expect(() => layerFiles([{ name: "../evil", entry: "/x.ts", version: "1" }])).toThrow(
      "invalid module name",
    );
  });
});
