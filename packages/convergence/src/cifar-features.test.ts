import { describe, expect, test } from "@jest/globals";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { CIFAR10_RECORD_BYTES, buildFeatureMatrix, grayscalePooledFeatures, selectTwoClasses } from "./cifar-features.js";
import { cifar10Directory, loadCifarSubset } from "./cifar-data.js";

/** Records in the CIFAR-10 binary layout: label byte, then R, G, B planes; every pixel of record k is (r, g, b) = colors[k]. */
function records(labels: number[], colors: Array<[number, number, number]>): Uint8Array {
  const bytes = new Uint8Array(labels.length * CIFAR10_RECORD_BYTES);
  labels.forEach((label, k) => {
    const offset = k * CIFAR10_RECORD_BYTES;
    bytes[offset] = label;
    for (let plane = 0; plane < 3; plane++) bytes.fill(colors[k]![plane]!, offset + 1 + plane * 1024, offset + 1 + (plane + 1) * 1024);
  });
  return bytes;
}

describe("two-class CIFAR-10 features", () => {
  const bytes = records(
    [3, 0, 1, 0, 9, 1],
    [
      [10, 10, 10],
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [5, 5, 5],
      [128, 128, 128],
    ],
  );

  test("selects the two classes in file order with labels -1 / +1, up to maxExamples", () => {
    const chosen = selectTwoClasses(bytes, [0, 1], 10);
    expect(chosen.offsets).toEqual([1, 2, 3, 5].map((k) => k * CIFAR10_RECORD_BYTES));
    expect(chosen.labels).toEqual([-1, 1, -1, 1]);
    expect(selectTwoClasses(bytes, [0, 1], 2).labels).toEqual([-1, 1]);
    expect(() => selectTwoClasses(bytes.subarray(1), [0, 1], 10)).toThrow(/multiple of the record size/);
  });

  test("grayscale is the BT.601 luma, averaged over the pooling blocks", () => {
    const out = new Float64Array(16);
    grayscalePooledFeatures(bytes, CIFAR10_RECORD_BYTES, 8, out);
    for (const value of out) expect(value).toBeCloseTo(0.299, 12);
    // A pattern that differs between blocks: the top-left 4x4 block of the green plane set to 255.
    const patterned = records([0], [[0, 0, 0]]);
    for (let row = 0; row < 4; row++) for (let column = 0; column < 4; column++) patterned[1 + 1024 + row * 32 + column] = 255;
    const pooled = grayscalePooledFeatures(patterned, 0, 4, new Float64Array(64));
    expect(pooled[0]).toBeCloseTo(0.587, 12);
    expect(pooled.slice(1).every((value) => value === 0)).toBe(true);
  });

  test("features are standardized, scaled by 1/sqrt(pixel features), with a bias column of ones", () => {
    const chosen = selectTwoClasses(bytes, [0, 1], 10);
    const matrix = buildFeatureMatrix(chosen, 16);
    expect(matrix.dimension).toBe(5);
    const n = matrix.exampleCount;
    for (let j = 0; j < 4; j++) {
      const column = Array.from({ length: n }, (_, i) => matrix.values[i * 5 + j]!);
      const mean = column.reduce((sum, value) => sum + value, 0) / n;
      const variance = column.reduce((sum, value) => sum + (value - mean) ** 2, 0) / n;
      expect(mean).toBeCloseTo(0, 12);
      expect(variance).toBeCloseTo(1 / 4, 12);
    }
    for (let i = 0; i < n; i++) expect(matrix.values[i * 5 + 4]).toBe(1);
  });

  test("a file that is not the original (size, sha256) and a missing file are reported, naming the file, without throwing", () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), "convergence-data-"));
    mkdirSync(path.join(directory, "cifar-10"));
    writeFileSync(path.join(directory, "cifar-10", "test_batch.bin.gz"), gzipSync(bytes));
    writeFileSync(path.join(directory, "cifar-10", "data_batch_1.bin.gz"), gzipSync(bytes));
    const corrupted = loadCifarSubset({ file: "data_batch_1.bin.gz", classes: [0, 1], maxExamples: 10, pool: 8 }, directory);
    expect(corrupted.found).toBe(false);
    if (!corrupted.found) expect(corrupted.reason).toMatch(/data_batch_1\.bin\.gz: 18438 bytes, expected 30730000 \(10000 records of 3073 bytes\); the file is truncated/);
    const missing = loadCifarSubset({ file: "data_batch_2.bin.gz", classes: [0, 1], maxExamples: 10, pool: 8 }, directory);
    expect(missing.found).toBe(false);
    if (!missing.found) expect(missing.reason).toContain("data_batch_2.bin.gz");
    const noData = loadCifarSubset({ file: "data_batch_1.bin.gz", classes: [0, 1], maxExamples: 10, pool: 8 }, path.join(directory, "none"));
    expect(noData.found).toBe(false);
    if (!noData.found) expect(noData.reason).toMatch(/CIFAR-10 not found: .*does not exist/);
  });

  const real = cifar10Directory();
  if ("reason" in real) console.warn(`two-class CIFAR-10 features: the test on the real files is skipped: ${real.reason}`);
  ("directory" in real ? test : test.skip)("reads the real (checksum-verified) CIFAR-10 file the resolver finds: the first examples of the two classes", () => {
    const loaded = loadCifarSubset({ file: "data_batch_1.bin.gz", classes: [0, 1], maxExamples: 10, pool: 8 });
    expect(loaded.found).toBe(true);
    if (loaded.found) {
      expect(loaded.features.exampleCount).toBe(10);
      expect(loaded.labels.every((label) => label === 1 || label === -1)).toBe(true);
    }
  });
});
