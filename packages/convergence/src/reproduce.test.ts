import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError } from "@sam-repro/runner";
import { FIGURE_FILES, type ClaimResult } from "@sam-repro/figures";
import { DATA_DIR_ENV_VAR, cifar10Directory } from "./cifar-data.js";
import { THEORY_FIGURES, reproduce } from "./reproduce.js";

const real = cifar10Directory();
const haveData = "directory" in real;
// The directory holding the files is itself a valid data directory.
const realDataDir = "directory" in real ? real.directory : "";
const saved = { reports: process.env.SAM_REPRO_REPORTS_DIR, runs: process.env.SAM_REPRO_RUNS_DIR, data: process.env[DATA_DIR_ENV_VAR], quiet: process.env.SAM_REPRO_QUIET };
let reports: string;
let runs: string;

beforeAll(() => {
  reports = mkdtempSync(path.join(os.tmpdir(), "convergence-reports-"));
  process.env.SAM_REPRO_REPORTS_DIR = reports;
  runs = mkdtempSync(path.join(os.tmpdir(), "convergence-runs-"));
  process.env.SAM_REPRO_RUNS_DIR = runs;
  process.env.SAM_REPRO_QUIET = "1";
});
afterAll(() => {
  rmSync(reports, { recursive: true, force: true });
  rmSync(runs, { recursive: true, force: true });
  for (const [key, value] of [
    ["SAM_REPRO_REPORTS_DIR", saved.reports],
    ["SAM_REPRO_RUNS_DIR", saved.runs],
    [DATA_DIR_ENV_VAR, saved.data],
    ["SAM_REPRO_QUIET", saved.quiet],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const claimsOf = (id: string) => JSON.parse(readFileSync(path.join(reports, id, "claims.json"), "utf8")) as ClaimResult[];

describe("reproduce convergence --profile smoke", () => {
  test("writes every theory figure; without CIFAR-10 the stochastic claims are 'not run', the quadratic ones hold", async () => {
    process.env[DATA_DIR_ENV_VAR] = mkdtempSync(path.join(os.tmpdir(), "convergence-no-data-"));
    await reproduce({ profile: "smoke" });
    for (const figure of THEORY_FIGURES) {
      for (const file of FIGURE_FILES) expect(existsSync(path.join(reports, figure.id, file))).toBe(true);
    }
    for (const id of ["usam-stability-quadratic", "sam-two-cycle"]) {
      expect(claimsOf(id).map((claim) => claim.verdict)).toEqual(claimsOf(id).map(() => "holds"));
    }
    for (const id of ["stochastic-convergence-rate", "batch-size-floor"]) {
      const claims = claimsOf(id);
      expect(claims.length).toBeGreaterThan(0);
      for (const claim of claims) {
        expect(claim.verdict).toBe("not run");
        expect(claim.details).toContain("not found");
      }
    }
  });

  (haveData ? test : test.skip)("with CIFAR-10 the stochastic figures run and report numbers", async () => {
    process.env[DATA_DIR_ENV_VAR] = realDataDir;
    const ids = ["stochastic-convergence-rate", "batch-size-floor"];
    await reproduce({ profile: "smoke", only: ids });
    // Every run went to the run store (one directory per run), none to reports/<id>/ beside the figure's files.
    const store = path.join(runs, "convergence", "smoke");
    const stored = readdirSync(store).sort();
    for (const id of ids) expect(stored.filter((name) => name.startsWith(`${id}-`)).length).toBeGreaterThan(1);
    for (const id of ids) expect(readdirSync(path.join(reports, id)).sort()).toEqual([...FIGURE_FILES, "manifest.json"].sort());
    const first = ids.map((id) => readFileSync(path.join(reports, id, "data.json"), "utf8"));
    // A second reproduce reuses the stored runs: no new run directory, the same figures.
    await reproduce({ profile: "smoke", only: ids });
    expect(readdirSync(store).sort()).toEqual(stored);
    expect(ids.map((id) => readFileSync(path.join(reports, id, "data.json"), "utf8"))).toEqual(first);
    for (const id of ids) {
      for (const claim of claimsOf(id)) {
        expect(claim.verdict).not.toBe("not run");
        expect(claim.ourValue).not.toBeNull();
        expect(claim.profile).toBe("smoke");
      }
    }
  });

  test("--only with an unknown id (or a deep-net figure, which lives in @sam-repro/deep-nets) is an InputError", async () => {
    await expect(reproduce({ profile: "smoke", only: ["no-such-figure"] })).rejects.toThrow(InputError);
    await expect(reproduce({ profile: "smoke", only: ["fig12-label-noise"] })).rejects.toThrow(InputError);
  });
});
