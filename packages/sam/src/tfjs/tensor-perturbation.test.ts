import { describe, expect, test } from "@jest/globals";
import * as tf from "@tensorflow/tfjs";
import { GLOBAL_NORM, ascend, globalNorm, perturbedWeights, projectOntoBall, projectionCanMove, type AscentSettings, type PerturbationNorm } from "./tensor-perturbation.js";

tf.setBackend("cpu");

const base: AscentSettings = { variant: "sam", ascentSteps: 1, stepSize: 0.1, rho: 0.1, epsilon: 1e-12, project: true, asamScale: null };

/** Gradients of the quadratic L(w) = 0.5 sum_i a_i w_i^2 at w + delta, w fixed: a (w + delta). */
function quadratic(w: number[][], a: number[][]) {
  return (delta: readonly tf.Tensor[] | null) => w.map((wi, i) => tf.mul(tf.tensor1d(a[i]!), delta ? tf.add(tf.tensor1d(wi), delta[i]!) : tf.tensor1d(wi)));
}

const values = (ts: readonly tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

describe("projectionCanMove", () => {
  test("only one normalized step of size <= rho from 0 stays inside the ball by construction", () => {
    expect(projectionCanMove(base)).toBe(false);
    expect(projectionCanMove({ ...base, variant: "asam" })).toBe(false);
    expect(projectionCanMove({ ...base, stepSize: 0.2 })).toBe(true);
    expect(projectionCanMove({ ...base, ascentSteps: 3 })).toBe(true);
    expect(projectionCanMove({ ...base, variant: "usam" })).toBe(true);
    expect(projectionCanMove({ ...base, variant: "usam", project: false })).toBe(false);
  });
});

describe("ascend", () => {
  const w = [[1, -2, 0.5], [3, 0.25]];
  const a = [[1, 2, 3], [0.5, 4]];

  test("one SAM step: delta = rho g/(||g|| + eps) (closed form), its size is ||delta||, and projecting would not move it", () => {
    tf.tidy(() => {
      const { delta, size } = ascend(base, quadratic(w, a));
      const g = w.map((wi, i) => wi.map((x, j) => a[i]![j]! * x));
      const gNorm = Math.hypot(...g.flat());
      values(delta).forEach((d, i) => d.forEach((x, j) => expect(x).toBeCloseTo((0.1 * g[i]![j]!) / gNorm, 6)));
      expect(size.dataSync()[0]).toBeCloseTo(globalNorm(delta).dataSync()[0]!, 6);
      const projected = projectOntoBall(delta, base.rho, null);
      values(projected).forEach((p, i) => p.forEach((x, j) => expect(x).toBeCloseTo(values(delta)[i]![j]!, 7)));
    });
  });

  test("one ASAM step stays inside {||delta / T|| <= rho} without the projection", () => {
    tf.tidy(() => {
      const asamScale = w.map((wi) => tf.add(tf.abs(tf.tensor1d(wi)), 0.01));
      const { delta } = ascend({ ...base, variant: "asam", asamScale }, quadratic(w, a));
      const scaled = globalNorm(delta.map((d, i) => tf.div(d, asamScale[i]!))).dataSync()[0]!;
      expect(scaled).toBeLessThanOrEqual(base.rho * (1 + 1e-6));
      expect(scaled).toBeGreaterThan(base.rho * 0.999);
    });
  });

  test("three steps of size 2 rho: each step is projected back onto the sphere, and the size is measured", () => {
    tf.tidy(() => {
      const settings = { ...base, ascentSteps: 3, stepSize: 0.2 };
      const seen: number[] = [];
      const { delta, size } = ascend(settings, (current, step) => {
        seen.push(step);
        if (current) expect(globalNorm(current).dataSync()[0]).toBeCloseTo(settings.rho, 6);
        return quadratic(w, a)(current);
      });
      expect(seen).toEqual([0, 1, 2]);
      expect(size.dataSync()[0]).toBeCloseTo(settings.rho, 6);
      expect(globalNorm(delta).dataSync()[0]).toBeCloseTo(settings.rho, 6);
    });
  });

  test("USAM without the projection: delta = eta (g(0) + g(delta_1)) after two steps", () => {
    tf.tidy(() => {
      const settings = { ...base, variant: "usam" as const, ascentSteps: 2, project: false, stepSize: 0.05 };
      const { delta, size } = ascend(settings, quadratic(w, a));
      // delta_1 = eta a w; delta_2 = delta_1 + eta a (w + delta_1).
      const expected = w.map((wi, i) => wi.map((x, j) => {
        const d1 = 0.05 * a[i]![j]! * x;
        return d1 + 0.05 * a[i]![j]! * (x + d1);
      }));
      values(delta).forEach((d, i) => d.forEach((x, j) => expect(x).toBeCloseTo(expected[i]![j]!, 6)));
      expect(size.dataSync()[0]).toBeCloseTo(Math.hypot(...expected.flat()), 5);
    });
  });
});

describe("perturbedWeights", () => {
  const w = [[1, -2, 0.5], [3]];
  const a = [[1, 2, 3], [0.5]];
  const bases = () => w.map((wi) => tf.tensor1d(wi));
  let fusedCalls = 0;
  // A norm whose addScaled is counted: it must be used for one unprojected SAM step only.
  const counting: PerturbationNorm = { ...GLOBAL_NORM, addScaled: (b, g, factor) => (fusedCalls++, tf.add(b, tf.mul(g, factor))) };

  test.each([
    ["one SAM step (fused)", base, 2],
    ["three projected SAM steps", { ...base, ascentSteps: 3, stepSize: 0.2 }, 0],
    ["USAM", { ...base, variant: "usam" as const, project: false }, 0],
  ])("%s: w + delta of ascend, with the same size", (_name, settings, fused) => {
    fusedCalls = 0;
    const expected = tf.tidy(() => {
      const { delta, size } = ascend(settings as AscentSettings, quadratic(w, a));
      return [...delta.map((d, i) => tf.add(bases()[i]!, d)), size];
    });
    const got = tf.tidy(() => {
      const { weights, size } = perturbedWeights(settings as AscentSettings, quadratic(w, a), bases(), counting);
      return [...weights, size];
    });
    expect(fusedCalls).toBe(fused);
    got.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(expected[i]!.dataSync())));
    tf.dispose([...expected, ...got]);
  });
});
