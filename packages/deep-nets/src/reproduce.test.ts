import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { initBackend } from "@sam-repro/runtime";
import { FIGURE_FILES, type ClaimResult } from "@sam-repro/figures";
import { FIGURES, reproduce } from "./reproduce.js";
import { RUNS_DIR_ENV_VAR } from "./training/run-store.js";
import { findDatasetDirectory, resolveDataDirectory } from "./data/cifar-files.js";

/** Why the real CIFAR-10 is unavailable (the figures train on it), or null when it is there. */
function missingData(): string | null {
  try {
    const directory = resolveDataDirectory("cifar10");
    return findDatasetDirectory("cifar10", directory) ? null : `no CIFAR-10 under ${directory}`;
  } catch (error) {
    return (error as Error).message;
  }
}
const dataProblem = missingData();
if (dataProblem) console.warn(`deep-nets reproduce.test.ts: the smoke reproduction is skipped: ${dataProblem}`);

let temporary: string;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  await initBackend("wasm");
  temporary = mkdtempSync(path.join(os.tmpdir(), "deep-nets-reproduce-"));
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
  rmSync(temporary, { recursive: true, force: true });
});

describe("reproduce deep-nets --profile smoke", () => {
  (dataProblem ? test.skip : test)("every figure writes its files and a verdict for each claim of its config (needs CIFAR-10)", async () => {
    await reproduce({ profile: "smoke" });
    for (const figure of FIGURES) {
      const directory = path.join(temporary, "reports", figure.id);
      for (const file of FIGURE_FILES) expect(existsSync(path.join(directory, file))).toBe(true);
      const claims = JSON.parse(readFileSync(path.join(directory, "claims.json"), "utf8")) as ClaimResult[];
      const config = JSON.parse(readFileSync(path.join(import.meta.dirname, "../../../experiments", `${figure.id}.json`), "utf8")) as { claims: Array<{ id: string }> };
      expect(claims.map((c) => c.id).sort()).toEqual(config.claims.map((c) => c.id).sort());
      for (const claim of claims) expect(claim.profile).toBe("smoke");
    }
  });

  test("an unknown figure id is an input error that lists the known ones", async () => {
    await expect(reproduce({ profile: "smoke", only: ["fig99"] })).rejects.toThrow(/unknown figure id\(s\) fig99; allowed: fig1-perturbations/);
  });
});
