import { describe, expect, test } from "@jest/globals";
import { learningRateAt } from "./schedule.js";

describe("learning-rate schedules (SPEC 4.1)", () => {
  test("piecewise drops by 10 at 50% and by 100 at 75%; cosine follows 0.5 + 0.5 cos(pi t/E)", () => {
    expect([0, 49.9, 50, 74.9, 75, 99].map((t) => learningRateAt("piecewise", 0.1, t, 100))).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    expect(learningRateAt("cosine", 0.1, 50, 100)).toBeCloseTo(0.05, 12);
    expect(learningRateAt("cosine", 0.1, 100, 100)).toBeCloseTo(0, 12);
    expect(learningRateAt("constant", 0.02, 77, 100)).toBe(0.02);
  });
});
