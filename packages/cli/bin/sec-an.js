#!/usr/bin/env node
// The sec-an command runs from TypeScript source through tsx (`node --import tsx`), so a clone needs no
// build step. tsx's loader must be registered at start-up for lazy `import()`s of .ts files, hence
// one child process with the flag; signals are forwarded and its exit code is ours.
const { spawn } = require("node:child_process");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");

// Resolved from here, so the command works from any directory.
const tsx = pathToFileURL(require.resolve("tsx")).href;

const child = spawn(
  process.execPath,
  ["--import", tsx, join(__dirname, "../src/bin.ts"), ...process.argv.slice(2)],
  {
    stdio: "inherit",
  },
);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
