#!/usr/bin/env node
// The sec-an command runs from TypeScript source through tsx, so a clone needs no build step.
require("tsx/cjs");
require("../src/bin.ts");
