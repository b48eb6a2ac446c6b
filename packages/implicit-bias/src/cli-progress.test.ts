import { describe, expect, test } from "@jest/globals";
import { DiagNetTrainer, initialState, type DiagNetOptions } from "./diag-net.js";
import { generateSparseRegression } from "./problem.js";
import { runWithProgress } from "./cli.js";

// The progress bar of `diag-net` runs the training in chunks; the chunks must continue the run exactly.
describe("diag-net in chunks with a progress bar", () => {
  const problem = generateSparseRegression({ n: 20, d: 30, r: 3, nTest: 200, seed: 4 });
  const trainer = new DiagNetTrainer(problem);
  const start = initialState(problem.d, 0.1);
  const cases: DiagNetOptions[] = [
    { method: "gd", gamma: 0.05, iterations: 1234, thresholds: [0, 99, 100, 617, 1233], weightDecay: 1e-3, balancedness: 1e-3 },
    { method: "gd", gamma: 0.05, iterations: 1000, normalizedGd: true },
    { method: "nsam", gamma: 0.05, rho: 0.1, iterations: 1001 },
    { method: "1sam", gamma: 0.05, rho: 0.1, iterations: 999, lossDerivativeOnly: true },
  ];

  test.each(cases)("$method: bit-identical to one uninterrupted run, and every chunk reported", (options) => {
    const whole = trainer.run(start, options);
    const updates: number[] = [];
    const chunked = runWithProgress(trainer, start, options, (total) => {
      expect(total).toBe(options.iterations);
      return { update: (value) => updates.push(value), stop() {} };
    });
    expect(Array.from(chunked.u)).toEqual(Array.from(whole.u));
    expect(Array.from(chunked.v)).toEqual(Array.from(whole.v));
    expect(chunked.steps).toBe(whole.steps);
    expect(chunked.trainLoss).toBe(whole.trainLoss);
    expect(chunked.testLoss).toBe(whole.testLoss);
    // A bar only for runs estimated over 3 s: these take milliseconds, so nothing is shown.
    expect(updates).toEqual([]);
  });

  test("the bar appears for a long run, counts up to the total and ends there", () => {
    const options: DiagNetOptions = { method: "gd", gamma: 0.05, iterations: 500 };
    const updates: number[] = [];
    const slowTrainer = new DiagNetTrainer(problem);
    const run = slowTrainer.run.bind(slowTrainer);
    // Each chunk made to take 40 ms, so the whole run is estimated at 4 s.
    slowTrainer.run = (state, chunkOptions) => {
      const end = Date.now() + 40;
      while (Date.now() < end);
      return run(state, chunkOptions);
    };
    const chunked = runWithProgress(slowTrainer, start, options, () => ({ update: (value) => updates.push(value), stop() {} }));
    expect(updates.length).toBe(100);
    expect(updates.at(-1)).toBe(500);
    expect(updates).toEqual([...updates].sort((a, b) => a - b));
    expect(Array.from(chunked.u)).toEqual(Array.from(trainer.run(start, options).u));
  });

  test("a diverging run stops at the same step as the whole run", () => {
    const options: DiagNetOptions = { method: "gd", gamma: 50, iterations: 5000 };
    const whole = trainer.run(start, options);
    expect(whole.diverged).toBe(true);
    const chunked = runWithProgress(trainer, start, options, () => ({ update() {}, stop() {} }));
    expect(chunked.diverged).toBe(true);
    expect(chunked.steps).toBe(whole.steps);
  });
});
