import { describe, expect, test } from "@jest/globals";
import { logLogSlope } from "./log-log-slope.js";

describe("logLogSlope", () => {
  test("y = c x^k gives the slope k for any c > 0", () => {
    const xs = [1, 3, 10, 30, 100, 1000];
    for (const k of [-2, -0.73, -0.5, 0, 0.25, 1, 3]) {
      for (const c of [1e-6, 0.4, 5, 2e3]) expect(logLogSlope(xs, xs.map((x) => c * x ** k))).toBeCloseTo(k, 10);
    }
  });

  test("two points give (log y2 - log y1) / (log x2 - log x1) exactly", () => {
    expect(logLogSlope([2, 8], [3, 12])).toBeCloseTo(1, 14);
    expect(logLogSlope([10, 1000], [1, 1e-4])).toBeCloseTo(-2, 14);
  });

  test("points with a zero, negative, infinite or NaN coordinate are left out; under two usable points is NaN", () => {
    const xs = [1, 2, 4, 8];
    const ys = xs.map((x) => 7 * x ** -1.5);
    expect(logLogSlope([...xs, 0, 16, -3, 32, Number.NaN], [...ys, 5, 0, 1, Number.POSITIVE_INFINITY, 2])).toBeCloseTo(-1.5, 12);
    expect(logLogSlope([1], [1])).toBeNaN();
    expect(logLogSlope([1, 2], [1, -1])).toBeNaN();
    expect(logLogSlope([], [])).toBeNaN();
  });

  test("noisy points: the least-squares slope by the normal equations of log y = a + k log x", () => {
    const xs = [1, 2, 5, 10];
    const ys = [1, 2.2, 4.5, 11];
    const X = xs.map(Math.log);
    const Y = ys.map(Math.log);
    const n = xs.length;
    const sx = X.reduce((a, b) => a + b, 0);
    const sy = Y.reduce((a, b) => a + b, 0);
    const sxy = X.reduce((a, x, i) => a + x * Y[i]!, 0);
    const sxx = X.reduce((a, x) => a + x * x, 0);
    expect(logLogSlope(xs, ys)).toBeCloseTo((n * sxy - sx * sy) / (n * sxx - sx * sx), 12);
  });
});
