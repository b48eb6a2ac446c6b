import type { SeededRandom } from "@sam-repro/runtime";
import { IMAGE_CHANNELS, IMAGE_SIZE, IMAGE_VALUES, type ImageSet } from "./cifar-format.js";

/** Zero padding of the random crop (SPEC 3.1: RandomCrop(32, padding=4)). */
export const CROP_PADDING = 4;

/**
 * Standard CIFAR augmentation of a batch (SPEC 3.1, 4.3), uint8 in, uint8 out, images in NHWC order:
 * crop a 32x32 window at a uniformly random offset (dy, dx) in {0..8}^2 from the image zero-padded by
 * 4 pixels, then flip horizontally with probability 1/2:
 *   out[i][j] = padded[i + dy][j' + dx],  j' = flip ? 31 - j : j,  padded[r][c] = image[r - 4][c - 4] (0 outside).
 * Crop and flip only move pixels, so the result stays exact in uint8. `indices` picks the images from
 * `source`; `out` (optional) is reused to avoid allocation.
 */
export function augmentBatch(
  source: ImageSet,
  indices: ArrayLike<number>,
  random: SeededRandom,
  out: Uint8Array = new Uint8Array(indices.length * IMAGE_VALUES),
): Uint8Array {
  const span = 2 * CROP_PADDING + 1;
  const rowValues = IMAGE_SIZE * IMAGE_CHANNELS;
  for (let n = 0; n < indices.length; n++) {
    const dy = random.integer(span) - CROP_PADDING;
    const dx = random.integer(span) - CROP_PADDING;
    const flip = random.uniform() < 0.5;
    const image = indices[n]! * IMAGE_VALUES;
    const target = n * IMAGE_VALUES;
    for (let i = 0; i < IMAGE_SIZE; i++) {
      const sourceRow = i + dy;
      const rowStart = target + i * rowValues;
      if (sourceRow < 0 || sourceRow >= IMAGE_SIZE) {
        out.fill(0, rowStart, rowStart + rowValues);
        continue;
      }
      const sourceRowStart = image + sourceRow * rowValues;
      for (let j = 0; j < IMAGE_SIZE; j++) {
        const sourceColumn = (flip ? IMAGE_SIZE - 1 - j : j) + dx;
        const at = rowStart + j * IMAGE_CHANNELS;
        if (sourceColumn < 0 || sourceColumn >= IMAGE_SIZE) {
          out[at] = 0;
          out[at + 1] = 0;
          out[at + 2] = 0;
        } else {
          const from = sourceRowStart + sourceColumn * IMAGE_CHANNELS;
          out[at] = source.images[from]!;
          out[at + 1] = source.images[from + 1]!;
          out[at + 2] = source.images[from + 2]!;
        }
      }
    }
  }
  return out;
}

/** Copies the images at `indices` without augmentation (evaluation, or training with augmentation off). */
export function gatherBatch(source: ImageSet, indices: ArrayLike<number>, out: Uint8Array = new Uint8Array(indices.length * IMAGE_VALUES)): Uint8Array {
  for (let n = 0; n < indices.length; n++) {
    const image = indices[n]! * IMAGE_VALUES;
    out.set(source.images.subarray(image, image + IMAGE_VALUES), n * IMAGE_VALUES);
  }
  return out;
}

/**
 * uint8 pixels to float32 in [0, 1]: x / 255, with no mean/std normalization (SPEC 3.1: the models
 * see inputs in [0, 1], mu = 0, sigma = 1).
 */
export function toUnitFloats(pixels: Uint8Array, out: Float32Array = new Float32Array(pixels.length)): Float32Array {
  const scale = 1 / 255;
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! * scale;
  return out;
}
