import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError, experimentsDir, validate } from "@sam-repro/runner";
import { initBackend } from "@sam-repro/runtime";
import { FIGURE_FILES, VERDICTS, type ClaimResult } from "@sam-repro/figures";
import { DATA_DIR_ENV_VAR, missingDataReason } from "../data/cifar-files.js";
import { reproduce } from "../reproduce.js";
import { RUNS_DIR_ENV_VAR } from "../training/run-store.js";
import { FULL_TRAINING_SET } from "./convergence-specs.js";
import { LABEL_NOISE_ID, labelNoiseSettingsSchema } from "./fig12-label-noise.js";
import { DEEP_NET_FIGURES } from "./figure-table.js";
import { TRAINING_CONVERGENCE_ID, trainingConvergenceSettingsSchema } from "./training-convergence.js";

const IDS = [TRAINING_CONVERGENCE_ID, LABEL_NOISE_ID];
const haveCifar10 = missingDataReason("cifar10") === null;
const ENV_KEYS = ["SAM_REPRO_REPORTS_DIR", RUNS_DIR_ENV_VAR, DATA_DIR_ENV_VAR, "SAM_REPRO_QUIET"] as const;
const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
let temporary: string;

beforeAll(async () => {
  await initBackend("wasm");
  temporary = mkdtempSync(path.join(os.tmpdir(), "convergence-figures-"));
  process.env.SAM_REPRO_REPORTS_DIR = path.join(temporary, "reports");
  process.env[RUNS_DIR_ENV_VAR] = path.join(temporary, "runs");
  process.env.SAM_REPRO_QUIET = "1";
});
afterAll(() => {
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  rmSync(temporary, { recursive: true, force: true });
});

const readJson = <T>(id: string, file: string) => JSON.parse(readFileSync(path.join(temporary, "reports", id, file), "utf8")) as T;
const experiment = (id: string) => JSON.parse(readFileSync(path.join(experimentsDir(), `${id}.json`), "utf8")) as { claims: Array<{ id: string }>; profiles: Record<string, unknown> };

/** Evaluations of a smoke run: every evalEvery epochs, after the last one, and at epoch 0 when asked. */
function evaluationCount(base: { epochs: number; evalEvery: number; evaluateAtStart: boolean }): number {
  const epochs = new Set<number>();
  for (let epoch = base.evalEvery; epoch <= base.epochs; epoch += base.evalEvery) epochs.add(epoch);
  epochs.add(base.epochs);
  return epochs.size + (base.evaluateAtStart ? 1 : 0);
}

function expectClaimsOfConfig(id: string, check: (claim: ClaimResult) => void): void {
  const claims = readJson<ClaimResult[]>(id, "claims.json");
  expect(claims.map((claim) => claim.id).sort()).toEqual(experiment(id).claims.map((claim) => claim.id).sort());
  for (const claim of claims) {
    expect(VERDICTS).toContain(claim.verdict);
    expect(claim.profile).toBe("smoke");
    check(claim);
  }
}

describe("figures of convergence in practice (issue 5 part 3)", () => {
  test("are registered in the figure table, reporting 'not run' without data", () => {
    const registered = DEEP_NET_FIGURES.filter((figure) => IDS.includes(figure.id));
    expect(registered.map((figure) => figure.id)).toEqual(IDS);
    for (const figure of registered) expect(figure.notRunWithoutData).toBe(true);
  });

  test("configs: an m that does not divide the batch and a Fig. 12 panel without label noise are input errors naming the field", () => {
    const convergence = validate(trainingConvergenceSettingsSchema, experiment(TRAINING_CONVERGENCE_ID).profiles.smoke, "smoke");
    const badM = { ...convergence, methods: [{ key: "m5", label: "5-SAM", sam: { variant: "sam", rho: 0.1, m: 5 } }] };
    expect(() => validate(trainingConvergenceSettingsSchema, badM, "x.json")).toThrow(/methods\.0\.sam\.m: m = 5 does not divide the batch size 16/);
    const noise = validate(labelNoiseSettingsSchema, experiment(LABEL_NOISE_ID).profiles.smoke, "smoke");
    const { labelNoise: _dropped, ...clean } = noise.panels[0]!.base;
    expect(() => validate(labelNoiseSettingsSchema, { ...noise, panels: [{ ...noise.panels[0]!, base: clean }] }, "x.json")).toThrow(InputError);
  });

  test("without CIFAR-10 both figures are written with every claim 'not run'", async () => {
    process.env[DATA_DIR_ENV_VAR] = path.join(temporary, "no-data");
    try {
      await reproduce({ profile: "smoke", only: IDS });
    } finally {
      if (saved[DATA_DIR_ENV_VAR] === undefined) delete process.env[DATA_DIR_ENV_VAR];
      else process.env[DATA_DIR_ENV_VAR] = saved[DATA_DIR_ENV_VAR];
    }
    for (const id of IDS) {
      for (const file of FIGURE_FILES) expect(existsSync(path.join(temporary, "reports", id, file))).toBe(true);
      expectClaimsOfConfig(id, (claim) => expect(claim.verdict).toBe("not run"));
    }
  });

  (haveCifar10 ? test : test.skip)(
    "smoke profile: trains the runs, writes every declared claim with a verdict and one curve point per evaluation; a rerun reuses the runs",
    async () => {
      await reproduce({ profile: "smoke", only: IDS });
      for (const id of IDS) {
        for (const file of FIGURE_FILES) expect(existsSync(path.join(temporary, "reports", id, file))).toBe(true);
        expectClaimsOfConfig(id, (claim) => {
          expect(claim.verdict).not.toBe("not run");
          expect(claim.ourValue).not.toBeNull();
        });
      }

      const convergence = validate(trainingConvergenceSettingsSchema, experiment(TRAINING_CONVERGENCE_ID).profiles.smoke, "smoke");
      const evaluations = evaluationCount(convergence.base);
      const convergenceData = readJson<{ rows: Array<{ quantity: string; method: string; measure: string; epoch: number }>; runs: Array<{ status: string; metrics: unknown[] }> }>(
        TRAINING_CONVERGENCE_ID,
        "data.json",
      );
      expect(convergenceData.runs).toHaveLength(convergence.seeds.length * convergence.methods.length);
      for (const run of convergenceData.runs) {
        expect(run.status).toBe("completed");
        expect(run.metrics).toHaveLength(evaluations);
      }
      for (const method of convergence.methods) {
        for (const quantity of ["loss", "error"]) {
          const points = convergenceData.rows.filter((row) => row.method === method.label && row.quantity === quantity);
          const measures = [...new Set(points.map((row) => row.measure))];
          expect(measures).toHaveLength(2);
          for (const measure of measures) {
            const count = points.filter((row) => row.measure === measure).length;
            // The mini-batch means exist from the first epoch on; the evaluation at epoch 0 has none.
            expect(count).toBe(measure === FULL_TRAINING_SET ? evaluations : evaluations - (convergence.base.evaluateAtStart ? 1 : 0));
          }
        }
      }

      const noise = validate(labelNoiseSettingsSchema, experiment(LABEL_NOISE_ID).profiles.smoke, "smoke");
      const noiseData = readJson<{ rows: Array<{ curve: string; epoch: number; error: number }> }>(LABEL_NOISE_ID, "data.json");
      const curves = [...new Set(noiseData.rows.map((row) => row.curve))];
      expect(curves.sort()).toEqual(["Test error, ERM", "Test error, SAM", "Train error on noisy samples, ERM", "Train error on noisy samples, SAM"]);
      for (const curve of curves) {
        const points = noiseData.rows.filter((row) => row.curve === curve);
        expect(points).toHaveLength(evaluationCount(noise.panels[0]!.base) * noise.panels.length);
        for (const point of points) expect(point.error).toBeGreaterThanOrEqual(0);
        for (const point of points) expect(point.error).toBeLessThanOrEqual(100);
      }

      // Resumption: the runs are stored; a second reproduce reads them back and writes the same curves.
      const before = JSON.stringify(noiseData.rows);
      const started = performance.now();
      await reproduce({ profile: "smoke", only: [LABEL_NOISE_ID] });
      expect(JSON.stringify(readJson<{ rows: unknown[] }>(LABEL_NOISE_ID, "data.json").rows)).toBe(before);
      expect(performance.now() - started).toBeLessThan(20_000);
    },
    120_000,
  );
});
