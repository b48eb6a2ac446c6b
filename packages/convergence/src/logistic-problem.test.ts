import { describe, expect, test } from "@jest/globals";
import { SeededRandom } from "@sam-repro/runtime";
import { regularizerCurvature } from "./logistic-problem.js";
import { syntheticLogistic } from "./test-problems.js";

const problem = syntheticLogistic(60, 6, 1);
const d = problem.dimension;
const random = new SeededRandom(2);
const point = () => random.fillNormal(new Float64Array(d), 1.5) as Float64Array;
const shifted = (w: Float64Array, v: Float64Array, h: number) => w.map((value, j) => value + h * v[j]!);

describe("non-convex logistic regression (SPEC 2.4 problem)", () => {
  test("the oracle's gradient matches central finite differences, full batch and mini-batch", () => {
    const w = point();
    for (const indices of [null, Int32Array.of(3, 3, 17, 40)]) {
      const gradient = new Float64Array(d);
      problem.oracle(w, indices, gradient);
      const scratch = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        const e = new Float64Array(d);
        e[j] = 1;
        const difference = (problem.oracle(shifted(w, e, 1e-6), indices, scratch) - problem.oracle(shifted(w, e, -1e-6), indices, scratch)) / 2e-6;
        expect(Math.abs(difference - gradient[j]!)).toBeLessThan(1e-8);
      }
    }
  });

  test("evaluate() gives the loss, ||grad L||^2 and the per-example gradient variance of its definition", () => {
    const w = point();
    const gradient = new Float64Array(d);
    const loss = problem.oracle(w, null, gradient);
    const evaluation = problem.evaluate(w);
    expect(evaluation.loss).toBeCloseTo(loss, 12);
    expect(evaluation.gradientNormSquared).toBeCloseTo(gradient.reduce((sum, g) => sum + g * g, 0), 12);
    let variance = 0;
    const example = new Float64Array(d);
    for (let i = 0; i < problem.exampleCount; i++) {
      problem.exampleGradient(w, i, example);
      for (let j = 0; j < d; j++) variance += (example[j]! - gradient[j]!) ** 2 / problem.exampleCount;
    }
    expect(evaluation.gradientVariance).toBeCloseTo(variance, 12);
  });

  test("the Hessian matches finite differences of the gradient", () => {
    const w = point();
    const hessian = problem.hessian(w);
    const plus = new Float64Array(d);
    const minus = new Float64Array(d);
    for (let b = 0; b < d; b++) {
      const e = new Float64Array(d);
      e[b] = 1;
      problem.evaluate(shifted(w, e, 1e-5), plus);
      problem.evaluate(shifted(w, e, -1e-5), minus);
      for (let a = 0; a < d; a++) expect(Math.abs((plus[a]! - minus[a]!) / 2e-5 - hessian[a * d + b]!)).toBeLessThan(1e-7);
    }
  });

  test("every example loss is beta-smooth with the certified beta (directional second differences)", () => {
    const beta = problem.certifiedSmoothness();
    const plus = new Float64Array(d);
    const minus = new Float64Array(d);
    let largest = 0;
    for (let trial = 0; trial < 200; trial++) {
      const w = point();
      const v = point();
      const length = Math.hypot(...v);
      const i = random.integer(problem.exampleCount);
      problem.exampleGradient(shifted(w, v, 1e-5 / length), i, plus);
      problem.exampleGradient(shifted(w, v, -1e-5 / length), i, minus);
      const curvature = Math.hypot(...plus.map((value, j) => (value - minus[j]!) / 2e-5));
      largest = Math.max(largest, curvature);
    }
    expect(largest).toBeLessThanOrEqual(beta);
  });

  test("the regularizer w^2/(1+w^2) is concave beyond 1/sqrt(3): the problem is non-convex", () => {
    for (const w of [0, 0.3, 0.577, 0.6, 2]) {
      const f = (x: number) => (x * x) / (1 + x * x);
      const second = (f(w + 1e-4) - 2 * f(w) + f(w - 1e-4)) / 1e-8;
      expect(regularizerCurvature(w)).toBeCloseTo(second, 5);
    }
    expect(regularizerCurvature(0.6)).toBeLessThan(0);
    expect(regularizerCurvature(0)).toBe(2);
  });

  test("USAM's expected b = 1 direction is grad L + rho (H grad L + C_1) + O(rho^2)", () => {
    const w = point();
    const gradient = new Float64Array(d);
    problem.evaluate(w, gradient);
    const hessian = problem.hessian(w);
    const covariance = problem.usamCovarianceTerm(w);
    const firstOrder = (rho: number) =>
      gradient.map((g, a) => {
        let hg = 0;
        for (let b = 0; b < d; b++) hg += hessian[a * d + b]! * gradient[b]!;
        return g + rho * (hg + covariance[a]!);
      });
    const errors = [0.02, 0.01].map((rho) => {
      const exact = problem.meanFieldUsamDirection(w, rho, new Float64Array(d));
      const approximate = firstOrder(rho);
      return Math.hypot(...exact.map((value, j) => value - approximate[j]!));
    });
    // Halving rho divides an O(rho^2) remainder by 4.
    expect(errors[0]! / errors[1]!).toBeGreaterThan(3.5);
    expect(errors[0]! / errors[1]!).toBeLessThan(4.5);
  });

  test("C_1 = (1/n) sum_i H_i (g_i - g) with the per-example Hessians written out", () => {
    const w = point();
    const covariance = problem.usamCovarianceTerm(w);
    const mean = new Float64Array(d);
    problem.evaluate(w, mean);
    const example = new Float64Array(d);
    const plus = new Float64Array(d);
    const minus = new Float64Array(d);
    const direct = new Float64Array(d);
    for (let i = 0; i < problem.exampleCount; i++) {
      problem.exampleGradient(w, i, example);
      const deviation = example.map((value, j) => value - mean[j]!);
      // H_i (g_i - g) by a central difference of grad l_i along the deviation.
      problem.exampleGradient(shifted(w, deviation, 1e-5), i, plus);
      problem.exampleGradient(shifted(w, deviation, -1e-5), i, minus);
      for (let j = 0; j < d; j++) direct[j]! += (plus[j]! - minus[j]!) / 2e-5 / problem.exampleCount;
    }
    // The regularizer's Hessian is common to all examples and its term averages to zero (sum of deviations = 0).
    for (let j = 0; j < d; j++) expect(Math.abs(direct[j]! - covariance[j]!)).toBeLessThan(1e-7);
  });
});
