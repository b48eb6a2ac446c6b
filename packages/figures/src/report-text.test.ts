import { describe, expect, test } from "@jest/globals";
import { divergedInText, formatNumber, formatValue, forReaders, roundNumbersInText, withoutInternalReferences } from "./report-text.js";

describe("numbers for people", () => {
  test("at most 3 significant digits, exponents for very small and very large values, integers kept", () => {
    expect(formatNumber(0.0012)).toBe("0.0012");
    expect(formatNumber(66.116666)).toBe("66.1");
    expect(formatNumber(0.000123456)).toBe("1.23e-4");
    expect(formatNumber(1.2e-25)).toBe("1.2e-25");
    expect(formatNumber(31_415_926.5)).toBe("3.14e7");
    expect(formatNumber(10001)).toBe("10001");
    expect(formatNumber(Number.NaN)).toBe("diverged");
    expect(formatNumber(Number.POSITIVE_INFINITY)).toContain("diverged");
    // Every output parses back to the input within half a unit in the third significant digit.
    for (const value of [0.0123456, 987.654, 4.4444e-7, 123456.7]) {
      expect(Math.abs(Number(formatNumber(value)) - value) / value).toBeLessThanOrEqual(0.005);
    }
  });

  test("decimals in prose are rounded to 3 significant digits; versions, identifiers and short numbers are left alone", () => {
    expect(roundNumbersInText("ERM 66.1166% ± 1.66 pp, SE 0.6234")).toBe("ERM 66.1% ± 1.66 pp, SE 0.623");
    expect(roundNumbersInText("tfjs 4.22.0 on resnet18 w8, 1695/1695 runs, 2.4321e-3")).toBe("tfjs 4.22.0 on resnet18 w8, 1695/1695 runs, 2.43e-3");
    expect(roundNumbersInText("seed 0 0.0000 nats")).toBe("seed 0 0 nats");
    expect(roundNumbersInText("64.00%")).toBe("64.0%");
    expect(roundNumbersInText("(64.86%..68.00%), 12.3456x")).toBe("(64.9%..68.0%), 12.3x");
  });

  test("NaN and Infinity become 'diverged'", () => {
    expect(divergedInText("median Infinityx (range Infinityx to Infinityx over 5 seeds)")).toBe("median diverged (range diverged to diverged over 5 seeds)");
    expect(divergedInText("ERM → 1-SAM diverged (NaN/Inf) on 5 of 5 seeds; seed 0: NaN")).toBe("ERM → 1-SAM diverged on 5 of 5 seeds; seed 0: diverged");
    expect(divergedInText("Information on NaNs and Infinite sets")).toBe("Information on NaNs and Infinite sets");
    expect(formatValue(null)).toBe("—");
    expect(formatValue(Number.NaN)).toBe("diverged");
  });
});

describe("no internal references", () => {
  test("spec sections, notebook panel codes and candidate numbers are removed, the rest of the sentence kept", () => {
    expect(withoutInternalReferences("much smaller (SPEC 2.2, derived)")).toBe("much smaller (derived)");
    expect(withoutInternalReferences("converges (SPEC 2.4)")).toBe("converges");
    expect(withoutInternalReferences("Line: SPEC 2.4's boundary. No paper figure.")).toBe("Line: the boundary. No paper figure.");
    expect(withoutInternalReferences("loss vs radius (notebook D4 and D2)")).toBe("loss vs radius");
    expect(withoutInternalReferences("1-SAM's test loss decreases (D4: gamma = 15/d, alpha = 0.1).")).toBe("1-SAM's test loss decreases (gamma = 15/d, alpha = 0.1).");
    expect(withoutInternalReferences("exp(-2 rho g) (n-SAM), SPEC 2.2")).toBe("exp(-2 rho g) (n-SAM)");
    expect(withoutInternalReferences("No paper figure (candidate for Fig. 11).")).toBe("No paper figure.");
    expect(withoutInternalReferences("(1/n) sum_i r_i x_i^2 (1-SAM)")).toBe("(1/n) sum_i r_i x_i^2 (1-SAM)");
  });

  test("forReaders applies all three", () => {
    const text = forReaders("diverged (NaN/Inf) at rho = 0.9 (SPEC 3.5); ratio 12.3456x");
    expect(text).toBe("diverged at rho = 0.9; ratio 12.3x");
    expect(text).not.toMatch(/SPEC|NaN|Inf/);
  });
});
