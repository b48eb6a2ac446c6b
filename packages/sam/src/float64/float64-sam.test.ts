import { describe, expect, test } from "@jest/globals";
import { Float64Sam, type Float64GradientOracle, type Float64SamOptions } from "./float64-sam.js";
import { diagonalQuadratic, leastSquares } from "./test-problems.js";

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-12) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tolerance * (1 + Math.abs(expected[i]!)));
};

// Quadratic 0.5 w^T diag(a) w - b^T w: the gradient at w + delta is g + a*delta.
const a = [1, 3, 0.5];
const b = [0.2, -1, 0.7];
const w0 = [0.5, 0.4, -1.2];
const quadratic = diagonalQuadratic(a, b);

function oneStep(options: Float64SamOptions, learningRate = 0.1, start = w0): Float64Array {
  const params = Float64Array.from(start);
  new Float64Sam(params.length, quadratic.oracle, options).step(params, null, learningRate);
  return params;
}

describe("Float64Sam on a quadratic equals the closed forms (SPEC 1.3)", () => {
  const g = quadratic.gradient(w0);
  const gNorm = norm(g);
  const lr = 0.1;
  const rho = 0.3;
  const descend = (delta: number[]) => w0.map((w, i) => w - lr * quadratic.gradient(w0.map((x, j) => x + delta[j]!))[i]!);

  test("SAM: w - lr * grad(w + rho g/||g||)", () => {
    close(oneStep({ variant: "sam", rho }, lr), descend(g.map((x) => (rho * x) / (gNorm + 1e-12))));
  });
  test("USAM: w - lr (I + rho A) g, and clipped USAM with rho g min(1, 1/||g||)", () => {
    close(oneStep({ variant: "usam", rho }, lr), w0.map((w, i) => w - lr * (1 + rho * a[i]!) * g[i]!));
    const clip = Math.min(1, 1 / gNorm);
    expect(gNorm).toBeGreaterThan(1); // so that the clipping acts
    close(oneStep({ variant: "usam", rho, usamClipToBall: true }, lr), descend(g.map((x) => rho * x * clip)));
  });
  test("ASAM: delta = rho T^2 g/||T g|| with T = |w| + eta", () => {
    const eta = 0.1;
    const t = w0.map((w) => Math.abs(w) + eta);
    const tg = norm(g.map((x, i) => t[i]! * x));
    close(oneStep({ variant: "asam", rho, asamEta: eta }, lr), descend(g.map((x, i) => (rho * t[i]! * t[i]! * x) / (tg + 1e-12))));
  });
  test("multi-step on an isotropic quadratic: two half steps and three projected full steps both give rho g/||g||", () => {
    const iso = diagonalQuadratic([2, 2, 2], b);
    const gi = iso.gradient(w0);
    const expected = w0.map((w, i) => w - lr * iso.gradient(w0.map((x, j) => x + (rho * gi[j]!) / norm(gi)))[i]!);
    for (const [ascentSteps, ascentStepSizeMultiplier] of [[2, 0.5], [3, 1]] as const) {
      const params = Float64Array.from(w0);
      new Float64Sam(3, iso.oracle, { variant: "sam", rho, ascentSteps, ascentStepSizeMultiplier }).step(params, null, lr);
      close(params, expected, 1e-9);
    }
  });
  test("multi-step on an anisotropic quadratic follows delta_{k+1} = P(delta_k + eta g_k/||g_k||)", () => {
    const eta = 0.8 * rho;
    let delta = [0, 0, 0];
    for (let k = 0; k < 3; k++) {
      const gk = quadratic.gradient(w0.map((w, i) => w + delta[i]!));
      delta = delta.map((d, i) => d + (eta * gk[i]!) / (norm(gk) + 1e-12));
      const size = norm(delta);
      if (size > rho) delta = delta.map((d) => (d * rho) / size);
    }
    expect(norm(delta)).toBeCloseTo(rho, 12); // the projection was active
    close(oneStep({ variant: "sam", rho, ascentSteps: 3, ascentStepSizeMultiplier: 0.8 }, lr), descend(delta));
  });
  test("one ascent step with multiplier 1 is standard SAM", () => {
    close(oneStep({ variant: "sam", rho, ascentSteps: 1, ascentStepSizeMultiplier: 1 }), oneStep({ variant: "sam", rho }), 0);
  });
  test("rho = 0 reproduces plain gradient descent exactly", () => {
    for (const variant of ["sam", "usam", "asam"] as const) {
      expect(Array.from(oneStep({ variant, rho: 0 }))).toEqual(Array.from(oneStep({ variant: "sgd" })));
    }
  });
  test("heavy-ball momentum as torch.optim.SGD: b <- mu b + g, w <- w - lr b", () => {
    const params = Float64Array.from(w0);
    const sam = new Float64Sam(3, quadratic.oracle, { variant: "sgd", momentum: 0.9 });
    const expected = [...w0];
    const buffer = [0, 0, 0];
    for (let t = 0; t < 4; t++) {
      sam.step(params, null, lr);
      const gt = quadratic.gradient(expected);
      for (let i = 0; i < 3; i++) {
        buffer[i] = 0.9 * buffer[i]! + gt[i]!;
        expected[i] = expected[i]! - lr * buffer[i]!;
      }
    }
    close(params, expected);
  });
  test("weight decay: objective mode adds lambda*(w + delta) to both gradients, decoupled mode shrinks w by lr*lambda", () => {
    const lambda = 0.05;
    const withDecay = diagonalQuadratic(a.map((x) => x + lambda), b); // 0.5 lambda ||w||^2 folded into A
    const expected = Float64Array.from(w0);
    new Float64Sam(3, withDecay.oracle, { variant: "sam", rho }).step(expected, null, lr);
    close(oneStep({ variant: "sam", rho, weightDecay: lambda }), expected);
    const plain = oneStep({ variant: "sam", rho });
    close(oneStep({ variant: "sam", rho, weightDecay: lambda, weightDecayMode: "decoupled" }), plain.map((x, i) => x - lr * lambda * w0[i]!));
  });
  test("rho schedules: a function of (step, lr) and rhoPerLearningRate", () => {
    const seen: Array<[number, number]> = [];
    const params = Float64Array.from(w0);
    const scheduled = new Float64Sam(3, quadratic.oracle, { variant: "sam", rho: (step, lr2) => { seen.push([step, lr2]); return 0.1 * (step + 1); } });
    const reference = Float64Array.from(w0);
    for (let t = 0; t < 3; t++) {
      const result = scheduled.step(params, null, 0.05 * (t + 1));
      expect(result.perturbationNorm).toBeCloseTo(0.1 * (t + 1), 10);
      new Float64Sam(3, quadratic.oracle, { variant: "sam", rho: 0.1 * (t + 1) }).step(reference, null, 0.05 * (t + 1));
    }
    expect(seen).toEqual([[0, 0.05], [1, 0.1], [2, 0.15000000000000002]]);
    close(params, reference, 0);
    const proportional = new Float64Sam(3, quadratic.oracle, { variant: "sam", rhoPerLearningRate: 2 });
    expect(proportional.step(Float64Array.from(w0), null, 0.1).perturbationNorm).toBeCloseTo(0.2, 10);
  });
});

describe("Float64Sam on per-example least squares", () => {
  const n = 12;
  const d = 4;
  const problem = leastSquares(n, d, 7);
  const batch = Int32Array.from([3, 7, 1, 0, 11, 5, 8, 2]);
  const start = Float64Array.from([0.3, -0.2, 0.5, 0.1]);
  const lr = 0.05;
  const rho = 0.2;

  test("m-SAM with m = batch size equals standard SAM", () => {
    const standard = Float64Array.from(start);
    const withM = Float64Array.from(start);
    const first = new Float64Sam(d, problem.oracle, { variant: "sam", rho, momentum: 0.9 });
    const second = new Float64Sam(d, problem.oracle, { variant: "sam", rho, momentum: 0.9, subBatchSize: batch.length });
    for (let t = 0; t < 3; t++) {
      first.step(standard, batch, lr);
      second.step(withM, batch, lr);
    }
    expect(Array.from(withM)).toEqual(Array.from(standard));
  });

  test("1-SAM equals an explicit per-example loop; 4-SAM averages sub-batch SAM gradients", () => {
    const params = Float64Array.from(start);
    const result = new Float64Sam(d, problem.oracle, { variant: "sam", rho, subBatchSize: 1 }).step(params, batch, lr);
    const update = new Float64Array(d);
    let loss = 0;
    for (const i of batch) {
      const gi = problem.exampleGradient(start, i);
      const gn = norm(gi);
      const perturbed = start.map((w, j) => w + (rho * gi[j]!) / (gn + 1e-12));
      const descent = problem.exampleGradient(perturbed, i);
      for (let j = 0; j < d; j++) update[j]! += descent[j]! / batch.length;
      loss += (0.5 * (gn / norm(problem.features[i]!)) ** 2) / batch.length;
    }
    close(params, start.map((w, j) => w - lr * update[j]!));
    expect(result.loss).toBeCloseTo(loss, 12);
    expect(result.perturbationNorm).toBeCloseTo(rho, 12);

    // 4-SAM: the mean over two halves of single-sub-batch SAM steps.
    const halves = [batch.subarray(0, 4), batch.subarray(4, 8)];
    const expected = new Float64Array(d);
    for (const half of halves) {
      const moved = Float64Array.from(start);
      new Float64Sam(d, problem.oracle, { variant: "sam", rho }).step(moved, Int32Array.from(half), lr);
      for (let j = 0; j < d; j++) expected[j]! += moved[j]! / 2;
    }
    const fourSam = Float64Array.from(start);
    new Float64Sam(d, problem.oracle, { variant: "sam", rho, subBatchSize: 4 }).step(fourSam, batch, lr);
    close(fourSam, expected);
  });

  test("a full batch (null) splits into sub-batches when exampleCount is given", () => {
    const viaNull = Float64Array.from(start);
    const viaIndices = Float64Array.from(start);
    new Float64Sam(d, problem.oracle, { variant: "sam", rho, subBatchSize: 3, exampleCount: n }).step(viaNull, null, lr);
    const all = Int32Array.from({ length: n }, (_, i) => i);
    new Float64Sam(d, problem.oracle, { variant: "sam", rho, subBatchSize: 3 }).step(viaIndices, all, lr);
    expect(Array.from(viaNull)).toEqual(Array.from(viaIndices));
    expect(() => new Float64Sam(d, problem.oracle, { variant: "sam", subBatchSize: 3 }).step(Float64Array.from(start), null, lr)).toThrow(/exampleCount/);
  });

  test("n-SAM: the perturbation depends on the ascent batch only, not on the descent batch", () => {
    const ascent = Int32Array.from([9, 10, 4, 6]);
    const descentPoint = (descentBatch: Int32Array, ascentBatch: Int32Array | null) => {
      const points: Float64Array[] = [];
      const recording: Float64GradientOracle = (params, indices, out) => {
        if (indices !== null && indices.length === descentBatch.length && indices.every((v, k) => v === descentBatch[k])) points.push(Float64Array.from(params));
        return problem.oracle(params, indices, out);
      };
      new Float64Sam(d, recording, { variant: "sam", rho, computeLoss: false }).step(Float64Array.from(start), descentBatch, lr, ascentBatch);
      expect(points).toHaveLength(1);
      return Array.from(points[0]!);
    };
    const first = descentPoint(batch.subarray(0, 4), ascent);
    const second = descentPoint(batch.subarray(4, 8), ascent);
    expect(second).toEqual(first);
    expect(descentPoint(batch.subarray(0, 4), Int32Array.from([0, 1, 2, 3]))).not.toEqual(first);
    // The full-batch ascent (null) is the full-batch SAM direction.
    const full = new Float64Array(d);
    problem.oracle(start, null, full);
    close(descentPoint(batch.subarray(0, 4), null), start.map((w, j) => w + (rho * full[j]!) / (norm(full) + 1e-12)));
  });

  test("n-SAM reports the loss at w on the descent batch (one extra oracle call)", () => {
    const gradient = new Float64Array(d);
    const expectedLoss = problem.oracle(start, batch, gradient);
    const result = new Float64Sam(d, problem.oracle, { variant: "sam", rho }).step(Float64Array.from(start), batch, lr, Int32Array.from([1, 2]));
    expect(result.loss).toBeCloseTo(expectedLoss, 14);
  });

  test("random perturbations: norm about sigma*sqrt(d), gradient at w + eps, reproducible by seed", () => {
    const big = leastSquares(20, 400, 3);
    const sigma = 0.01;
    const run = (seed: number) => {
      const params = new Float64Array(400).fill(0.01);
      const result = new Float64Sam(400, big.oracle, { variant: "random", randomSigma: sigma, seed }).step(params, null, 0.1);
      return { params, result };
    };
    const first = run(1);
    expect(first.result.perturbationNorm).toBeGreaterThan(0.9 * sigma * 20);
    expect(first.result.perturbationNorm).toBeLessThan(1.1 * sigma * 20);
    expect(Array.from(run(1).params)).toEqual(Array.from(first.params));
    expect(Array.from(run(2).params)).not.toEqual(Array.from(first.params));
  });

  test("save / load / resume gives the same weights as an uninterrupted run (momentum and random stream)", () => {
    for (const options of [
      { variant: "sam", rho, momentum: 0.9, subBatchSize: 4 },
      { variant: "random", randomSigma: 0.05, momentum: 0.9, seed: 5 },
    ] as Float64SamOptions[]) {
      const uninterrupted = Float64Array.from(start);
      const reference = new Float64Sam(d, problem.oracle, options);
      for (let t = 0; t < 6; t++) reference.step(uninterrupted, batch, lr);

      const resumed = Float64Array.from(start);
      const before = new Float64Sam(d, problem.oracle, options);
      for (let t = 0; t < 3; t++) before.step(resumed, batch, lr);
      const saved = JSON.parse(JSON.stringify(before.getState()));
      const after = new Float64Sam(d, problem.oracle, options);
      after.setState(saved);
      for (let t = 0; t < 3; t++) after.step(resumed, batch, lr);
      expect(Array.from(resumed)).toEqual(Array.from(uninterrupted));
      expect(after.getState()).toEqual(reference.getState());
    }
  });

  test("samEnabled = false takes plain gradient steps with the same momentum buffer", () => {
    const switching = Float64Array.from(start);
    const sam = new Float64Sam(d, problem.oracle, { variant: "sam", rho, momentum: 0.9 });
    sam.samEnabled = false;
    sam.step(switching, batch, lr);
    const plain = Float64Array.from(start);
    new Float64Sam(d, problem.oracle, { variant: "sgd", momentum: 0.9 }).step(plain, batch, lr);
    expect(Array.from(switching)).toEqual(Array.from(plain));
  });

  test("sub-batch index buffers are reused across steps (no per-step allocation)", () => {
    const seen = new Set<Int32Array>();
    const recording: Float64GradientOracle = (params, indices, out) => {
      if (indices && indices !== batch) seen.add(indices);
      return problem.oracle(params, indices, out);
    };
    const sam = new Float64Sam(d, recording, { variant: "sam", rho, subBatchSize: 2 });
    const params = Float64Array.from(start);
    for (let t = 0; t < 5; t++) sam.step(params, batch, lr);
    expect(seen.size).toBe(1);
  });
});

describe("Float64Sam rejects bad options with the option, the value and the allowed values", () => {
  const oracle = diagonalQuadratic(a, b).oracle;
  const make = (options: object) => () => new Float64Sam(3, oracle, options as Float64SamOptions);
  test.each([
    [{ variant: "foo" }, 'variant: unknown "foo"; allowed: sgd, sam, usam, asam, random'],
    [{ variant: "sam", rho: -1 }, "rho: must be >= 0, got -1"],
    [{ variant: "sam", subBatchSize: 0 }, "subBatchSize: must be an integer >= 1, got 0"],
    [{ variant: "sam", ascentSteps: 1.5 }, "ascentSteps: must be an integer >= 1, got 1.5"],
    [{ variant: "sam", weightDecayMode: "l2" }, 'weightDecayMode: unknown "l2"; allowed: objective, decoupled'],
    [{ variant: "random" }, "randomSigma: required when variant is \"random\""],
    [{ variant: "sam", rho: 0.1, rhoPerLearningRate: 1 }, "rho, rhoPerLearningRate: give one of them, not both"],
    [{ variant: "sam", rhoo: 0.1 }, 'Float64Sam options: unknown option "rhoo"; allowed: variant, rho'],
    [{ variant: "sam", momentum: -0.1 }, "momentum: must be >= 0, got -0.1"],
  ])("%j", (options, message) => {
    expect(make(options)).toThrow(message);
  });
  test("subBatchSize that does not divide the batch, and a negative scheduled rho", () => {
    const sam = new Float64Sam(3, oracle, { variant: "sam", subBatchSize: 3 });
    expect(() => sam.step(Float64Array.from(w0), new Int32Array(8), 0.1)).toThrow("subBatchSize: 3 does not divide the batch size 8");
    const scheduled = new Float64Sam(3, oracle, { variant: "sam", rho: () => -2 });
    expect(() => scheduled.step(Float64Array.from(w0), null, 0.1)).toThrow("rho(step 0, learningRate 0.1): must be >= 0, got -2");
    expect(() => sam.step(Float64Array.from(w0), null, -1)).toThrow("learningRate: must be >= 0, got -1");
  });
});
