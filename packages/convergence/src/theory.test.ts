import { describe, expect, test } from "@jest/globals";
import { logLogSlope } from "@sam-repro/runner";
import {
  horizonSchedule,
  isUsamStable,
  normalizedSamDistanceFloor,
  theorem2Bound,
  twoCycleAmplitude,
  twoCycleTransverseFactor,
  usamCriticalRho,
  usamCriticalStepSize,
  usamSpectralRadius,
  usamStabilityProduct,
} from "./theory.js";

describe("USAM stability on quadratics (SPEC 2.4)", () => {
  test("the critical step and radius put the product exactly on 2", () => {
    for (const [rho, lambda] of [
      [0, 1],
      [0.3, 2],
      [5, 0.7],
    ] as const) {
      const gamma = usamCriticalStepSize(rho, lambda);
      expect(usamStabilityProduct(gamma, rho, lambda)).toBeCloseTo(2, 12);
      expect(usamCriticalRho(gamma, lambda)).toBeCloseTo(rho, 10);
      expect(isUsamStable(gamma * 0.999, rho, lambda)).toBe(true);
      expect(isUsamStable(gamma * 1.001, rho, lambda)).toBe(false);
    }
  });

  test("the spectral radius crosses 1 where the product crosses 2", () => {
    const spectrum = [2, 1, 0.1];
    const gammaStar = usamCriticalStepSize(0.5, 2);
    expect(usamSpectralRadius(gammaStar * 0.99, 0.5, spectrum)).toBeLessThan(1);
    expect(usamSpectralRadius(gammaStar * 1.01, 0.5, spectrum)).toBeGreaterThan(1);
    expect(usamSpectralRadius(gammaStar, 0.5, spectrum)).toBeCloseTo(1, 12);
  });
});

describe("normalized-SAM 2-cycle (SPEC 2.4)", () => {
  test("+-A is a 2-cycle of w -> (1 - gamma lambda) w - gamma lambda rho sign(w)", () => {
    const step = (w: number, gamma: number, rho: number, lambda: number) => (1 - gamma * lambda) * w - gamma * lambda * rho * Math.sign(w);
    for (const [gamma, rho, lambda] of [
      [0.5, 1, 1],
      [0.1, 0.3, 7],
      [1.9, 2, 1],
    ] as const) {
      const amplitude = twoCycleAmplitude(gamma, rho, lambda);
      expect(step(amplitude, gamma, rho, lambda)).toBeCloseTo(-amplitude, 12);
      expect(step(-amplitude, gamma, rho, lambda)).toBeCloseTo(amplitude, 12);
    }
    expect(twoCycleAmplitude(0.5, 1, 1)).toBeCloseTo(1 / 3, 15);
    expect(twoCycleAmplitude(2.5, 1, 1)).toBeNaN();
  });

  test("the d-dimensional floor is the top direction's amplitude, or NaN when another direction repels", () => {
    expect(normalizedSamDistanceFloor(0.5, 0.5, [1, 0.5, 0.1])).toBeCloseTo(twoCycleAmplitude(0.5, 0.5, 1), 15);
    // A second eigenvalue equal to the top one sits exactly at factor -1: not attracting.
    expect(Math.abs(twoCycleTransverseFactor(0.5, 1, 1))).toBeCloseTo(1, 12);
    expect(normalizedSamDistanceFloor(0.5, 0.5, [1, 1])).toBeNaN();
  });
});

describe("reconstructed Theorem 2 (SPEC 2.4)", () => {
  const constants = { initialGap: 0.7, beta: 1.5, sigma2: 0.4, batchSize: 4 };
  const reference = { steps: 100, gamma: 1 / (4 * 1.5), rho: 1 / (4 * 1.5) };

  test("with gamma ~ T^-1/2 and rho ~ T^-1/4 the bound decreases in T like T^-1/2", () => {
    const horizons = [1e2, 1e3, 1e4, 1e5, 1e6, 1e7];
    const totals = horizons.map((steps) => theorem2Bound({ ...constants, ...horizonSchedule(steps, reference), steps }).total);
    totals.forEach((value, i) => i > 0 && expect(value).toBeLessThan(totals[i - 1]!));
    expect(logLogSlope(horizons, totals)).toBeCloseTo(-0.5, 6);
    expect(horizons.every((steps) => theorem2Bound({ ...constants, ...horizonSchedule(steps, reference), steps }).applies)).toBe(true);
  });

  test("with a constant rho the bound keeps the floor 4 beta^2 rho^2 sigma^2 / b", () => {
    const rho = reference.rho;
    const floor = (4 * constants.beta ** 2 * rho ** 2 * constants.sigma2) / constants.batchSize;
    const far = theorem2Bound({ ...constants, gamma: horizonSchedule(1e14, reference).gamma, rho, steps: 1e14 });
    expect(far.perturbation).toBeCloseTo(floor, 15);
    expect(far.total / floor).toBeCloseTo(1, 4);
    expect(theorem2Bound({ ...constants, gamma: 1, rho, steps: 10 }).applies).toBe(false);
  });
});
