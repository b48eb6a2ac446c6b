import { describe, expect, test } from "@jest/globals";
import { splitTrainValidation } from "./split.js";

describe("45k/5k train/validation split", () => {
  test("the same seed gives the same split; the split is disjoint and covers every index", () => {
    const a = splitTrainValidation(50_000, 3);
    const b = splitTrainValidation(50_000, 3);
    expect(a.train).toEqual(b.train);
    expect(a.validation).toEqual(b.validation);
    expect(a.train.length).toBe(45_000);
    expect(a.validation.length).toBe(5_000);
    const seen = new Uint8Array(50_000);
    for (const index of [...a.train, ...a.validation]) seen[index]!++;
    expect(seen.every((count) => count === 1)).toBe(true);
  });

  test("different seeds give different validation sets", () => {
    const a = new Set(splitTrainValidation(50_000, 0).validation);
    const b = splitTrainValidation(50_000, 1).validation;
    const overlap = b.filter((index) => a.has(index)).length;
    // Two random 10% subsets overlap in ~10% of their elements.
    expect(overlap / b.length).toBeGreaterThan(0.07);
    expect(overlap / b.length).toBeLessThan(0.13);
  });

  test("a training subset is a prefix of the full training split, disjoint from validation", () => {
    const full = splitTrainValidation(50_000, 5);
    const subset = splitTrainValidation(50_000, 5, 5000, 1000);
    expect(subset.validation).toEqual(full.validation);
    expect(subset.train).toEqual(full.train.subarray(0, 1000));
    expect(() => splitTrainValidation(100, 0, 10, 91)).toThrow(/trainSize 91 is outside 1..90/);
  });
});
