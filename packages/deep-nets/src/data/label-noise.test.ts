import { describe, expect, test } from "@jest/globals";
import { SeededRandom } from "@sam-repro/runtime";
import { applyLabelNoise, asymmetricTarget } from "./label-noise.js";

function labels(count: number, classes: number): Int32Array {
  const random = new SeededRandom(1);
  return Int32Array.from({ length: count }, () => random.integer(classes));
}

describe("label noise", () => {
  test("symmetric: exactly floor(p n) labels change, each to a different class, uniformly", () => {
    const clean = labels(45_000, 10);
    const { labels: noisy, isNoisy, noisyCount } = applyLabelNoise(clean, 10, 0.6, "symmetric", 0);
    expect(noisyCount).toBe(Math.floor(0.6 * 45_000));
    let changed = 0;
    let flagMismatches = 0;
    // Offsets (noisy - clean) mod 10 should be uniform over 1..9.
    const offsets = new Array(10).fill(0);
    for (let i = 0; i < clean.length; i++) {
      if (noisy[i] !== clean[i]) changed++;
      if ((isNoisy[i] === 1) !== (noisy[i] !== clean[i])) flagMismatches++;
      offsets[(noisy[i]! - clean[i]! + 10) % 10]++;
    }
    expect(changed).toBe(27_000);
    expect(flagMismatches).toBe(0);
    expect(offsets[0]).toBe(45_000 - 27_000);
    for (let k = 1; k < 10; k++) expect(Math.abs(offsets[k] / 27_000 - 1 / 9)).toBeLessThan(0.01);
  });

  test("the noise depends on the seed only", () => {
    const clean = labels(1000, 100);
    expect(applyLabelNoise(clean, 100, 0.3, "symmetric", 4).labels).toEqual(applyLabelNoise(clean, 100, 0.3, "symmetric", 4).labels);
    expect(applyLabelNoise(clean, 100, 0.3, "symmetric", 4).labels).not.toEqual(applyLabelNoise(clean, 100, 0.3, "symmetric", 5).labels);
  });

  test("asymmetric: the official class maps; classes without a target keep their label", () => {
    expect([9, 2, 3, 5, 4, 0].map((y) => asymmetricTarget(y, 10))).toEqual([1, 0, 5, 3, 7, 0]);
    expect(asymmetricTarget(99, 100)).toBe(0);
    const clean = labels(10_000, 10);
    const { labels: noisy, isNoisy, noisyCount } = applyLabelNoise(clean, 10, 0.4, "asymmetric", 2);
    let chosen = 0;
    let wrongTargets = 0;
    for (let i = 0; i < clean.length; i++) {
      if (noisy[i] !== clean[i] && noisy[i] !== asymmetricTarget(clean[i]!, 10)) wrongTargets++;
      if (isNoisy[i]) chosen++;
    }
    expect(wrongTargets).toBe(0);
    expect(chosen).toBe(noisyCount);
    // Half of the CIFAR-10 classes have a target, so about half of the 4,000 chosen labels change.
    expect(noisyCount).toBeGreaterThan(1700);
    expect(noisyCount).toBeLessThan(2300);
  });
});
