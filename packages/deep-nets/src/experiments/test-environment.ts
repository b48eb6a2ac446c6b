/**
 * Test helper (excluded from the build): a test file that reproduces figures writes its reports and trained runs
 * under a fresh temporary folder, with progress quiet, on the wasm backend; afterwards the environment is put back
 * as it was and the folder removed.
 */
import { afterAll, beforeAll } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { initBackend } from "@sam-repro/runtime";
import { RUNS_DIR_ENV_VAR } from "../training/run-store.js";

/**
 * Registers beforeAll/afterAll hooks that point SAM_REPRO_REPORTS_DIR at <temporary>/reports and the run store at
 * <temporary>/runs, and returns a getter for <temporary> (valid once beforeAll has run).
 */
export function useTemporaryReportsAndRuns(prefix: string): () => string {
  let temporary: string | undefined;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    await initBackend("wasm");
    temporary = mkdtempSync(path.join(os.tmpdir(), prefix));
    for (const [key, value] of Object.entries({ SAM_REPRO_REPORTS_DIR: path.join(temporary, "reports"), [RUNS_DIR_ENV_VAR]: path.join(temporary, "runs"), SAM_REPRO_QUIET: "1" })) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  });
  return () => {
    if (temporary === undefined) throw new Error("useTemporaryReportsAndRuns: the temporary folder exists only once beforeAll has run");
    return temporary;
  };
}
