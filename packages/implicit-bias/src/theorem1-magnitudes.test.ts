import { describe, expect, test } from "@jest/globals";
import { multiply, type RegressionProblem } from "./problem.js";
import { firstOrderDelta, l1Norm, measuredDelta, theorem1Magnitudes, type ShrinkRun } from "./theorem1-magnitudes.js";

/** Rows 1..n of the Sylvester-Hadamard matrix of order d (entries +-1, X X^T = d I): every x_kj^2 = 1. */
function hadamardProblem(n: number, d: number): RegressionProblem {
  const X = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let bits = (i + 1) & j;
      let parity = 0;
      while (bits) {
        parity ^= bits & 1;
        bits >>= 1;
      }
      X[i * d + j] = parity ? -1 : 1;
    }
  }
  const betaStar = new Float64Array(d);
  betaStar[0] = 0.6;
  betaStar[3] = 0.8;
  return { n, d, nTest: 1, X, y: multiply(X, n, d, betaStar), Xtest: X.slice(0, d), ytest: multiply(X, 1, d, betaStar), betaStar };
}

describe("Theorem 1's magnitudes: how Delta is measured", () => {
  test("measuredDelta subtracts GD's log-shrink and divides by -2 rho; firstOrderDelta divides the flow exponent", () => {
    const run = { logRatio: [-0.4, -0.1], flowExponent: [-0.3, -0.2] } as ShrinkRun;
    const gd = { logRatio: [-0.1, -0.1] } as ShrinkRun;
    const measured = measuredDelta(run, gd, 0.5);
    expect(measured[0]).toBeCloseTo(0.3, 14);
    expect(measured[1]).toBeCloseTo(0, 14);
    const firstOrder = firstOrderDelta(run, 0.5);
    expect(firstOrder[0]).toBeCloseTo(0.3, 14);
    expect(firstOrder[1]).toBeCloseTo(0.2, 14);
    expect(l1Norm([1, -2, 0.5])).toBe(3.5);
  });

  test("rows of a Hadamard matrix (X X^T = d I, x_kj^2 = 1): 1-SAM's Delta is uniform, 2 int L ds, and the ratio is n", () => {
    const problem = hadamardProblem(8, 32);
    const result = theorem1Magnitudes(problem, { alpha: 0.1, rho: 0.004, gamma: 0.05, iterations: 6000 });
    expect(result.diverged).toBe(false);
    expect(result.lateShare).toBeLessThan(1e-3);
    // First order: Delta_1,j = int (1/n) sum_k r_k^2 ds = 2 int L ds on every coordinate (SPEC 2.2, x_kj^2 = 1).
    const uniform = 2 * result.integratedLoss.oneSam;
    for (const delta of result.deltaOneSam) expect(Math.abs(delta / uniform - 1)).toBeLessThan(0.05);
    expect(Math.abs(result.oneSamConstant / 2 - 1)).toBeLessThan(0.05);
    // ||grad L||^2 = ||X^T r||^2 / n^2 = (2 d / n) L, so ||Delta_n||_1 = (2 d / n) int L ds and the ratio is n.
    expect(Math.abs(result.nSamConstant / 2 - 1)).toBeLessThan(0.05);
    expect(Math.abs(result.firstOrderRatio / 8 - 1)).toBeLessThan(0.05);
    expect(Math.abs(result.ratio / 8 - 1)).toBeLessThan(0.05);
    for (const delta of result.deltaNSam) expect(delta).toBeGreaterThan(-1e-6);
  });
});
