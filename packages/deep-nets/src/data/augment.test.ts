import { describe, expect, test } from "@jest/globals";
import { SeededRandom } from "@sam-repro/runtime";
import { IMAGE_VALUES } from "./cifar-format.js";
import { augmentBatch, CROP_PADDING, gatherBatch, toUnitFloats } from "./augment.js";
import { randomImageSet } from "./test-files.js";

/** The image the crop at (dy, dx) with or without flip produces, straight from the definition. */
function reference(image: Uint8Array, dy: number, dx: number, flip: boolean): Uint8Array {
  const out = new Uint8Array(IMAGE_VALUES);
  for (let i = 0; i < 32; i++) {
    for (let j = 0; j < 32; j++) {
      const column = flip ? 31 - j : j;
      // padded[r][c] = image[r - 4][c - 4]; the crop window starts at (dy + 4, dx + 4) of the padded image.
      const r = i + dy;
      const c = column + dx;
      for (let ch = 0; ch < 3; ch++) out[(i * 32 + j) * 3 + ch] = r >= 0 && r < 32 && c >= 0 && c < 32 ? image[(r * 32 + c) * 3 + ch]! : 0;
    }
  }
  return out;
}

function matchingTransforms(image: Uint8Array, augmented: Uint8Array): string[] {
  const found: string[] = [];
  for (let dy = -CROP_PADDING; dy <= CROP_PADDING; dy++) {
    for (let dx = -CROP_PADDING; dx <= CROP_PADDING; dx++) {
      for (const flip of [false, true]) {
        const candidate = reference(image, dy, dx, flip);
        if (candidate.every((value, i) => value === augmented[i])) found.push(`${dy},${dx},${flip}`);
      }
    }
  }
  return found;
}

describe("random crop (padding 4) + horizontal flip", () => {
  const set = randomImageSet(64, 10, 11);
  const indices = Int32Array.from({ length: 64 }, (_, i) => i);

  test("every augmented image is exactly one crop/flip of its source, and all offsets and both flips occur", () => {
    const augmented = augmentBatch(set, indices, new SeededRandom(4));
    const transforms: string[] = [];
    for (let n = 0; n < 64; n++) {
      const image = set.images.subarray(n * IMAGE_VALUES, (n + 1) * IMAGE_VALUES);
      const matches = matchingTransforms(image, augmented.subarray(n * IMAGE_VALUES, (n + 1) * IMAGE_VALUES));
      // Random pixels make the transform identifiable: exactly one candidate matches.
      expect(matches).toHaveLength(1);
      transforms.push(matches[0]!);
    }
    const flips = transforms.filter((t) => t.endsWith("true")).length;
    expect(flips).toBeGreaterThan(16);
    expect(flips).toBeLessThan(48);
    const offsets = new Set(transforms.map((t) => t.split(",")[0]));
    expect(offsets.size).toBeGreaterThanOrEqual(7);
  });

  test("offsets are uniform over -4..4 and flips have probability 1/2 (many draws)", () => {
    const random = new SeededRandom(9);
    const one = Int32Array.of(0);
    // A single-pixel marker reveals the transform of each draw.
    const marker = { images: new Uint8Array(IMAGE_VALUES), labels: Int32Array.of(0), count: 1, classes: 10 };
    marker.images[(16 * 32 + 10) * 3] = 255;
    const rows = new Array(9).fill(0);
    let flipped = 0;
    const draws = 4000;
    for (let k = 0; k < draws; k++) {
      const out = augmentBatch(marker, one, random);
      const at = out.findIndex((value) => value === 255) / 3;
      const i = Math.floor(at / 32);
      const j = at % 32;
      rows[16 - i + 4]++;
      // Unflipped, the marker column is 10 - dx in 6..14; flipped, it is 31 - (10 - dx) in 17..25.
      if (j > 16) flipped++;
    }
    for (const count of rows) expect(Math.abs(count / draws - 1 / 9)).toBeLessThan(0.02);
    expect(Math.abs(flipped / draws - 0.5)).toBeLessThan(0.03);
  });

  test("no augmentation copies the images; floats are x/255 with no normalization", () => {
    const copy = gatherBatch(set, Int32Array.of(5, 2));
    expect(copy.subarray(0, IMAGE_VALUES)).toEqual(set.images.subarray(5 * IMAGE_VALUES, 6 * IMAGE_VALUES));
    const floats = toUnitFloats(Uint8Array.of(0, 51, 255));
    expect(Array.from(floats)).toEqual([0, Math.fround(51 / 255), 1]);
  });

  test("the same seed gives the same batch", () => {
    expect(augmentBatch(set, indices, new SeededRandom(1))).toEqual(augmentBatch(set, indices, new SeededRandom(1)));
  });
});
