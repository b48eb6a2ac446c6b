import { describe, expect, test } from "@jest/globals";
import { SeededRandom } from "@sam-repro/runtime";
import { NonconvexLogisticRegression } from "./logistic-problem.js";
import { NoisyQuadratic, generateNoisyQuadratic } from "./noisy-quadratic.js";
import { nonconvexBound, nonconvexSchedule, plBound, plSchedule } from "./paper-theorem2.js";
import { certifiedLogisticVariance, gaussianClasses } from "./synthetic-logistic.js";
import { exactNonconvexAverage, exactPlGaps, runScheduledUsam, type Theorem2Problem } from "./theorem2-runs.js";

describe("the paper's Theorem 2: schedules and bounds", () => {
  test("non-convex schedule and bound at T = 16, beta = 2", () => {
    expect(nonconvexSchedule(16, 2)).toEqual({ gamma: 1 / 8, rho: 1 / 4 });
    const bound = nonconvexBound(16, { beta: 2, sigma2: 3, initialGap: 5, batchSize: 6 });
    expect(bound.optimization).toBeCloseTo((4 * 2 * 5) / 4, 12);
    expect(bound.noise).toBeCloseTo((8 * 3) / (6 * 4), 12);
    expect(bound.total).toBeCloseTo(bound.optimization + bound.noise, 12);
  });

  test("PL schedule: capped at 1/(2 beta) early, (8t + 4)/(3 mu (t + 1)^2) later, rho = sqrt(gamma / beta)", () => {
    const mu = 0.1;
    const beta = 1;
    expect(plSchedule(0, mu, beta).gamma).toBe(0.5); // 4/(0.3) > 0.5
    const late = plSchedule(999, mu, beta);
    expect(late.gamma).toBeCloseTo((8 * 999 + 4) / (3 * mu * 1000 ** 2), 15);
    expect(late.rho).toBeCloseTo(Math.sqrt(late.gamma / beta), 15);
    // The cap binds until (8t+4)/(3 mu (t+1)^2) <= 1/(2 beta), i.e. for t below about 16 beta/(3 mu).
    const switchStep = Array.from({ length: 200 }, (_, t) => t).find((t) => plSchedule(t, mu, beta).gamma < 0.5)!;
    expect(Math.abs(switchStep - 16 / (3 * mu))).toBeLessThan(2);
  });

  test("PL bound at T = 10: 3 beta^2 gap/(mu^2 T^2) + 22 beta sigma^2/(mu^2 b T)", () => {
    const bound = plBound(10, 0.5, { beta: 2, sigma2: 1, initialGap: 4, batchSize: 2 });
    expect(bound.optimization).toBeCloseTo((3 * 4 * 4) / (0.25 * 100), 12);
    expect(bound.noise).toBeCloseTo((22 * 2 * 1) / (0.25 * 2 * 10), 12);
  });
});

describe("noisy quadratic: exact constants", () => {
  const quadratic = generateNoisyQuadratic({ dimension: 4, exampleCount: 12, mu: 0.2, beta: 2, centerSpread: 1.5, seed: 3 });
  const random = new SeededRandom(9);
  const point = () => random.fillNormal(new Float64Array(4), 2) as Float64Array;

  test("the oracle's gradient matches central finite differences of its loss", () => {
    const w = point();
    const gradient = new Float64Array(4);
    const indices = Int32Array.from([0, 5, 5, 11]);
    quadratic.oracle(w, indices, gradient);
    const scratch = new Float64Array(4);
    for (let j = 0; j < 4; j++) {
      const plus = Float64Array.from(w);
      const minus = Float64Array.from(w);
      plus[j]! += 1e-5;
      minus[j]! -= 1e-5;
      const difference = (quadratic.oracle(plus, indices, scratch) - quadratic.oracle(minus, indices, scratch)) / 2e-5;
      expect(gradient[j]).toBeCloseTo(difference, 6);
    }
  });

  test("sigma^2 equals (1/n) sum_i ||grad l_i - grad L||^2 at any w; L* = L(c_bar); PL with mu = min a_j holds", () => {
    for (let trial = 0; trial < 3; trial++) {
      const w = point();
      const full = new Float64Array(4);
      const fullLoss = quadratic.oracle(w, null, full);
      let variance = 0;
      const single = new Float64Array(4);
      for (let i = 0; i < quadratic.exampleCount; i++) {
        quadratic.oracle(w, Int32Array.of(i), single);
        for (let j = 0; j < 4; j++) variance += (single[j]! - full[j]!) ** 2 / quadratic.exampleCount;
      }
      expect(variance).toBeCloseTo(quadratic.sigma2, 10);
      const { gap, gradientNormSquared } = quadratic.evaluate(w);
      expect(fullLoss - quadratic.minimumLoss).toBeCloseTo(gap, 10);
      expect(0.5 * gradientNormSquared).toBeGreaterThanOrEqual(quadratic.mu * gap);
    }
    expect(quadratic.oracle(quadratic.minimizer, null, new Float64Array(4))).toBeCloseTo(quadratic.minimumLoss, 12);
    expect([quadratic.mu, quadratic.beta]).toEqual([0.2, 2]);
  });

  test("the moment recursion is the expectation of the stochastic runs (Monte Carlo, 3 standard errors)", () => {
    const small = new NoisyQuadratic(Float64Array.of(0.3, 1), Float64Array.of(1, 0, -1, 2, 0.5, -1, 2, 1, -2, -2));
    const problem: Theorem2Problem = { dimension: 2, exampleCount: 5, oracle: small.oracle, evaluate: (w) => small.evaluate(w) };
    const initial = Float64Array.of(3, -2);
    const horizons = [1, 5, 20];
    const schedule = (t: number) => ({ gamma: 0.4 / (1 + 0.1 * t), rho: 0.5 / (1 + t) });
    const runs = Array.from({ length: 3000 }, (_, seed) =>
      runScheduledUsam(problem, initial, schedule, { steps: 20, batchSize: 2, seed, evaluations: 1, recordGapAt: horizons }).gaps,
    );
    const moments = Float64Array.from(initial, (value, j) => (value - small.minimizer[j]!) ** 2);
    const exact: number[] = [];
    for (let t = 0; t <= 20; t++) {
      if (horizons.includes(t)) exact.push(small.expectedFromMoments(moments).gap);
      small.advanceMoments(moments, schedule(t).gamma, schedule(t).rho, 2);
    }
    horizons.forEach((_, index) => {
      const values = runs.map((gaps) => gaps[index]!);
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      const sd = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1));
      expect(Math.abs(mean - exact[index]!)).toBeLessThan((3 * sd) / Math.sqrt(values.length));
    });
  });

  test("exact left sides: the T = 1 values in closed form, and their decrease with T", () => {
    const initial = Float64Array.of(1, 1, 1, 1);
    // T = 1: the left side is ||grad L(w_0)||^2 and E[L(w_0)] - L* = L(w_0) - L*.
    expect(exactNonconvexAverage(quadratic, initial, 1, 3)).toBeCloseTo(quadratic.evaluate(initial).gradientNormSquared, 12);
    expect(exactPlGaps(quadratic, initial, [0], 3)[0]).toBeCloseTo(quadratic.evaluate(initial).gap, 12);
    // Both decrease with T on this problem.
    const averages = [10, 100, 1000].map((steps) => exactNonconvexAverage(quadratic, initial, steps, 3));
    expect(averages[1]!).toBeLessThan(averages[0]!);
    expect(averages[2]!).toBeLessThan(averages[1]!);
    const gaps = exactPlGaps(quadratic, initial, [100, 1000, 10000], 3);
    expect(gaps[2]! * 10000).toBeLessThan(gaps[1]! * 1000 * 1.5);
  });
});

describe("synthetic non-convex logistic regression: certified constants", () => {
  test("the certified sigma^2 bounds the per-example gradient variance at random points", () => {
    const data = gaussianClasses({ exampleCount: 60, features: 5, separation: 2, seed: 1 });
    const problem = new NonconvexLogisticRegression(data.features, data.labels, 0.01);
    const bound = certifiedLogisticVariance(data.features);
    const random = new SeededRandom(4);
    for (let trial = 0; trial < 5; trial++) {
      const w = random.fillNormal(new Float64Array(6), 3) as Float64Array;
      const measured = problem.evaluate(w).gradientVariance;
      expect(measured).toBeGreaterThan(0);
      expect(measured).toBeLessThanOrEqual(bound);
    }
    expect(data.labels.filter((label) => label === 1).length).toBe(30);
    expect(Array.from({ length: 60 }, (_, i) => data.features.values[i * 6 + 5])).toEqual(new Array(60).fill(1));
  });
});
