import * as path from "node:path";
import { createRequire } from "node:module";
import { bundleEntry } from "@sec-an/components";

/** The Lambda entries bundle with esbuild (as deployed) and load, exporting a handler. */
describe.each(["scan.ts", "parse.ts"])("handler bundle %s", (file) => {
  it("bundles, loads and exports a handler", () => {
    const entry = path.join(__dirname, "..", "src", "handlers", file);
    const code = bundleEntry(entry);
    // Nothing of the project is left to resolve at run time: only the SDK (in the Lambda runtime) and Node built-ins.
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(
      required.filter((r) => !r.startsWith("@aws-sdk/") && !r.startsWith("node:") && !/^[a-z_]+$/.test(r)),
    ).toEqual([]);
    const mod = { exports: {} as Record<string, unknown> };
    new Function("module", "exports", "require", "__filename", "__dirname", code)(
      mod,
      mod.exports,
      createRequire(entry),
      entry,
      path.dirname(entry),
    );
    expect(typeof mod.exports.handler).toBe("function");
  });
});
