import { describe, expect, test } from "@jest/globals";
import { eigs } from "mathjs";
import { Float64Sam } from "@sam-repro/sam";
import {
  empiricalRate,
  normalizedSamRecursion1d,
  quadraticOracle,
  quadraticWithSpectrum,
  runOnQuadratic,
  usamRecursion,
} from "./quadratic.js";
import { unitStart } from "./quadratic-experiments.js";
import { symmetricEigenvalues } from "./symmetric-eigenvalues.js";
import { twoCycleAmplitude, usamEigenFactor, usamSpectralRadius } from "./theory.js";

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i]! - b[i]!));
  return largest;
}

describe("quadratics with a chosen spectrum", () => {
  test("H = Q diag(spectrum) Q^T has that spectrum (mathjs eigs) and is symmetric", () => {
    const spectrum = [2, 1.4, 1, 0.6, 0.3, 0.1];
    const quadratic = quadraticWithSpectrum(spectrum, 7);
    const d = spectrum.length;
    const rows = Array.from({ length: d }, (_, a) => Array.from(quadratic.hessian.subarray(a * d, (a + 1) * d)));
    const values = (eigs(rows).values as unknown as number[]).map(Number).sort((x, y) => y - x);
    expect(maxDifference(values, spectrum)).toBeLessThan(1e-12);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) expect(quadratic.hessian[a * d + b]).toBe(quadratic.hessian[b * d + a]);
  });
});

describe("Float64Sam iterates equal the closed-form recursions (SPEC 2.4)", () => {
  test("USAM on a dense H: w_{t+1} = (I - gamma H - gamma rho H^2) w_t to 1e-12", () => {
    const quadratic = quadraticWithSpectrum([2, 1.4, 1, 0.6, 0.3, 0.1], 11);
    const start = unitStart(6, 3);
    for (const [gamma, rho] of [
      [0.3, 0.5],
      [0.05, 5],
      [0.9, 0.01],
    ] as const) {
      const run = runOnQuadratic(quadratic, { variant: "usam", gamma, rho, steps: 100 }, start, true);
      const recursion = usamRecursion(quadratic, gamma, rho, start, 100);
      run.iterates!.forEach((w, t) => expect(maxDifference(w, recursion[t]!)).toBeLessThan(1e-12));
    }
  });

  test("USAM on a diagonal H: each coordinate is multiplied by 1 - gamma lambda - gamma rho lambda^2 per step", () => {
    const spectrum = [3, 1, 0.25];
    const quadratic = quadraticWithSpectrum(spectrum, null);
    const start = Float64Array.of(1, -2, 0.5);
    const gamma = 0.2;
    const rho = 0.4;
    const run = runOnQuadratic(quadratic, { variant: "usam", gamma, rho, steps: 60 }, start, true);
    run.iterates!.forEach((w, t) => {
      const closedForm = spectrum.map((lambda, i) => start[i]! * usamEigenFactor(gamma, rho, lambda) ** t);
      expect(maxDifference(w, closedForm)).toBeLessThan(1e-12);
    });
  });

  test("SGD is the rho = 0 recursion", () => {
    const quadratic = quadraticWithSpectrum([1.5, 0.5], 2);
    const start = unitStart(2, 1);
    const run = runOnQuadratic(quadratic, { variant: "sgd", gamma: 0.4, rho: 0.7, steps: 40 }, start, true);
    const recursion = usamRecursion(quadratic, 0.4, 0, start, 40);
    run.iterates!.forEach((w, t) => expect(maxDifference(w, recursion[t]!)).toBeLessThan(1e-12));
  });

  test("normalized SAM in 1-D: w_{t+1} = (1 - gamma lambda) w_t - gamma lambda rho sign(w_t)", () => {
    const lambda = 2;
    const gamma = 0.35;
    const quadratic = quadraticWithSpectrum([lambda], null);
    for (const rho of [0.8, (t: number) => 0.8 / Math.sqrt(t + 1)]) {
      const run = runOnQuadratic(quadratic, { variant: "sam", gamma, rho, steps: 50, epsilon: 0 }, Float64Array.of(1.7), true);
      const recursion = normalizedSamRecursion1d(lambda, gamma, rho, 1.7, 50);
      run.iterates!.forEach((w, t) => expect(Math.abs(w[0]! - recursion[t]!)).toBeLessThan(1e-12));
    }
  });

  test("the 1-D iterates settle on +-gamma lambda rho / (2 - gamma lambda)", () => {
    for (const gammaLambda of [0.2, 0.5, 1.3, 1.8]) {
      const iterates = normalizedSamRecursion1d(1, gammaLambda, 0.6, -4, 400);
      const amplitude = twoCycleAmplitude(gammaLambda, 0.6, 1);
      const last = iterates.slice(-4);
      last.forEach((w, i) => {
        expect(Math.abs(Math.abs(w) - amplitude)).toBeLessThan(1e-9 * amplitude);
        if (i > 0) expect(Math.sign(w)).toBe(-Math.sign(last[i - 1]!));
      });
    }
  });
});

describe("empirical rate", () => {
  test("equals the spectral radius of the USAM matrix on both sides of the boundary", () => {
    const spectrum = [2, 0.5];
    const quadratic = quadraticWithSpectrum(spectrum, 5);
    for (const gamma of [0.3, 0.8]) {
      const run = runOnQuadratic(quadratic, { variant: "usam", gamma, rho: 0.5, steps: 200 }, unitStart(2, 9));
      expect(empiricalRate(run)).toBeCloseTo(usamSpectralRadius(gamma, 0.5, spectrum), 8);
    }
  });

  test("an overflowing run is recorded as diverged, not thrown", () => {
    const quadratic = quadraticWithSpectrum([10], null);
    const run = runOnQuadratic(quadratic, { variant: "usam", gamma: 1, rho: 1, steps: 100000 }, Float64Array.of(1));
    expect(run.diverged).toBe(true);
    expect(empiricalRate(run)).toBe(Infinity);
    expect(run.steps).toBeLessThan(1000);
  });

  test("the oracle returns 0.5 w^T H w", () => {
    const quadratic = quadraticWithSpectrum([2, 1], 4);
    const w = Float64Array.of(0.3, -1.2);
    const gradient = new Float64Array(2);
    const value = quadraticOracle(quadratic)(w, null, gradient);
    expect(value).toBeCloseTo(0.5 * (w[0]! * gradient[0]! + w[1]! * gradient[1]!), 14);
    const optimizer = new Float64Sam(2, quadraticOracle(quadratic), { variant: "usam", rho: 0 });
    optimizer.step(w, null, 0.1);
    expect(w[0]).toBeCloseTo(0.3 - 0.1 * gradient[0]!, 14);
  });
});

describe("symmetric eigenvalues (Jacobi)", () => {
  test("agree with mathjs eigs and with the spectrum a quadratic was built from", () => {
    const spectrum = [3, 1.5, 0.2, -0.4, 0.05];
    const quadratic = quadraticWithSpectrum(spectrum, 21);
    const values = symmetricEigenvalues(quadratic.hessian, 5);
    expect(maxDifference(values, [...spectrum].sort((x, y) => x - y))).toBeLessThan(1e-12);
    const rows = Array.from({ length: 5 }, (_, a) => Array.from(quadratic.hessian.subarray(a * 5, (a + 1) * 5)));
    const reference = (eigs(rows).values as unknown as number[]).map(Number).sort((x, y) => x - y);
    expect(maxDifference(values, reference)).toBeLessThan(1e-12);
  });
});
