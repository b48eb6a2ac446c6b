import { describe, expect, test } from "@jest/globals";
import {
  claimRuleSchema,
  holmRejections,
  judgeFraction,
  judgePaired,
  judgeThreshold,
  judgedClaim,
  oneSidedPValue,
  pairedDifferences,
  pairedStatistics,
  studentTCdf,
  studentTQuantile,
  tostPValue,
  type ClaimRule,
  type ExperimentConfig,
  type PairedRule,
} from "../index.js";

/** Published one-sided critical values t_{p, df} (standard tables, 6 decimals). */
const TABLE: Array<[number, number, number]> = [
  [0.95, 1, 6.313752], [0.95, 2, 2.919986], [0.95, 3, 2.353363], [0.95, 4, 2.131847], [0.95, 5, 2.015048],
  [0.95, 9, 1.833113], [0.95, 10, 1.812461], [0.95, 19, 1.729133], [0.95, 30, 1.697261], [0.95, 120, 1.657651],
  [0.975, 1, 12.706205], [0.975, 2, 4.302653], [0.975, 5, 2.570582], [0.975, 10, 2.228139], [0.975, 30, 2.042272],
  [0.99, 1, 31.820516], [0.99, 3, 4.540703], [0.99, 10, 2.763769], [0.995, 4, 4.604095],
];

/** P(T <= t) by Simpson's rule on theta = atan(t / sqrt(df)): the density becomes cos^(df-1) theta. */
function cdfByQuadrature(t: number, df: number): number {
  const integrate = (a: number, b: number) => {
    const steps = 20_000;
    const h = (b - a) / steps;
    let sum = 0;
    for (let i = 0; i <= steps; i++) sum += (i === 0 || i === steps ? 1 : i % 2 ? 4 : 2) * Math.cos(a + i * h) ** (df - 1);
    return (sum * h) / 3;
  };
  return integrate(-Math.PI / 2, Math.atan(t / Math.sqrt(df))) / integrate(-Math.PI / 2, Math.PI / 2);
}

describe("Student t", () => {
  test.each(TABLE)("quantile %p at df %p matches the table value %p", (p, df, expected) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 5);
    expect(studentTQuantile(1 - p, df)).toBeCloseTo(-expected, 5);
  });

  test("df = 1 is the Cauchy distribution and df = 2 has a closed-form quantile", () => {
    for (const p of [0.001, 0.05, 0.3, 0.5, 0.77, 0.95, 0.999]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 8);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 9);
    }
    for (const t of [-30, -2, -0.4, 0, 1, 7.5]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 14);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 14);
    }
  });

  test("the closed-form CDF agrees with numerical integration of the density, odd and even df", () => {
    for (const df of [3, 4, 7, 12, 25]) {
      for (const t of [-3.1, -0.7, 0.2, 1.5, 4]) expect(studentTCdf(t, df)).toBeCloseTo(cdfByQuadrature(t, df), 9);
    }
  });

  test("large df approaches the normal quantile; bad arguments throw", () => {
    expect(studentTQuantile(0.95, 100_000)).toBeCloseTo(1.644854, 4);
    expect(() => studentTQuantile(1, 3)).toThrow(/p must lie/);
    expect(() => studentTCdf(1, 2.5)).toThrow(/df must be a positive integer/);
  });
});

describe("paired statistics", () => {
  test("differences [1, 2, 3]: t = 2 sqrt(3), closed-form df = 2 p-value, lower bound from t_{0.95,2}", () => {
    const stats = pairedStatistics([1, 2, 3], 0.05);
    expect(stats.mean).toBe(2);
    expect(stats.std).toBeCloseTo(1, 14);
    const t = 2 * Math.sqrt(3);
    expect(oneSidedPValue(stats)).toBeCloseTo(0.5 - t / (2 * Math.sqrt(2 + t * t)), 12);
    expect(stats.lower).toBeCloseTo(2 - 2.919986 / Math.sqrt(3), 5);
  });

  test("the test rejects exactly when the lower bound exceeds the shift (random samples)", () => {
    let state = 7;
    const uniform = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + (trial % 9);
      const differences = Array.from({ length: n }, () => uniform() - 0.3);
      const stats = pairedStatistics(differences, 0.05);
      for (const shift of [0, 0.1]) expect(oneSidedPValue(stats, shift) < 0.05).toBe(stats.lower > shift);
      expect(tostPValue(stats, 0.25) < 0.05).toBe(stats.lower > -0.25 && stats.upper < 0.25);
    }
  });

  test("pairing drops seeds where either run has no finite value", () => {
    expect(pairedDifferences([0.5, null, 0.4, Number.NaN], [0.4, 0.3, 0.45, 0.1])).toEqual([0.5 - 0.4, 0.4 - 0.45]);
    expect(() => pairedDifferences([1], [1, 2])).toThrow(/differ in length/);
  });

  test("Holm steps down and stops at the first non-rejection", () => {
    expect(holmRejections([0.01, 0.04, 0.03], 0.05)).toEqual([true, false, false]);
    expect(holmRejections([0.01, 0.02, 0.04], 0.05)).toEqual([true, true, true]);
    expect(holmRejections([0.02, Number.NaN], 0.05)).toEqual([true, false]);
  });
});

const improves: PairedRule = { id: "paired-t-improves", alpha: 0.05, margin: 0.5 };

describe("verdict rules", () => {
  test("improves: holds, does not hold, inconclusive", () => {
    expect(judgePaired(improves, [{ differences: [1, 2, 3] }]).verdict).toBe("holds");
    expect(judgePaired(improves, [{ differences: [0.1, -0.1, 0, 0.05, -0.05] }]).verdict).toBe("does not hold");
    expect(judgePaired(improves, [{ differences: [1, -0.5, 2] }]).verdict).toBe("inconclusive");
    expect(judgePaired(improves, [{ differences: [3] }]).verdict).toBe("inconclusive");
  });

  test("no gain and equivalence use the margin on both sides", () => {
    const noGain: PairedRule = { id: "paired-t-no-gain", alpha: 0.05, margin: 0.5 };
    expect(judgePaired(noGain, [{ differences: [0.1, -0.2, 0, 0.05] }]).verdict).toBe("holds");
    expect(judgePaired(noGain, [{ differences: [-3, -2, -4] }]).verdict).toBe("holds"); // much worse is still no gain
    expect(judgePaired(noGain, [{ differences: [2, 2.2, 1.9] }]).verdict).toBe("does not hold");
    expect(judgePaired(noGain, [{ differences: [0.1, 0.9, -0.5] }]).verdict).toBe("inconclusive");
    const level: PairedRule = { id: "paired-tost-equivalent", alpha: 0.05, margin: 0.5 };
    expect(judgePaired(level, [{ differences: [0.1, -0.1, 0, 0.05] }]).verdict).toBe("holds");
    expect(judgePaired(level, [{ differences: [-3, -2, -4] }]).verdict).toBe("does not hold");
    expect(judgePaired(level, [{ differences: [0.1, 0.9, -0.5] }]).verdict).toBe("inconclusive");
  });

  test("radii: a fixed radius judges only that one; Holm corrects across all", () => {
    const comparisons = [
      { radius: 0.1, differences: [0.2, -0.3, 0.6] },
      { radius: 0.2, differences: [1, 1.1, 0.9] },
    ];
    expect(judgePaired({ ...improves, radius: 0.1 }, comparisons).verdict).toBe("inconclusive");
    expect(judgePaired({ ...improves, radius: 0.2 }, comparisons).verdict).toBe("holds");
    expect(judgePaired({ ...improves, radius: "holm" }, comparisons).verdict).toBe("holds");
    // p = 0.037 at one radius passes alone but not after Holm across three radii (needs <= 0.05 / 3).
    const marginal = { differences: [1, 2, 3] };
    expect(judgePaired({ ...improves, radius: "holm" }, [{ radius: 1, ...marginal }, { radius: 2, differences: [0, 0.1, -0.1] }, { radius: 3, differences: [0, 0.1, -0.1] }]).verdict).toBe("inconclusive");
    expect(() => judgePaired({ ...improves, radius: 0.4 }, comparisons)).toThrow(/radius 0.4 fixed/);
    expect(() => judgePaired(improves, comparisons)).toThrow(/declare "radius"/);
  });

  test("threshold: a number or a profile setting; NaN does not hold", () => {
    const rule = { id: "threshold", quantity: "final train loss", comparison: "<=", value: { setting: "maxLoss" } } as const;
    expect(judgeThreshold(rule, 0.01, { maxLoss: 0.05 }).verdict).toBe("holds");
    expect(judgeThreshold(rule, 0.06, { maxLoss: 0.05 }).verdict).toBe("does not hold");
    expect(judgeThreshold({ ...rule, value: 1 }, Number.NaN).verdict).toBe("does not hold");
    expect(() => judgeThreshold(rule, 0.01, {})).toThrow(/setting "maxLoss"/);
  });

  test("fraction of draws: three bands, too few draws inconclusive", () => {
    const rule = { id: "fraction-of-draws", quantity: "1-SAM below ERM", draws: 20, holdsAtLeast: 0.8, failsBelow: 0.5 } as const;
    const draws = (k: number) => Array.from({ length: 20 }, (_, i) => i < k);
    expect(judgeFraction(rule, draws(16)).verdict).toBe("holds");
    expect(judgeFraction(rule, draws(12)).verdict).toBe("inconclusive");
    expect(judgeFraction(rule, draws(9)).verdict).toBe("does not hold");
    expect(judgeFraction(rule, draws(20).slice(0, 5)).verdict).toBe("inconclusive");
  });

  test("the schema names a bad field; judgedClaim refuses a rule other than the declared one", () => {
    const bad = claimRuleSchema.safeParse({ id: "paired-t-improves", alpha: 0.5, margin: 0 });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues[0]?.path)).toBe('["alpha"]');
    expect(claimRuleSchema.safeParse({ id: "fraction-of-draws", quantity: "x", draws: 5, holdsAtLeast: 0.8, failsBelow: 0.5 }).success).toBe(false);
    const config = { file: "toy.json", profile: "smoke", claims: [{ id: "c", statement: "s", paperValue: null, rule: improves }] } as unknown as ExperimentConfig<unknown>;
    const judgement = judgePaired(improves, [{ differences: [1, 2, 3] }]);
    const claim = judgedClaim(config, "c", { ourValue: 2, judgement });
    expect(claim).toMatchObject({ verdict: "holds", rule: improves, profile: "smoke" });
    expect(claim.details).toMatch(/^Rule: mean 2, 95% one-sided bounds/);
    const other: ClaimRule = { ...improves, margin: 0.1 };
    expect(() => judgedClaim(config, "c", { ourValue: 2, judgement: { ...judgement, rule: other } })).toThrow(/config declares/);
  });
});

describe("combining parts", () => {
  test("judgeAll: any part not holding decides; all holding holds; not-run parts are skipped", async () => {
    const { judgeAll } = await import("../index.js");
    const holds = judgePaired(improves, [{ differences: [1, 2, 3] }]);
    const fails = judgePaired(improves, [{ differences: [0.1, -0.1, 0, 0.05, -0.05] }]);
    const open = judgePaired(improves, [{ differences: [1, -0.5, 2] }]);
    const skipped = { verdict: "not run" as const, rule: improves, text: "no data" };
    const parts = (...judgements: Array<typeof holds>) => judgements.map((judgement, i) => ({ label: `part ${i}`, judgement }));
    expect(judgeAll(improves, parts(holds, holds, skipped)).verdict).toBe("holds");
    expect(judgeAll(improves, parts(holds, open)).verdict).toBe("inconclusive");
    expect(judgeAll(improves, parts(open, fails)).verdict).toBe("does not hold");
    expect(judgeAll(improves, parts(skipped)).verdict).toBe("not run");
  });

  test("a threshold may name a nested setting", () => {
    const rule = { id: "threshold", quantity: "noisy error", comparison: "<=", value: { setting: "criteria.fitted" } } as const;
    expect(judgeThreshold(rule, 0.05, { criteria: { fitted: 0.1 } }).verdict).toBe("holds");
  });
});

describe("threshold bands", () => {
  test('"within" takes a band, from the rule or from a setting; a band with "<=" is refused', () => {
    const rule = { id: "threshold", quantity: "tracking ratio", comparison: "within", value: [0.5, 2] } as const;
    expect(judgeThreshold(rule, 1.2).verdict).toBe("holds");
    expect(judgeThreshold(rule, 2.5).verdict).toBe("does not hold");
    expect(judgeThreshold({ ...rule, value: { setting: "band" } }, 0.4, { band: [0.3, 0.6] }).verdict).toBe("holds");
    expect(() => judgeThreshold({ ...rule, value: { setting: "band" } }, 0.4, { band: 0.3 })).toThrow(/not a band/);
    expect(claimRuleSchema.safeParse({ ...rule, comparison: "<=" }).success).toBe(false);
    expect(claimRuleSchema.safeParse(rule).success).toBe(true);
  });
});
