import { describe, expect, test } from "@jest/globals";
import { formatSignificant, summarize } from "./summary.js";

describe("summaries of per-seed numbers", () => {
  test("leave out null and non-finite values; the std is the sample std (n - 1)", () => {
    expect(summarize([1, Number.NaN, null, 3, Number.POSITIVE_INFINITY])).toEqual({ mean: 2, std: Math.SQRT2, min: 1, max: 3, n: 2, values: [1, 3] });
    const none = summarize([Number.NaN]);
    expect(none.mean).toBeNaN();
    expect(none.n).toBe(0);
  });

  test("numbers print in 3 significant digits, in exponent form outside [1e-3, 1e4)", () => {
    expect(formatSignificant(0.000123456)).toBe("1.23e-4");
    expect(formatSignificant(12.3456)).toBe("12.3");
    expect(formatSignificant(Math.log(10))).toBe("2.3");
    expect(formatSignificant(123456)).toBe("1.23e+5");
    expect(formatSignificant(0)).toBe("0");
    expect(formatSignificant(Number.POSITIVE_INFINITY)).toBe("Infinity");
  });
});
