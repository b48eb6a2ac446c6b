import { describe, expect, test } from "@jest/globals";
import type { ExperimentConfig } from "@sam-repro/runner";
import type { DiagNetRun } from "../diag-net.js";
import { multiply } from "../problem.js";
import { lateLogLogSlope } from "./fig6-diag-net.js";
import { drawsClaim, notebookProblem } from "./shared.js";

describe("the notebook's own data (tools/make-notebook-data.py)", () => {
  test("has the notebook's sizes, a sparse unit-norm non-negative beta*, noiseless targets and NumPy's seed-0 stream", () => {
    const problem = notebookProblem({ n: 20, d: 30, r: 3, nTest: 1000 })!;
    expect(problem).not.toBeNull();
    expect([problem.n, problem.d, problem.nTest]).toEqual([20, 30, 1000]);
    // np.random.seed(0); np.random.randn(...) starts 1.7640523, 0.4001572, 0.9787380, 2.2408932 (NumPy's documented stream).
    expect(Array.from(problem.X.slice(0, 4))).toEqual([1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458]);
    const beta = problem.betaStar!;
    expect(Array.from(beta).filter((value) => value !== 0).length).toBe(3);
    expect(Array.from(beta.slice(0, 3)).every((value) => value > 0)).toBe(true);
    expect(Math.hypot(...beta)).toBeCloseTo(1, 14);
    const y = multiply(problem.X, problem.n, problem.d, beta);
    y.forEach((value, i) => expect(value).toBeCloseTo(problem.y[i]!, 12));
    const ytest = multiply(problem.Xtest, problem.nTest, problem.d, beta);
    expect(Math.max(...ytest.map((value, i) => Math.abs(value - problem.ytest[i]!)))).toBeLessThan(1e-12);
  });

  test("other sizes (e.g. a smoke test set) get no notebook draw", () => {
    expect(notebookProblem({ n: 20, d: 30, r: 3, nTest: 200 })).toBeNull();
  });
});

function runWithCurve(steps: number[], loss: (t: number) => number, diverged = false): DiagNetRun {
  const trainLoss = steps.map(loss);
  return { method: "gd", u: new Float64Array(), v: new Float64Array(), steps: steps[steps.length - 1]!, diverged, trainLoss: trainLoss.at(-1)!, testLoss: 0, curve: { step: steps, trainLoss, testLoss: trainLoss } };
}

describe("rates of the train loss (Fig. 6)", () => {
  test("the late log-log slope of a power law is its exponent, measured over the last decade", () => {
    const steps = [0, ...Array.from({ length: 61 }, (_, k) => Math.round(10 ** (k / 10)))];
    expect(lateLogLogSlope(runWithCurve(steps, (t) => 3 * Math.max(t, 1) ** -2))).toBeCloseTo(-2, 10);
    // A curve that changes exponent: only the last decade counts.
    const bent = (t: number) => (t <= 1e5 ? Math.max(t, 1) ** -1 : 1e-5 * (t / 1e5) ** -4);
    expect(lateLogLogSlope(runWithCurve(steps, bent))).toBeCloseTo(-4, 10);
  });

  test("a diverged run or a non-positive loss has no rate", () => {
    const steps = [1, 10, 100];
    expect(lateLogLogSlope(runWithCurve(steps, (t) => 1 / t, true))).toBeNaN();
    expect(lateLogLogSlope(runWithCurve(steps, () => 0))).toBeNaN();
  });
});

describe("claims over data draws", () => {
  const rule = { id: "fraction-of-draws", quantity: "event", draws: 20, holdsAtLeast: 0.8, failsBelow: 0.5 } as const;
  const config = { file: "toy.json", profile: "cpu", settings: {}, claims: [{ id: "c", statement: "s", paperValue: null, rule }] } as unknown as ExperimentConfig<unknown>;
  const draws = (k: number) => Array.from({ length: 20 }, (_, i) => i < k);

  test("the verdict comes from the generated draws only; the notebook's outcome is shown beside it", () => {
    const holds = drawsClaim(config, "c", { heldPerDraw: draws(17), notebook: { held: false, value: "ratio 0.9x" }, ourValue: "v", details: "d" });
    expect(holds.verdict).toBe("holds");
    expect(holds.rule).toEqual(rule);
    expect(holds.ourValue).toBe("17 of 20 draws; notebook data (NumPy seed 0): does not hold (ratio 0.9x); v");
    expect(drawsClaim(config, "c", { heldPerDraw: draws(13), notebook: null, ourValue: "v", details: "d" }).verdict).toBe("inconclusive");
    expect(drawsClaim(config, "c", { heldPerDraw: draws(3), notebook: { held: true, value: "x" }, ourValue: "v", details: "d" }).verdict).toBe("does not hold");
  });
});
