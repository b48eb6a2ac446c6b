import { describe, expect, test } from "@jest/globals";
import { SeededRandom } from "@sam-repro/runtime";
import {
  RATE_SERIES,
  analyzeProblem,
  floorExperiment,
  predictUsamFloor,
  rateBound,
  rateExperiment,
  runStochastic,
  type RateSettings,
} from "./stochastic-experiment.js";
import { syntheticLogistic } from "./test-problems.js";

const problem = syntheticLogistic(200, 6, 3);
const initial = new SeededRandom(4).fillNormal(new Float64Array(problem.dimension)) as Float64Array;
const analysis = analyzeProblem(problem, initial);
const beta = analysis.beta;

describe("the problem's analysis", () => {
  test("finds a local minimum (zero gradient, positive definite Hessian) below the starting loss", () => {
    expect(analysis.criticalGradientNorm).toBeLessThan(1e-10);
    expect(analysis.criticalHessianRange[0]).toBeGreaterThan(0);
    expect(analysis.criticalLoss).toBeLessThan(analysis.initialLoss);
    expect(beta).toBe(problem.certifiedSmoothness());
  });
});

describe("stochastic SGD / USAM / SAM against the reconstructed Theorem 2 (SPEC 2.4)", () => {
  const settings: RateSettings = {
    horizons: [100, 1000, 10000],
    batchSize: 4,
    seeds: [0, 1],
    evaluations: 100,
    referenceHorizon: 100,
    gammaFactor: 1,
    rhoFactor: 1,
    constantRhoFactor: 1,
  };
  const rows = rateExperiment(problem, initial, beta, settings);
  const meanOf = (label: string, steps: number) => {
    const values = rows.filter((row) => row.series === label && row.steps === steps).map((row) => row.result.averageGradientNormSquared);
    return values.reduce((sum, value) => sum + value, 0) / values.length;
  };

  test("the bound's left side (1/T) sum ||grad L(w_t)||^2 decreases with T for every method", () => {
    for (const series of RATE_SERIES) {
      const values = settings.horizons.map((steps) => meanOf(series.label, steps));
      values.forEach((value, i) => i > 0 && expect(value).toBeLessThan(values[i - 1]!));
    }
  });

  test("SGD and USAM stay below the bound, whose conditions hold at every T", () => {
    const sigma2 = Math.max(analysis.initialGradientVariance, ...rows.map((row) => row.result.maxGradientVariance));
    const lowest = Math.min(analysis.criticalLoss, ...rows.map((row) => row.result.minLoss));
    const constants = { beta, sigma2, initialGap: analysis.initialLoss - lowest };
    for (const series of RATE_SERIES.filter((entry) => entry.method !== "sam")) {
      for (const steps of settings.horizons) {
        const bound = rateBound(series, steps, settings, constants);
        expect(bound.applies).toBe(true);
        const largest = Math.max(...rows.filter((row) => row.series === series.label && row.steps === steps).map((row) => row.result.averageGradientNormSquared));
        expect(largest).toBeLessThan(bound.total);
      }
    }
  });

  test("a run is deterministic given its seed, and a diverging one is recorded, not thrown", () => {
    const settingsOfRun = { method: "usam" as const, gamma: 0.05, rho: 0.1, steps: 300, batchSize: 3, seed: 9, evaluations: 30, averageFrom: 0.5 };
    expect(runStochastic(problem, initial, settingsOfRun)).toEqual(runStochastic(problem, initial, settingsOfRun));
    // The logistic gradients are bounded, so no step size overflows them; a start outside the reals does.
    const diverged = runStochastic(problem, initial.map(() => Number.NaN), settingsOfRun);
    expect(diverged.diverged).toBe(true);
    expect(diverged.averageGradientNormSquared).toBeNaN();
  });
});

describe("the floor of constant-rho USAM", () => {
  test("the first-order prediction approaches the exact b = 1 mean field as rho shrinks", () => {
    const ratios = [1, 0.25].map((factor) => {
      const prediction = predictUsamFloor(problem, analysis.criticalPoint, beta, factor);
      expect(prediction.meanFieldConverged).toBe(true);
      return prediction.firstOrderCoefficient / prediction.meanFieldBatchOne;
    });
    expect(Math.abs(ratios[1]! - 1)).toBeLessThan(Math.abs(ratios[0]! - 1) + 1e-3);
    expect(Math.abs(ratios[1]! - 1)).toBeLessThan(0.1);
  });

  test("stochastic USAM with b = 1 settles where the mean field predicts, well above SGD", () => {
    const rows = floorExperiment(problem, analysis.criticalPoint, beta, {
      batchSizes: [1],
      seeds: [0, 1],
      steps: 40000,
      gammaFactor: 0.1,
      rhoFactors: [4],
      evaluations: 5,
      averageFrom: 0.5,
    });
    const mean = (method: string) => {
      const values = rows.filter((row) => row.method === method).map((row) => row.result.averagedIterateGradientNormSquared);
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    };
    const prediction = predictUsamFloor(problem, analysis.criticalPoint, beta, 4);
    expect(mean("usam") / prediction.meanFieldBatchOne).toBeGreaterThan(0.5);
    expect(mean("usam") / prediction.meanFieldBatchOne).toBeLessThan(2);
    expect(mean("sgd")).toBeLessThan(mean("usam") / 3);
  });
});
