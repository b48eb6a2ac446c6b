import { describe, expect, test } from "@jest/globals";
import type { ExperimentConfig } from "@sam-repro/runner";
import type { RunResult } from "../training/run-store.js";
import { trainConfigSchema } from "../training/config.js";
import { chanceError, finalTestError, judgeErrors } from "./common.js";
import { runOutcome } from "./fig12-label-noise.js";

function result(status: "completed" | "diverged", testError: number | null, dataset: "cifar10" | "cifar100" = "cifar10"): RunResult {
  return {
    status,
    config: trainConfigSchema.parse({ dataset }),
    final: status === "completed" ? ({ testError } as RunResult["final"]) : null,
  } as RunResult;
}

// A claim whose rule is fixed in the config: the candidate improves on the baseline (paired one-sided t, alpha 0.05).
const improvesConfig = {
  id: "test-figure",
  claims: [{ id: "candidate-better", rule: { id: "paired-t-improves", alpha: 0.05, margin: 0.002, radius: "holm" } }],
} as unknown as ExperimentConfig<unknown>;

describe("final test error of a diverged run", () => {
  test("counts at the chance level 1 - 1/K of its dataset, a missing run stays null", () => {
    expect(chanceError("cifar10")).toBeCloseTo(0.9, 12);
    expect(chanceError("cifar100")).toBeCloseTo(0.99, 12);
    expect(finalTestError(result("diverged", null))).toBeCloseTo(0.9, 12);
    expect(finalTestError(result("diverged", null, "cifar100"))).toBeCloseTo(0.99, 12);
    expect(finalTestError(result("completed", 0.42))).toBe(0.42);
    expect(finalTestError(undefined)).toBeNull();
    // Fig. 12 reads the same rule: chance-level final test error, the other final values stay NaN.
    const noisy = runOutcome(0, result("diverged", null), 0.5);
    expect(noisy.finalTestError).toBeCloseTo(0.9, 12);
    expect(noisy.finalNoisyError).toBeNaN();
  });

  test("a radius whose seeds all diverged is judged (worse than the baseline), not dropped from the Holm family", () => {
    const baseline = [0.45, 0.46, 0.44].map((e) => finalTestError(result("completed", e)));
    const helps = [0.42, 0.425, 0.41].map((e) => finalTestError(result("completed", e)));
    const blownUp = [0, 1, 2].map(() => finalTestError(result("diverged", null)));
    const judgement = judgeErrors(improvesConfig, "candidate-better", [
      { baseline, candidate: helps, radius: 0.1 },
      { baseline, candidate: blownUp, radius: 0.8 },
    ]);
    // Three seeds at each radius: the diverged radius is a real comparison (differences -0.45, -0.46, -0.44).
    expect(judgement.text).toMatch(/rho 0\.8: .*-4[456]/);
    expect(judgement.verdict).toBe("holds");
    const onlyDiverged = judgeErrors(improvesConfig, "candidate-better", [
      { baseline, candidate: blownUp, radius: 0.8 },
      { baseline, candidate: blownUp, radius: 0.9 },
    ]);
    expect(onlyDiverged.verdict).toBe("does not hold");
  });
});
