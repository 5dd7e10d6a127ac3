// One jest run over every workspace. ts-jest transpiles only (isolatedModules); `npm run typecheck`
// runs tsc once for the whole tree, which is much faster than type-checking per test file.
/** @type {import('jest').Config} */
const base = {
  testEnvironment: "node",
  transform: {
    "^.+\\.ts$": [
      "ts-jest",
      { tsconfig: "<rootDir>/tsconfig.base.json", isolatedModules: true, diagnostics: false },
    ],
  },
  moduleFileExtensions: ["ts", "js", "json"],
};
module.exports = {
  ...base,
  rootDir: __dirname,
  roots: ["<rootDir>/packages", "<rootDir>/projects", "<rootDir>/test"],
  testMatch: ["**/test/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/"],
  globalSetup: "<rootDir>/packages/testing/global-setup.mjs",
  globalTeardown: "<rootDir>/packages/testing/global-teardown.mjs",
  testTimeout: 60000,
  maxWorkers: 2,
};
