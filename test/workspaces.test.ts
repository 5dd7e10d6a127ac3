import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const root = join(__dirname, "..");

describe("monorepo layout", () => {
  it("keeps pnpm-workspace.yaml in step with npm workspaces", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const pnpm = parse(readFileSync(join(root, "pnpm-workspace.yaml"), "utf8"));
    expect([...pnpm.packages].sort()).toEqual([...pkg.workspaces].sort());
  });
  it("pins TypeScript exactly, below 7", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(pkg.devDependencies.typescript).toMatch(/^5\.\d+\.\d+$/);
  });
});
