import * as vm from "node:vm";
import * as pulumi from "@pulumi/pulumi";
import { resources, settle, setupPulumiMocks } from "@sec-an/testing";
import {
  bundleEntry,
  DeadLetterRecorder,
  defaultGlueEntry,
  defaultRecorderEntry,
  ServiceQueue,
  SqsSnsGlue,
} from "../../src/core";
import { deployment, record } from "./helpers";

/** Loads a CommonJS bundle the way Node's module wrapper does, with this package's node_modules for the SDK. */
function load(code: string): Record<string, unknown> {
  const mod = { exports: {} as Record<string, unknown> };
  vm.runInThisContext(`(function (module, exports, require) {${code}\n})`)(mod, mod.exports, require);
  return mod.exports;
}

describe("default handlers from @sec-an/runtime", () => {
  it("bundle into loadable Lambda code exporting handler, with the SDK left to the runtime", () => {
    for (const [entry, sdk] of [
      [defaultRecorderEntry(), "@aws-sdk/client-s3"],
      [defaultGlueEntry(), "@aws-sdk/client-sns"],
    ] as const) {
      expect(entry).toMatch(/packages\/runtime\/src\/handlers\/(dead-letter-recorder|sqs-sns-glue)\.ts$/);
      const code = bundleEntry(entry);
      expect(code).toContain(`require("${sdk}")`);
      expect(typeof load(code).handler).toBe("function");
    }
  });

  it("are what the recorder and glue deploy when no override is given", async () => {
    setupPulumiMocks({ ssm: { "/sec-an/test/s3/dead_letters/arn": "arn:aws:s3:::dl" } });
    const dead = new DeadLetterRecorder("dead", { deployment });
    const glue = new SqsSnsGlue("glue", {
      deployment,
      queue: new ServiceQueue("q", { deployment }),
      topicArn: "arn:aws:sns:us-east-1:123456789012:t",
    });
    await settle();
    for (const [fn, entry] of [
      [dead.recorder, defaultRecorderEntry()],
      [glue.function, defaultGlueEntry()],
    ] as const) {
      expect(fn.entry).toBe(entry);
      const assets = await fn.code.assets;
      expect(Object.keys(assets)).toEqual(["index.js"]);
      expect(await (assets["index.js"] as pulumi.asset.StringAsset).text).toBe(bundleEntry(entry));
      expect(
        (await record("aws:lambda/function:Function", `${fn.functionName}-function`)).inputs.handler,
      ).toBe("index.handler");
    }
    // The recorder, the queue's own DLQ recorder, and the glue.
    expect(resources().filter((r) => r.type === "aws:lambda/function:Function")).toHaveLength(3);
  });
});
