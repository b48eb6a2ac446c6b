#!/usr/bin/env node
// Runs the whole test suite with jest in native-ESM mode (vega and tfjs need real ES modules).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const jestBin = path.join(path.dirname(require.resolve("jest/package.json")), "bin", "jest.js");
const nodeOptions = [process.env.NODE_OPTIONS ?? "", "--experimental-vm-modules", "--no-warnings=ExperimentalWarning"]
  .join(" ")
  .trim();
// A safety net: figures and runs of a test that loses its own temporary directories (a hook that timed out
// while a reproduction kept running, then restored the environment) land in a scratch folder, never in the
// committed reports/ or the real run store. Tests that need the defaults unset them themselves.
const scratch = mkdtempSync(path.join(os.tmpdir(), "sam-repro-jest-"));
const outputs = {
  SAM_REPRO_REPORTS_DIR: process.env.SAM_REPRO_REPORTS_DIR || path.join(scratch, "reports"),
  SAM_REPRO_RUNS_DIR: process.env.SAM_REPRO_RUNS_DIR || path.join(scratch, "runs"),
};
const result = spawnSync(process.execPath, [jestBin, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, ...outputs, NODE_OPTIONS: nodeOptions },
});
rmSync(scratch, { recursive: true, force: true });
process.exit(result.status ?? 1);
