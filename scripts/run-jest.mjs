#!/usr/bin/env node
// Runs the whole test suite with jest in native-ESM mode (vega and tfjs need real ES modules).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const jestBin = path.join(path.dirname(require.resolve("jest/package.json")), "bin", "jest.js");
const nodeOptions = [process.env.NODE_OPTIONS ?? "", "--experimental-vm-modules", "--no-warnings=ExperimentalWarning"]
  .join(" ")
  .trim();
const result = spawnSync(process.execPath, [jestBin, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, NODE_OPTIONS: nodeOptions },
});
process.exit(result.status ?? 1);
