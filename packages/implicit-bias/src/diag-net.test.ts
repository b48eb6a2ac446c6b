import { describe, expect, test } from "@jest/globals";
import { SeededRandom } from "@sam-repro/runtime";
import { Float64Sam, type Float64GradientOracle } from "@sam-repro/sam";
import { DiagNetTrainer, initialState, recordSchedule, type DiagNetState } from "./diag-net.js";
import { generateSparseRegression, type RegressionProblem } from "./problem.js";

const tiny = generateSparseRegression({ n: 4, d: 5, r: 2, nTest: 6, seed: 11 });
const small = generateSparseRegression({ n: 20, d: 30, r: 3, nTest: 100, seed: 0 });

/** A generic non-initial point, so that no gradient vanishes by symmetry. */
function randomState(d: number, seed: number, scale = 0.5): DiagNetState {
  const random = new SeededRandom(seed);
  return { u: Float64Array.from({ length: d }, () => scale * random.normal()), v: Float64Array.from({ length: d }, () => scale * random.normal()) };
}

/** l_k(u, v) = r_k^2 / 2 for one example, written out directly. */
function exampleLoss(problem: RegressionProblem, k: number, u: Float64Array, v: Float64Array): number {
  let prediction = 0;
  for (let j = 0; j < problem.d; j++) prediction += problem.X[k * problem.d + j]! * u[j]! * v[j]!;
  return (prediction - problem.y[k]!) ** 2 / 2;
}

function fullLoss(problem: RegressionProblem, u: Float64Array, v: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < problem.n; k++) sum += exampleLoss(problem, k, u, v);
  return sum / problem.n;
}

/** Central finite differences of f over (u, v), returned as [grad_u; grad_v]. */
function finiteDifference(f: (u: Float64Array, v: Float64Array) => number, state: DiagNetState, h = 1e-6): Float64Array {
  const d = state.u.length;
  const gradient = new Float64Array(2 * d);
  for (let p = 0; p < 2 * d; p++) {
    const plus = { u: Float64Array.from(state.u), v: Float64Array.from(state.v) };
    const minus = { u: Float64Array.from(state.u), v: Float64Array.from(state.v) };
    const target = p < d ? "u" : "v";
    plus[target][p % d]! += h;
    minus[target][p % d]! -= h;
    gradient[p] = (f(plus.u, plus.v) - f(minus.u, minus.v)) / (2 * h);
  }
  return gradient;
}

/** The update direction of one step: (old - new) / gamma, as [u; v]. */
function stepDirection(trainer: DiagNetTrainer, state: DiagNetState, options: Parameters<DiagNetTrainer["run"]>[1]): Float64Array {
  const after = trainer.run(state, { ...options, iterations: 1 });
  const d = state.u.length;
  return Float64Array.from({ length: 2 * d }, (_, p) =>
    p < d ? (state.u[p]! - after.u[p]!) / options.gamma : (state.v[p - d]! - after.v[p - d]!) / options.gamma,
  );
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1e-12, ...Array.from(expected, Math.abs));
  for (let i = 0; i < actual.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(relative * scale);
}

describe("gradients against finite differences", () => {
  const trainer = new DiagNetTrainer(tiny);
  const state = randomState(tiny.d, 1);

  test("GD moves along grad L = (g*v, g*u) with g = X^T r / n", () => {
    const direction = stepDirection(trainer, state, { method: "gd", gamma: 1, iterations: 1 });
    expectClose(direction, finiteDifference((u, v) => fullLoss(tiny, u, v), state), 1e-7);
  });

  test("n-SAM moves along grad L at (u + rho grad_u L, v + rho grad_v L)", () => {
    const rho = 0.3;
    const gradient = finiteDifference((u, v) => fullLoss(tiny, u, v), state);
    const perturbed = {
      u: state.u.map((value, j) => value + rho * gradient[j]!),
      v: state.v.map((value, j) => value + rho * gradient[tiny.d + j]!),
    };
    const direction = stepDirection(trainer, state, { method: "nsam", gamma: 0.5, rho, iterations: 1 });
    expectClose(direction, finiteDifference((u, v) => fullLoss(tiny, u, v), perturbed), 1e-6);
  });

  test("1-SAM moves along (1/n) sum_k grad l_k at (u, v) + 2 rho grad l_k (the official factor 2)", () => {
    const rho = 0.2;
    const expected = new Float64Array(2 * tiny.d);
    for (let k = 0; k < tiny.n; k++) {
      const loss = (u: Float64Array, v: Float64Array) => exampleLoss(tiny, k, u, v);
      const ascent = finiteDifference(loss, state);
      const perturbed = {
        u: state.u.map((value, j) => value + 2 * rho * ascent[j]!),
        v: state.v.map((value, j) => value + 2 * rho * ascent[tiny.d + j]!),
      };
      finiteDifference(loss, perturbed).forEach((value, p) => (expected[p]! += value / tiny.n));
    }
    const direction = stepDirection(trainer, state, { method: "1sam", gamma: 0.5, rho, iterations: 1 });
    expectClose(direction, expected, 1e-6);
  });

  test("SGD moves along grad l_i of the sampled example (no 1/n)", () => {
    const seed = 5;
    const example = new SeededRandom(seed).integer(tiny.n);
    const direction = stepDirection(trainer, state, { method: "sgd", gamma: 0.5, seed, iterations: 1 });
    expectClose(direction, finiteDifference((u, v) => exampleLoss(tiny, example, u, v), state), 1e-7);
  });
});

describe("method identities and other implementations", () => {
  test("n-SAM with rho = 0 equals GD", () => {
    const trainer = new DiagNetTrainer(small);
    const gd = trainer.run(initialState(small.d, 0.1), { method: "gd", gamma: 0.3, iterations: 500 });
    const nSam = trainer.run(initialState(small.d, 0.1), { method: "nsam", gamma: 0.3, rho: 0, iterations: 500 });
    expect(Array.from(nSam.u)).toEqual(Array.from(gd.u));
    expect(Array.from(nSam.v)).toEqual(Array.from(gd.v));
  });

  /** 1-SAM exactly as the official per-example loop: perturb, evaluate r~_k, accumulate, then step. */
  function directOneSam(problem: RegressionProblem, start: DiagNetState, gamma: number, rho: number, steps: number, derivativeOnly = false) {
    const { n, d, X, y } = problem;
    let u = Float64Array.from(start.u);
    let v = Float64Array.from(start.v);
    for (let t = 0; t < steps; t++) {
      const gradU = new Float64Array(d);
      const gradV = new Float64Array(d);
      for (let k = 0; k < n; k++) {
        const x = X.subarray(k * d, (k + 1) * d);
        let prediction = 0;
        for (let j = 0; j < d; j++) prediction += x[j]! * u[j]! * v[j]!;
        const r = prediction - y[k]!;
        const uTilde = u.map((value, j) => value + 2 * rho * r * x[j]! * v[j]!);
        const vTilde = v.map((value, j) => value + 2 * rho * r * x[j]! * u[j]!);
        let perturbedPrediction = 0;
        for (let j = 0; j < d; j++) perturbedPrediction += x[j]! * uTilde[j]! * vTilde[j]!;
        const rTilde = perturbedPrediction - y[k]!;
        for (let j = 0; j < d; j++) {
          gradU[j]! += (rTilde * (derivativeOnly ? v[j]! : vTilde[j]!) * x[j]!) / n;
          gradV[j]! += (rTilde * (derivativeOnly ? u[j]! : uTilde[j]!) * x[j]!) / n;
        }
      }
      u = u.map((value, j) => value - gamma * gradU[j]!);
      v = v.map((value, j) => value - gamma * gradV[j]!);
    }
    return { u, v };
  }

  test.each([false, true])("the fused 1-SAM step matches the direct per-example loop (lossDerivativeOnly %s)", (derivativeOnly) => {
    const trainer = new DiagNetTrainer(tiny);
    const start = randomState(tiny.d, 2);
    const fused = trainer.run(start, { method: "1sam", gamma: 0.05, rho: 0.3, iterations: 40, lossDerivativeOnly: derivativeOnly });
    const direct = directOneSam(tiny, start, 0.05, 0.3, 40, derivativeOnly);
    expectClose(fused.u, direct.u, 1e-12);
    expectClose(fused.v, direct.v, 1e-12);
  });

  /** Mean loss r_i^2 / 2 over `indices` and its gradient in params = [u; v], for the generic optimizer. */
  function diagNetOracle(problem: RegressionProblem): Float64GradientOracle {
    const { n, d, X, y } = problem;
    return (params, indices, gradientOut) => {
      gradientOut.fill(0);
      const count = indices ? indices.length : n;
      let loss = 0;
      for (let index = 0; index < count; index++) {
        const k = indices ? indices[index]! : index;
        let prediction = 0;
        for (let j = 0; j < d; j++) prediction += X[k * d + j]! * params[j]! * params[d + j]!;
        const r = prediction - y[k]!;
        loss += (r * r) / 2;
        for (let j = 0; j < d; j++) {
          gradientOut[j]! += (r * X[k * d + j]! * params[d + j]!) / count;
          gradientOut[d + j]! += (r * X[k * d + j]! * params[j]!) / count;
        }
      }
      return loss / count;
    };
  }

  test.each([
    ["n-SAM = generic USAM on the full batch", "nsam" as const, 0.1, {}],
    ["1-SAM = generic USAM with sub-batches of 1 and rho = 2 rho_code", "1sam" as const, 0.2, { subBatchSize: 1, exampleCount: tiny.n }],
  ])("%s (Float64Sam from @sam-repro/sam)", (_name, method, genericRho, extra) => {
    const start = randomState(tiny.d, 3);
    const gamma = 0.05;
    const steps = 25;
    const ours = new DiagNetTrainer(tiny).run(start, { method, gamma, rho: 0.1, iterations: steps });
    expect(ours.diverged).toBe(false);
    const params = new Float64Array(2 * tiny.d);
    params.set(start.u, 0);
    params.set(start.v, tiny.d);
    const generic = new Float64Sam(2 * tiny.d, diagNetOracle(tiny), { variant: "usam", rho: genericRho, ...extra });
    for (let t = 0; t < steps; t++) generic.step(params, null, gamma);
    expectClose(ours.u, params.subarray(0, tiny.d), 1e-12);
    expectClose(ours.v, params.subarray(tiny.d), 1e-12);
  });

  test("SGD follows the examples drawn by SeededRandom(seed).integer(n)", () => {
    const trainer = new DiagNetTrainer(tiny);
    const start = randomState(tiny.d, 4);
    const ours = trainer.run(start, { method: "sgd", gamma: 0.1, seed: 9, iterations: 30 });
    const sampler = new SeededRandom(9);
    const u = Float64Array.from(start.u);
    const v = Float64Array.from(start.v);
    for (let t = 0; t < 30; t++) {
      const k = sampler.integer(tiny.n);
      const gradient = finiteDifference((uu, vv) => exampleLoss(tiny, k, uu, vv), { u, v });
      for (let j = 0; j < tiny.d; j++) {
        u[j]! -= 0.1 * gradient[j]!;
        v[j]! -= 0.1 * gradient[tiny.d + j]!;
      }
    }
    expectClose(ours.u, u, 1e-6);
    expectClose(ours.v, v, 1e-6);
  });

  test("GD options follow the official formulas (wd, balancedness with v's indicator on the updated u, normalized GD, thresholds)", () => {
    const trainer = new DiagNetTrainer(tiny);
    const start = randomState(tiny.d, 6);
    const options = { gamma: 0.2, weightDecay: 0.01, balancedness: 0.02, normalizedGd: true, thresholds: [1, 3] };
    const ours = trainer.run(start, { method: "gd", iterations: 6, ...options });
    let u = Float64Array.from(start.u);
    let v = Float64Array.from(start.v);
    let gamma = options.gamma;
    for (let i = 0; i < 6; i++) {
      const gradient = finiteDifference((uu, vv) => fullLoss(tiny, uu, vv), { u, v });
      let gradU = gradient.slice(0, tiny.d);
      let gradV = gradient.slice(tiny.d);
      const normU = Math.hypot(...gradU);
      const normV = Math.hypot(...gradV);
      if (normU > 0 && normV > 0) {
        gradU = gradU.map((value) => value / normU);
        gradV = gradV.map((value) => value / normV);
      }
      const newU = u.map((value, j) => value - gamma * gradU[j]! - 0.01 * value - 0.02 * value * (Math.abs(value) > Math.abs(v[j]!) ? 1 : -1));
      v = v.map((value, j) => value - gamma * gradV[j]! - 0.01 * value - 0.02 * value * (Math.abs(value) > Math.abs(newU[j]!) ? 1 : -1));
      u = newU;
      if (options.thresholds.includes(i)) gamma /= 2;
    }
    expectClose(ours.u, u, 1e-7);
    expectClose(ours.v, v, 1e-7);
  });

  test("options that the official code does not combine are rejected", () => {
    const trainer = new DiagNetTrainer(tiny);
    const start = initialState(tiny.d, 0.1);
    expect(() => trainer.run(start, { method: "nsam", gamma: 0.1, iterations: 1, weightDecay: 0.1 })).toThrow(/gd only/);
    expect(() => trainer.run(start, { method: "gd", gamma: 0.1, iterations: 1, lossDerivativeOnly: true })).toThrow(/1sam only/);
    expect(() => trainer.run(start, { method: "gd", gamma: -1, iterations: 1 })).toThrow(/gamma/);
  });
});

describe("conserved and shrinking quantity u^2 - v^2 (SPEC 2.2)", () => {
  test("GD conserves u^2 - v^2 (gradient flow's invariant) up to a drift that vanishes linearly in gamma", () => {
    const trainer = new DiagNetTrainer(small);
    const start = initialState(small.d, 0.3);
    // The same flow time gamma * iterations = 3 at two step sizes.
    const drift = (gamma: number) => {
      const run = trainer.run(start, { method: "gd", gamma, iterations: Math.round(3 / gamma) });
      expect(run.trainLoss).toBeLessThan(trainer.trainLoss(start) / 2);
      return Math.max(...Array.from(run.u, (u, j) => Math.abs(u ** 2 - run.v[j]! ** 2 - 0.09) / 0.09));
    };
    const coarse = drift(1e-2);
    const fine = drift(1e-3);
    expect(fine).toBeLessThan(1e-3);
    expect(fine / coarse).toBeGreaterThan(0.05);
    expect(fine / coarse).toBeLessThan(0.2);
  });

  test.each([
    ["gd", 0],
    ["sgd", 0],
    ["nsam", 0.2],
    ["1sam", 0.1],
  ] as const)("%s: log(a_eff^2 / alpha^2) equals the sum of the closed-form per-step factors", (method, rho) => {
    const trainer = new DiagNetTrainer(small);
    const alpha = 0.1;
    const run = trainer.run(initialState(small.d, alpha), { method, gamma: 0.15, rho, iterations: 3000, trackShrink: true, seed: 1 });
    expect(run.diverged).toBe(false);
    for (let j = 0; j < small.d; j++) {
      const measured = Math.log((run.u[j]! ** 2 - run.v[j]! ** 2) / alpha ** 2);
      expect(Math.abs(measured - run.shrink!.discreteLogFactor[j]!)).toBeLessThan(1e-9);
      expect(measured).toBeLessThanOrEqual(1e-12);
    }
  });
});

describe("divergence and recording", () => {
  test("a diverging run stops early and is reported as diverged, without throwing", () => {
    const trainer = new DiagNetTrainer(small);
    const run = trainer.run(initialState(small.d, 1), { method: "gd", gamma: 50, iterations: 10000, recordAt: recordSchedule(10000) });
    expect(run.diverged).toBe(true);
    expect(run.steps).toBeLessThan(10000);
    expect(Number.isFinite(run.trainLoss)).toBe(false);
    expect(Number.isNaN(run.testLoss)).toBe(true);
    expect(run.curve.step[run.curve.step.length - 1]!).toBeLessThanOrEqual(run.steps);
  });

  test("losses are recorded at the requested steps and match a direct evaluation", () => {
    const trainer = new DiagNetTrainer(small);
    const run = trainer.run(initialState(small.d, 0.1), { method: "1sam", gamma: 0.1, rho: 0.05, iterations: 50, recordAt: [0, 10, 50] });
    expect(run.curve.step).toEqual([0, 10, 50]);
    expect(run.curve.trainLoss[2]).toBeCloseTo(fullLoss(small, run.u, run.v), 14);
    expect(run.curve.trainLoss[0]).toBeCloseTo(fullLoss(small, initialState(small.d, 0.1).u, initialState(small.d, 0.1).v), 14);
    expect(run.testLoss).toBe(run.curve.testLoss[2]);
  });

  test("recordSchedule: the notebook's steps 1..500 plus round(logspace(0, log10 T, 201)), and 0 and T", () => {
    const schedule = recordSchedule(10000);
    expect(schedule.slice(0, 501)).toEqual(Array.from({ length: 501 }, (_, t) => t));
    expect(schedule).toContain(10000);
    expect(schedule).toContain(Math.round(10 ** (4 * 150 / 200)));
    expect(new Set(schedule).size).toBe(schedule.length);
    expect([...schedule].sort((a, b) => a - b)).toEqual(schedule);
  });
});
