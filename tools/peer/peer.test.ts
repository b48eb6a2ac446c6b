import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "@jest/globals";
import { describeNetwork, modelFromPreset } from "../../packages/deep-nets/src/models/architecture.js";
import { SeededRandom } from "@sam-repro/runtime";
import { permuteAxes, tensorMappings, torchNameOf } from "./layout.js";
import { compareStepLosses, stepLossesFromRunningMeans, welchTest } from "./compare.js";
import { PARITY_METHOD_NAMES, parityConfig } from "./regime.js";
import { markdownSection, type ParityReport } from "./report-text.js";
import { matchesParityConfig } from "./match-run.js";

describe("layout mapping to the PyTorch reference", () => {
  const spec = describeNetwork(modelFromPreset("resnet_tiny", 16, 10));
  const mappings = tensorMappings(spec.parameters, spec.statistics);

  test("names are PyTorch's state_dict keys of train.py's PreActResNet (one block per stage), each once", () => {
    // train.py: stem, stages.<s>.0.{norm1, conv1, norm2, conv2, shortcut (stages 2-4)}, head_norm, linear.
    const bn = (prefix: string) => ["weight", "bias", "running_mean", "running_var"].map((key) => `${prefix}.${key}`);
    const expected = ["stem.weight", ...bn("head_norm"), "linear.weight", "linear.bias"];
    for (let stage = 0; stage < 4; stage++) {
      const block = `stages.${stage}.0`;
      expected.push(...bn(`${block}.norm1`), `${block}.conv1.weight`, ...bn(`${block}.norm2`), `${block}.conv2.weight`);
      if (stage > 0) expected.push(`${block}.shortcut.weight`);
    }
    const names = mappings.map((m) => m.torchName);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...expected].sort());
  });

  test("shapes: conv [kh, kw, in, out] -> [out, in, kh, kw]; linear [in, out] -> [out, in]", () => {
    const conv = mappings.find((m) => m.name === "stage2.block1.conv1")!;
    expect(conv.shape).toEqual([3, 3, 16, 32]);
    expect(conv.torchShape).toEqual([32, 16, 3, 3]);
    const shortcut = mappings.find((m) => m.name === "stage2.block1.shortcut.conv")!;
    expect(shortcut.torchName).toBe("stages.1.0.shortcut.weight");
    expect(shortcut.torchShape).toEqual([32, 16, 1, 1]);
    const linear = mappings.find((m) => m.name === "head.linear.weight")!;
    expect(linear.torchShape).toEqual([10, 128]);
    expect(mappings.filter((m) => !m.trainable).every((m) => /running_(mean|var)$/.test(m.torchName))).toBe(true);
    expect(() => torchNameOf("stage1.block1.norm1.gain")).toThrow(/no PyTorch name/);
  });

  test("permuteAxes moves element [h, w, i, o] of our filter to [o, i, h, w], and the inverse permutation undoes it", () => {
    const shape = [3, 2, 4, 5];
    const random = new SeededRandom(7);
    const values = Float32Array.from({ length: 3 * 2 * 4 * 5 }, () => random.normal());
    const out = permuteAxes(values, shape, [3, 2, 0, 1]);
    for (let h = 0; h < 3; h++)
      for (let w = 0; w < 2; w++)
        for (let i = 0; i < 4; i++)
          for (let o = 0; o < 5; o++) expect(out[((o * 4 + i) * 3 + h) * 2 + w]).toBe(values[((h * 2 + w) * 4 + i) * 5 + o]);
    // The inverse of [3, 2, 0, 1] is [2, 3, 1, 0].
    expect(Array.from(permuteAxes(out, [5, 4, 3, 2], [2, 3, 1, 0]))).toEqual(Array.from(values));
  });
});

describe("comparisons", () => {
  test("per-step losses are recovered from trainRun's running epoch means", () => {
    const random = new SeededRandom(3);
    const losses = Array.from({ length: 50 }, () => 1 + random.uniform());
    const stepsPerEpoch = 39;
    const means: number[] = [];
    let sum = 0;
    losses.forEach((loss, step) => {
      if (step % stepsPerEpoch === 0) sum = 0;
      sum += loss;
      means.push(sum / ((step % stepsPerEpoch) + 1));
    });
    const recovered = stepLossesFromRunningMeans(means, stepsPerEpoch);
    recovered.forEach((value, i) => expect(value).toBeCloseTo(losses[i]!, 12));
  });

  test("the step-loss rule: within twice the float32-vs-float64 drift passes; beyond it fails at the first such step", () => {
    const rule = { firstStep: 1e-6, envelopeFactor: 2, envelopeFloor: 1e-6 };
    const torch64 = [2.3, 2.2, 2.1, 2.0];
    const torch32 = [2.3 * (1 + 1e-8), 2.2 * (1 + 1e-5), 2.1 * (1 + 1e-4), 2.0];
    const close = [2.3 * (1 + 1e-8), 2.2 * (1 + 1e-5), 2.1 * (1 - 1e-4), 2.0];
    const passed = compareStepLosses(close, torch32, torch64, rule);
    expect(passed.agrees).toBe(true);
    expect(passed.limit[2]).toBeCloseTo(2 * 1e-4, 8);
    const far = [2.3 * (1 + 1e-8), 2.2 * (1 + 1e-5), 2.1 * (1 + 1e-4), 2.0 * 1.01];
    const failed = compareStepLosses(far, torch32, torch64, rule);
    expect(failed.agrees).toBe(false);
    expect(failed.firstFailingStep).toBe(4);
    // A first step off by more than rounding fails at once, whatever the envelope.
    expect(compareStepLosses([2.31, ...close.slice(1)], torch32, torch64, rule).firstFailingStep).toBe(1);
  });

  test("Welch's test: means 2 and 5, variances 1 and 1, n = 3 each (df = 4 exactly) against the t table", () => {
    const result = welchTest([1, 2, 3], [4, 5, 6], 0.05);
    expect(result.df).toBe(4);
    expect(result.t).toBeCloseTo(-3 / Math.sqrt(2 / 3), 10);
    // t_{0.975, 4} = 2.776445 (tables); two-sided p of |t| = 3.674 with 4 df: 1 - sin(theta)(1 + cos^2(theta)/2) = 0.02131.
    expect(result.interval[0]).toBeCloseTo(-3 - 2.776445 * Math.sqrt(2 / 3), 5);
    expect(result.interval[1]).toBeCloseTo(-3 + 2.776445 * Math.sqrt(2 / 3), 5);
    expect(result.pValue).toBeCloseTo(0.02131, 4);
    expect(result.rejects).toBe(true);
    expect(welchTest([1, 2, 3], [1.5, 2.5, 2.0], 0.05).rejects).toBe(false);
  });
});

describe("regime and declared rule", () => {
  test("the methods are ERM, SAM with m = 128 and 8-SAM at rho 0.1 in the cpu regime", () => {
    const erm = parityConfig("erm", 0);
    expect([erm.model, erm.width, erm.trainSize, erm.testSize, erm.augment, erm.epochs, erm.batchSize, erm.schedule]).toEqual(["resnet_tiny", 16, 5000, 10000, false, 30, 128, "cosine"]);
    expect(erm.sam.variant).toBe("sgd");
    expect(parityConfig("sam", 1).sam).toMatchObject({ variant: "sam", rho: 0.1, batchNormStatistics: "both-passes" });
    expect(parityConfig("sam", 1).sam.m).toBeUndefined();
    expect(parityConfig("msam8", 2)).toMatchObject({ seed: 2, sam: { variant: "sam", rho: 0.1, m: 8 } });
  });

  test("parity.json names only methods the regime defines, and the seeds 0, 1, 2", () => {
    const rules = JSON.parse(readFileSync(path.join(import.meta.dirname, "parity.json"), "utf8"));
    for (const method of [...rules.stepLosses.methods, ...rules.finalErrors.methods]) expect(PARITY_METHOD_NAMES).toContain(method);
    expect(rules.finalErrors.seeds).toEqual([0, 1, 2]);
    expect(rules.finalErrors.alpha).toBe(0.05);
  });
});

describe("report section", () => {
  const rules = { stepLosses: { rule: "R1", why: "W", steps: 50 }, finalErrors: { rule: "R2", withinSeedNoise: "N", equivalenceMargin: 0.02, equivalence: "E" } };
  const seeds = (ours: number[] | null, torch: number[] | null) =>
    [0, 1, 2].map((seed) => ({
      seed,
      ours: ours ? { directory: `runs/x-s${seed}`, testError: ours[seed]!, trainEvalError: 0, wallSeconds: 1 } : null,
      torch: torch ? { testError: torch[seed]!, trainEvalError: 0, trainError: 0, seconds: 1 } : null,
    }));

  test("verdicts follow Welch's test; missing runs are pending, with how many seeds are done", () => {
    const ours = [0.46, 0.44, 0.45];
    const close = [0.455, 0.445, 0.452];
    const far = [0.40, 0.401, 0.399];
    const agreeing = welchTest(ours, close, 0.05);
    const differing = welchTest(ours, far, 0.05);
    const report: ParityReport = {
      rules,
      stepLosses: [{ method: "erm", seed: 0, comparison: null, ours: null, torch32: null, torch64: null }],
      variations: [{ variation: "no-weight-decay", method: "erm", seed: 0, firstFailingStep: 2, maxRelativeDifference: 0.1, secondStep: 1e-3 }],
      finalErrors: [
        { method: "erm", perSeed: seeds(ours, close), test: agreeing, verdict: "agrees", equivalent: true },
        { method: "msam8", perSeed: seeds(ours, far), test: differing, verdict: "differs", equivalent: false },
        { method: "sam", perSeed: seeds(ours, null), test: null, verdict: "pending", equivalent: null },
      ],
      commands: { everything: "npx nx run peer:parity" },
    };
    const text = markdownSection(report);
    expect(agreeing.rejects).toBe(false);
    expect(differing.rejects).toBe(true);
    expect(text).toMatch(/\| ERM \| 45\.00% \| 45\.07% \| .* \| agrees \| yes \|/);
    expect(text).toMatch(/\| 8-SAM \| 45\.00% \| 40\.00% \| \+5\.00 pp .* \| \*\*differs\*\* \| no \|/);
    expect(text).toContain("pending (3 of ours, 0 of PyTorch's seeds done)");
    expect(text).toContain("| ERM | - | - | - | - | pending |");
    expect(text).toContain("| ERM | no-weight-decay | 1.0e-3 | 1.0e-1 | 2 |");
  });

  test("a stored run matches the parity config whatever its evaluateAtStart, and not with another rho or seed", () => {
    const expected = parityConfig("msam8", 1);
    const stored = JSON.parse(JSON.stringify({ ...expected, evaluateAtStart: true }));
    expect(matchesParityConfig(stored, expected)).toBe(true);
    expect(matchesParityConfig({ ...stored, sam: { ...stored.sam, rho: 0.05 } }, expected)).toBe(false);
    expect(matchesParityConfig({ ...stored, seed: 2 }, expected)).toBe(false);
  });
});
