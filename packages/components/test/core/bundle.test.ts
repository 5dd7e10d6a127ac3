import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import { keyHash } from "@sec-an/contracts";
import { bundleEntry, deferImports } from "../../src/core/bundle";

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

  it("loads an SDK package only when the handler first uses it, not at cold start", async () => {
    const required: string[] = [];
    const mod = { exports: {} as Record<string, unknown> };
    vm.runInNewContext(bundleEntry(entry), {
      module: mod,
      exports: mod.exports,
      require: (id: string) => {
        if (!id.startsWith("@aws-sdk/")) return createRequire(__filename)(id);
        required.push(id);
        return { SQSClient: class {} };
      },
      process,
      Buffer,
      TextEncoder,
      TextDecoder,
    });
    expect(required).toEqual([]);
    await (mod.exports.handler as (e: unknown) => Promise<unknown>)({});
    expect(required).toEqual(["@aws-sdk/client-sqs"]);
  });

  it("defers only plain top-level requires of the heavy packages", () => {
    const code = [
      'var import_client_sns = require("@aws-sdk/client-sns");',
      'var import_os = require("@opensearch-project/opensearch");',
      'var import_core = require("@aws-sdk/core");',
      'var import_x = __toESM(require("@aws-sdk/client-s3"));',
    ].join("\n");
    const out = deferImports(code).split("\n");
    expect(out[1]).toBe('var import_client_sns = __lazyModule(() => require("@aws-sdk/client-sns"));');
    expect(out[2]).toBe('var import_os = __lazyModule(() => require("@opensearch-project/opensearch"));');
    expect(out.slice(3)).toEqual(code.split("\n").slice(2));
    expect(deferImports('var a = require("node:fs");')).toBe('var a = require("node:fs");');
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

/** Every Lambda handler file in the tree (a module exporting `handler` under a package's or project's src). */
function handlerFiles(): string[] {
  const root = path.join(__dirname, "..", "..", "..", "..");
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules" && e.name !== "templates") walk(p);
      } else if (/\.ts$/.test(e.name) && !e.name.endsWith(".d.ts")) {
        if (/^export (const|async function|function) handler\b/m.test(readFileSync(p, "utf8"))) out.push(p);
      }
    }
  };
  for (const top of ["packages", "projects"])
    for (const ws of readdirSync(path.join(root, top)))
      if (!ws.startsWith(".")) {
        const src = path.join(root, top, ws, "src");
        if (readdirSync(path.join(root, top, ws)).includes("src")) walk(src);
      }
  return out.sort();
}

describe("every handler bundle", () => {
  const files = handlerFiles();
  const dir = mkdtempSync(path.join(tmpdir(), "bundles-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the handlers", () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  // A size limit, not a timing: a bundle over 1 MB is slower to load and to deploy.
  it.each(files.map((f) => [path.relative(process.cwd(), f), f]))("%s is at most 1 MB", (_, file) => {
    const code = bundleEntry(file);
    expect(Buffer.byteLength(code)).toBeLessThanOrEqual(1024 * 1024);
    writeFileSync(path.join(dir, `${files.indexOf(file)}.js`), code);
  });

  it("each loads and exports a handler without loading the runtime kit's SDK clients or the OpenSearch client", () => {
    const sdk = path.dirname(path.dirname(path.dirname(require.resolve("@aws-sdk/client-sqs/package.json"))));
    const probe = `for (const f of ${JSON.stringify(files.map((_, i) => path.join(dir, `${i}.js`)))}) {
      if (typeof require(f).handler !== "function") throw new Error(f + ": no handler");
      const heavy = Object.keys(require.cache).filter((k) => /@aws-sdk[\\/](client-(sqs|sns|s3|ssm|dynamodb|ecs)|lib-dynamodb)[\\/]|@opensearch-project/.test(k));
      if (heavy.length) throw new Error(f + " loads " + heavy[0]);
    }`;
    const r = spawnSync(process.execPath, ["-e", probe], {
      env: { ...process.env, NODE_PATH: sdk },
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 60_000);
});
