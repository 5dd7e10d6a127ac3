import { createRequire } from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";
import { keyHash } from "@sec-an/contracts";
import { bundleEntry } from "../../src/core";

const entry = path.join(__dirname, "fixtures", "handler.ts");

describe("bundleEntry", () => {
  it("bundles a TS entry into CommonJS with workspace code inlined and the AWS SDK external", async () => {
    const code = bundleEntry(entry);
    expect(code).toContain('require("@aws-sdk/client-sqs")');
    expect(code).not.toContain('@sec-an/contracts")'); // inlined, not required
    // Run the bundle with a require that only provides the SDK: proves nothing else is left external.
    const required: string[] = [];
    const mod = { exports: {} as Record<string, unknown> };
    const fakeRequire = (id: string) => {
      required.push(id);
      if (id === "@aws-sdk/client-sqs") return { SQSClient: class {} };
      return createRequire(__filename)(id); // node built-ins only
    };
    vm.runInNewContext(code, {
      module: mod,
      exports: mod.exports,
      require: fakeRequire,
      process,
      Buffer,
      TextEncoder,
      TextDecoder,
    });
    const handler = mod.exports.handler as (e: unknown) => Promise<{ id: string; client: string }>;
    await expect(handler({ b: 1, a: 2 })).resolves.toEqual({
      id: keyHash({ a: 2, b: 1 }),
      client: "function",
    });
    expect(
      required.filter((r) => !r.startsWith("node:") && !["crypto", "util", "buffer"].includes(r)),
    ).toEqual(["@aws-sdk/client-sqs"]);
  });

  it("is deterministic and cached per entry, and independent of the working directory", () => {
    const first = bundleEntry(entry);
    expect(bundleEntry(entry)).toBe(first);
    expect(first).not.toContain(process.cwd() + path.sep + "packages");
    expect(first).not.toContain("sourceMappingURL");
    expect(bundleEntry(entry, { sourcemap: true })).toContain("sourceMappingURL=data:application/json");
  });

  it("rejects a relative entry and fails clearly on a missing file", () => {
    expect(() => bundleEntry("fixtures/handler.ts")).toThrow("must be an absolute path");
    expect(() => bundleEntry(path.join(__dirname, "fixtures", "missing.ts"))).toThrow(/Could not resolve/);
  });
});
