import { describe, expect, test } from "@jest/globals";
import { boundaryProbes, distanceFloorRuns, grid, oneDimensionalCycles, stabilityMap } from "./quadratic-experiments.js";
import { normalizedSamDistanceFloor, twoCycleAmplitude } from "./theory.js";

describe("USAM stability boundary (SPEC 2.4, 5.A5)", () => {
  test("a few points on each side of gamma* = 2 / (lambda_max (1 + rho lambda_max)) converge / diverge", () => {
    for (const spectrum of [[1], [2, 1, 0.2], [5, 3, 1, 0.5]]) {
      const probes = boundaryProbes({
        spectrum,
        basisSeed: spectrum.length > 1 ? 13 : null,
        initialSeed: 4,
        rhos: [0, 0.05, 0.5, 3],
        steps: 600,
        factors: [0.9, 0.97, 1.03, 1.1],
      });
      for (const probe of probes) {
        expect(probe.empiricalStable).toBe(probe.factor < 1);
        expect(probe.predictedStable).toBe(probe.factor < 1);
        if (probe.factor < 1) expect(probe.finalNorm).toBeLessThan(1e-3);
        else expect(probe.finalNorm).toBeGreaterThan(1);
      }
    }
  });

  test("a small grid agrees with the prediction everywhere", () => {
    const points = stabilityMap({
      spectrum: [2, 0.7, 0.1],
      basisSeed: 1,
      initialSeed: 2,
      gammas: grid(0.05, 1.1, 9, "linear"),
      rhos: grid(0.01, 10, 7, "log"),
      steps: 1500,
    });
    const scored = points.filter((point) => Math.abs(point.product - 2) > 0.04);
    expect(scored.every((point) => point.empiricalStable === point.predictedStable)).toBe(true);
    expect(points.some((point) => point.predictedStable)).toBe(true);
    expect(points.some((point) => !point.predictedStable)).toBe(true);
  });
});

describe("normalized SAM on quadratics (SPEC 2.4)", () => {
  test("2-cycle amplitude in 1-D through Float64Sam", () => {
    const cycles = oneDimensionalCycles({ lambda: 3, rho: 0.4, gammaLambdas: [0.3, 0.5, 1.7], initial: 1, steps: 300, tail: 6 });
    for (const cycle of cycles) {
      expect(cycle.predictedAmplitude).toBeCloseTo(twoCycleAmplitude(cycle.gammaLambda / 3, 0.4, 3), 14);
      expect(cycle.alternates).toBe(true);
      expect(cycle.relativeError).toBeLessThan(1e-9);
    }
  });

  test("distance floor in d > 1, and convergence with rho_t -> 0", () => {
    const spectrum = [1, 0.6, 0.3, 0.1];
    const runs = distanceFloorRuns({
      spectrum,
      basisSeed: 8,
      initialSeed: 5,
      initialNorm: 2,
      rho: 0.3,
      gammas: [0.5, 1.2],
      decayPower: 0.5,
      steps: 4000,
      tail: 20,
    });
    const constant = runs.filter((run) => run.label.startsWith("SAM, constant"));
    expect(constant).toHaveLength(2);
    for (const run of constant) {
      expect(run.predicted).toBeCloseTo(normalizedSamDistanceFloor(run.gamma, 0.3, spectrum), 14);
      expect(Math.abs(run.tailMean - run.predicted) / run.predicted).toBeLessThan(1e-6);
    }
    const decaying = runs.find((run) => run.label.includes("ρ_t → 0"))!;
    const final = decaying.norms[decaying.norms.length - 1]!;
    expect(final).toBeLessThan(constant[0]!.predicted / 10);
    expect(final / decaying.predicted).toBeGreaterThan(0.8);
    expect(final / decaying.predicted).toBeLessThan(1.25);
    const usam = runs.find((run) => run.variant === "usam")!;
    expect(usam.norms[usam.norms.length - 1]!).toBeLessThan(1e-12);
  });
});
