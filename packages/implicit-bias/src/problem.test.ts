import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "@jest/globals";
import { InputError } from "@sam-repro/runner";
import { generateSparseRegression, multiply, parseProblem, squaredLoss } from "./problem.js";
import { loadProblemFile } from "./problem-file.js";

describe("generateSparseRegression", () => {
  test("beta* is unit-norm, non-negative and r-sparse, and y = X beta* without noise", () => {
    const problem = generateSparseRegression({ n: 20, d: 30, r: 3, nTest: 50, seed: 7 });
    const beta = problem.betaStar!;
    expect(Math.hypot(...beta)).toBeCloseTo(1, 12);
    expect(beta.every((value) => value >= 0)).toBe(true);
    expect(beta.slice(3).every((value) => value === 0)).toBe(true);
    expect(beta.slice(0, 3).every((value) => value > 0)).toBe(true);
    expect(squaredLoss(problem.X, problem.y, beta)).toBe(0);
    expect(squaredLoss(problem.Xtest, problem.ytest, beta)).toBe(0);
    expect(problem.X).toHaveLength(20 * 30);
    expect(problem.Xtest).toHaveLength(50 * 30);
  });

  test("rows are standard normal: sample mean near 0 and variance near 1", () => {
    const { Xtest } = generateSparseRegression({ n: 2, d: 10, r: 1, nTest: 2000, seed: 3 });
    const mean = Xtest.reduce((sum, value) => sum + value, 0) / Xtest.length;
    const variance = Xtest.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Xtest.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  test("the same seed gives the same problem, another seed a different one", () => {
    const options = { n: 5, d: 4, r: 2, nTest: 3 };
    expect(generateSparseRegression({ ...options, seed: 1 })).toEqual(generateSparseRegression({ ...options, seed: 1 }));
    expect(generateSparseRegression({ ...options, seed: 2 }).X).not.toEqual(generateSparseRegression({ ...options, seed: 1 }).X);
  });

  test("rejects r > d with a message naming r", () => {
    expect(() => generateSparseRegression({ n: 5, d: 4, r: 5, nTest: 3, seed: 0 })).toThrow(/^r: /);
  });
});

describe("parseProblem", () => {
  const valid = { X: [[1, 2], [3, 4], [5, 6]], y: [1, 2, 3], Xtest: [[1, 0]], ytest: [0.5] };

  test("converts a valid problem to row-major arrays", () => {
    const problem = parseProblem(valid, "p.json");
    expect(problem).toMatchObject({ n: 3, d: 2, nTest: 1 });
    expect(Array.from(problem.X)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(multiply(problem.X, 3, 2, Float64Array.of(1, 1)))).toEqual([3, 7, 11]);
  });

  test.each([
    ["a ragged X", { ...valid, X: [[1, 2], [3], [5, 6]] }, /p\.json: X\[1\]: ragged matrix: row has 1 entries, row 0 has 2/],
    ["a ragged Xtest", { ...valid, Xtest: [[1, 0], [1, 2, 3]] }, /p\.json: Xtest\[1\]: ragged/],
    ["y shorter than X", { ...valid, y: [1, 2] }, /p\.json: y: has 2 entries, expected 3 \(the number of rows of X\)/],
    ["ytest longer than Xtest", { ...valid, ytest: [1, 2] }, /p\.json: ytest: has 2 entries, expected 1/],
    ["Xtest with other columns", { ...valid, Xtest: [[1, 2, 3]] }, /p\.json: Xtest: rows have 3 entries but rows of X have 2/],
    ["a non-number entry", { ...valid, X: [[1, "2"], [3, 4], [5, 6]] }, /p\.json: X\[0\]\[1\]: expected a finite number, got "2"/],
    ["a missing field", { X: valid.X, y: valid.y, Xtest: valid.Xtest }, /p\.json: ytest: missing/],
    ["an unknown field", { ...valid, Z: 1 }, /p\.json: unknown field\(s\) Z/],
    ["an empty X", { ...valid, X: [] }, /p\.json: X: expected a non-empty array of rows/],
  ])("rejects %s with a message naming the field", (_name, raw, message) => {
    expect(() => parseProblem(raw, "p.json")).toThrow(InputError);
    expect(() => parseProblem(raw, "p.json")).toThrow(message);
  });

  test("loadProblemFile reads a file and names it in errors", () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), "implicit-bias-problem-"));
    const good = path.join(directory, "good.json");
    writeFileSync(good, JSON.stringify(valid));
    expect(loadProblemFile(good).n).toBe(3);
    const broken = path.join(directory, "broken.json");
    writeFileSync(broken, "{ not json");
    expect(() => loadProblemFile(broken)).toThrow(/broken\.json: not valid JSON/);
    expect(() => loadProblemFile(path.join(directory, "missing.json"))).toThrow(/--problem: file not found/);
  });
});
