import { describe, expect, test } from "@jest/globals";
import { matrix, multiply as matMultiply, pinv } from "mathjs";
import { SeededRandom } from "@sam-repro/runtime";
import { DiagNetTrainer, initialState, predictor } from "./diag-net.js";
import {
  distance,
  effectiveInitSquared,
  hyperbolicEntropy,
  hyperbolicEntropyGradient,
  minimumEntropyInterpolator,
  norm,
} from "./hyperbolic-entropy.js";
import { generateSparseRegression, multiply } from "./problem.js";

const problem = generateSparseRegression({ n: 8, d: 12, r: 2, nTest: 10, seed: 4 });

/** A basis of the null space of X from its pseudo-inverse: columns of I - X^+ X projected from random vectors. */
function nullSpaceDirection(seed: number): Float64Array {
  const { n, d, X } = problem;
  const rows = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * d, (i + 1) * d)));
  const plus = pinv(matrix(rows));
  const random = new SeededRandom(seed);
  const z = Array.from({ length: d }, () => random.normal());
  const projected = matMultiply(plus, matMultiply(matrix(rows), z)).toArray() as number[];
  return Float64Array.from(z, (value, j) => value - projected[j]!);
}

describe("hyperbolic entropy phi_a", () => {
  test("its gradient arcsinh(2 beta / a^2) matches finite differences", () => {
    const beta = Float64Array.of(0.3, -1.2, 0, 2.5);
    const aSquared = Float64Array.of(0.01, 0.5, 1, 0.002);
    const gradient = hyperbolicEntropyGradient(beta, aSquared);
    for (let j = 0; j < beta.length; j++) {
      const plus = Float64Array.from(beta);
      const minus = Float64Array.from(beta);
      plus[j]! += 1e-6;
      minus[j]! -= 1e-6;
      const numeric = (hyperbolicEntropy(plus, aSquared) - hyperbolicEntropy(minus, aSquared)) / 2e-6;
      expect(numeric).toBeCloseTo(gradient[j]!, 5);
    }
    expect(hyperbolicEntropy(new Float64Array(4), aSquared)).toBeCloseTo(0, 15);
  });
});

describe("minimumEntropyInterpolator", () => {
  test.each([1e-4, 0.01, 1])("interpolates and satisfies the KKT conditions (a^2 = %s)", (scale) => {
    const aSquared = new Float64Array(problem.d).fill(scale);
    const result = minimumEntropyInterpolator(problem.X, problem.y, aSquared);
    const residual = multiply(problem.X, problem.n, problem.d, result.beta).map((value, i) => value - problem.y[i]!);
    expect(norm(residual)).toBeLessThan(1e-10);
    // phi is minimal on the feasible set: moving along the null space of X only increases it.
    const phi = hyperbolicEntropy(result.beta, aSquared);
    for (const seed of [1, 2, 3]) {
      const direction = nullSpaceDirection(seed);
      for (const step of [1e-3, -1e-3, 0.05]) {
        const moved = result.beta.map((value, j) => value + step * direction[j]!);
        expect(hyperbolicEntropy(moved, aSquared)).toBeGreaterThan(phi);
      }
    }
  });

  test("large a gives the minimum-l2-norm interpolator X^+ y; small a gives a sparser (smaller l1) solution", () => {
    const { n, d, X, y } = problem;
    const rows = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * d, (i + 1) * d)));
    const minimumNorm = Float64Array.from(matMultiply(pinv(matrix(rows)), Array.from(y)).toArray() as number[]);
    const wide = minimumEntropyInterpolator(X, y, new Float64Array(d).fill(1e4)).beta;
    expect(distance(wide, minimumNorm) / norm(minimumNorm)).toBeLessThan(1e-4);
    const narrow = minimumEntropyInterpolator(X, y, new Float64Array(d).fill(1e-8)).beta;
    const l1 = (beta: Float64Array) => beta.reduce((sum, value) => sum + Math.abs(value), 0);
    expect(l1(narrow)).toBeLessThan(l1(minimumNorm));
    // With n >= 2r samples the sparse planted beta* is recovered as a goes to 0 (compressed sensing regime).
    expect(distance(narrow, problem.betaStar!)).toBeLessThan(0.05);
  });

  test("rejects a non-positive scale with a message naming the coordinate", () => {
    const aSquared = new Float64Array(problem.d).fill(1);
    aSquared[3] = -0.1;
    expect(() => minimumEntropyInterpolator(problem.X, problem.y, aSquared)).toThrow(/a\^2\[3\] = -0\.1/);
  });

  test("gradient descent at a small step converges to argmin phi_{a_eff} with a_eff^2 = u^2 - v^2 (SPEC 2.1)", () => {
    const trainer = new DiagNetTrainer(problem);
    const run = trainer.run(initialState(problem.d, 0.2), { method: "gd", gamma: 0.02, iterations: 60000 });
    expect(run.trainLoss).toBeLessThan(1e-12);
    const aSquared = effectiveInitSquared(run.u, run.v);
    const beta = predictor(run);
    const atEffective = distance(beta, minimumEntropyInterpolator(problem.X, problem.y, aSquared).beta);
    const atAlpha = distance(beta, minimumEntropyInterpolator(problem.X, problem.y, new Float64Array(problem.d).fill(0.04)).beta);
    expect(atEffective).toBeLessThan(1e-4);
    expect(atEffective).toBeLessThan(atAlpha);
  });
});
