import * as pulumi from "@pulumi/pulumi";
import { Params, taskParams } from "@sec-an/contracts";
import {
  resources,
  resourcesOfType,
  runProgram,
  setupPulumiMocks,
  unwrap,
  stackConfig,
} from "@sec-an/testing";
import { checkResources } from "@sec-an/policy";
import { readDeployment, ssmParam, ssmParamArn, ssmValue, SsmExports } from "../../src/core";
import { ACCOUNT, deployment, record, urnOf } from "./helpers";

describe("readDeployment", () => {
  it("defaults app to sec-an and stage to the stack name, and rejects unsafe values", () => {
    expect(readDeployment(stackConfig({}), "dev")).toEqual({ app: "sec-an", stage: "dev" });
    expect(readDeployment(stackConfig({ app: "scanner", stage: "prod" }), "dev")).toEqual({
      app: "scanner",
      stage: "prod",
    });
    expect(() => readDeployment(stackConfig({ stage: "a/b" }), "dev")).toThrow("invalid app/stage");
  });
});

describe("SsmExports", () => {
  beforeEach(() => setupPulumiMocks());

  it("creates one parameter per value at its catalogue name and exposes the same values", async () => {
    const nmap = taskParams("nmap");
    const exportsOut = await runProgram(() => {
      const e = new SsmExports("exports", {
        deployment,
        values: {
          layer: {
            def: Params.layerUtilsArn,
            value: pulumi.output("arn:aws:lambda:us-east-1:1:layer:utils:3"),
          },
          subnets: { def: Params.vpcSubnetsInstance, value: ["subnet-a", "subnet-b"] },
          queue: { def: nmap.taskQueueUrl, value: "https://sqs/q" },
        },
      });
      return { values: e.values, urn: urnOf(e.parameters.layer) };
    });
    expect(exportsOut.values).toEqual({
      layer: "arn:aws:lambda:us-east-1:1:layer:utils:3",
      subnets: "subnet-a,subnet-b",
      queue: "https://sqs/q",
    });
    expect(exportsOut.urn).toContain("sec-an:core:SsmExports$aws:ssm/parameter:Parameter::exports-layer");
    expect((await record("aws:ssm/parameter:Parameter", "exports-layer")).inputs).toEqual({
      name: "/sec-an/test/lambda/layers/utils/arn",
      type: "String",
      insecureValue: "arn:aws:lambda:us-east-1:1:layer:utils:3",
      description: Params.layerUtilsArn.description,
      tier: "Standard",
    });
    expect((await record("aws:ssm/parameter:Parameter", "exports-subnets")).inputs).toMatchObject({
      name: "/sec-an/test/vpc/subnets/instance",
      type: "StringList",
      insecureValue: "subnet-a,subnet-b",
    });
    expect((await record("aws:ssm/parameter:Parameter", "exports-queue")).inputs.name).toBe(
      "/sec-an/test/tasks/nmap/task_queue/url",
    );
    expect(resourcesOfType("aws:ssm/parameter:Parameter")).toHaveLength(3);
    expect(await checkResources(resources())).toEqual([]);
  });

  it("refuses the same name twice, lists for Strings, commas inside list items and empty values", () => {
    expect(
      () =>
        new SsmExports("dup", {
          deployment,
          values: { a: { def: Params.vpcId, value: "v" }, b: { def: Params.vpcId, value: "w" } },
        }),
    ).toThrow("/sec-an/test/vpc/id exported twice (a and b)");
    expect(() => ssmValue(Params.vpcId, ["a"])).toThrow("String parameter but got a list");
    expect(() => ssmValue(Params.vpcSubnetsPublic, ["a,b"])).toThrow('may not contain ","');
    expect(() => ssmValue(Params.vpcId, "")).toThrow("cannot be empty");
  });
});

describe("deploy-time readers", () => {
  it("ssmParam reads the catalogue name; ssmParamArn builds the ARN in this account and region", async () => {
    setupPulumiMocks({ ssm: { "/sec-an/test/s3/dead_letters/arn": "arn:aws:s3:::dl" } });
    expect(await unwrap(ssmParam(deployment, Params.deadLettersBucketArn))).toBe("arn:aws:s3:::dl");
    expect(await unwrap(ssmParamArn(deployment, Params.esEndpointUrl))).toBe(
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/sec-an/test/analytics/elastic/es_endpoint/url`,
    );
  });
});
