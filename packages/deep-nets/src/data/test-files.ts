/** Helpers for tests: small CIFAR-format files and in-memory image sets. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { SeededRandom } from "@sam-repro/runtime";
import { encodeRecords, IMAGE_VALUES, recordBytes, type ImageSet } from "./cifar-format.js";
import type { CifarData } from "./cifar-files.js";

/** Random images and labels (seeded). */
export function randomImageSet(count: number, classes: number, seed: number): ImageSet {
  const random = new SeededRandom(seed);
  const images = new Uint8Array(count * IMAGE_VALUES);
  for (let i = 0; i < images.length; i++) images[i] = random.integer(256);
  const labels = Int32Array.from({ length: count }, () => random.integer(classes));
  return { images, labels, count, classes };
}

/**
 * A synthetic CIFAR-like dataset whose classes are learnable: each class has a mean color pattern and
 * images are that pattern plus noise. For trainer tests that should not read the real files.
 */
export function syntheticCifar(trainCount: number, testCount: number, classes = 10, seed = 0): CifarData {
  const random = new SeededRandom(seed);
  const patterns = Array.from({ length: classes }, () => Float32Array.from({ length: IMAGE_VALUES }, () => 40 + 170 * random.uniform()));
  const make = (count: number): ImageSet => {
    const images = new Uint8Array(count * IMAGE_VALUES);
    const labels = new Int32Array(count);
    for (let n = 0; n < count; n++) {
      const label = random.integer(classes);
      labels[n] = label;
      const pattern = patterns[label]!;
      for (let i = 0; i < IMAGE_VALUES; i++) images[n * IMAGE_VALUES + i] = Math.max(0, Math.min(255, Math.round(pattern[i]! + 40 * random.normal())));
    }
    return { images, labels, count, classes };
  };
  return { dataset: classes === 10 ? "cifar10" : "cifar100", train: make(trainCount), test: make(testCount), directory: "(synthetic)" };
}

/**
 * Writes a CIFAR-100 directory in the official binary layout (`train.bin` gzipped, `test.bin` plain,
 * label-name files) with the full record counts: all-zero records except `marked` ones at the start of
 * each file, which carry distinct labels and pixels. Returns what was written.
 */
export function writeCifar100Directory(directory: string, marked: ImageSet): { train: ImageSet; test: ImageSet } {
  mkdirSync(directory, { recursive: true });
  const build = (records: number): Uint8Array => {
    const bytes = new Uint8Array(records * recordBytes("cifar100"));
    bytes.set(encodeRecords(marked, "cifar100"), 0);
    return bytes;
  };
  writeFileSync(path.join(directory, "train.bin.gz"), gzipSync(build(50_000), { level: 1 }));
  writeFileSync(path.join(directory, "test.bin"), build(10_000));
  writeFileSync(path.join(directory, "fine_label_names.txt"), Array.from({ length: 100 }, (_, i) => `class${i}`).join("\n") + "\n");
  writeFileSync(path.join(directory, "coarse_label_names.txt"), Array.from({ length: 20 }, (_, i) => `super${i}`).join("\n") + "\n");
  return { train: marked, test: marked };
}
