/**
 * The CIFAR binary formats (Krizhevsky 2009), as pure functions on bytes (no I/O).
 *
 * CIFAR-10 `data_batch_k.bin`/`test_batch.bin`: records of 1 label byte + 3,072 pixel bytes.
 * CIFAR-100 `train.bin`/`test.bin`: records of 1 coarse label byte + 1 fine label byte + 3,072 pixel bytes.
 * Pixels are stored as three 32x32 planes (R, then G, then B), each row-major. tfjs convolutions use
 * NHWC, so decoding interleaves the planes into height x width x channel order once, at load time.
 */
import { recordBytes, type DatasetName } from "@sam-repro/runner";

export const IMAGE_SIZE = 32;
export const IMAGE_CHANNELS = 3;
/** Values of one image: 32 * 32 * 3. */
export const IMAGE_VALUES = IMAGE_SIZE * IMAGE_SIZE * IMAGE_CHANNELS;

export type { DatasetName };
export const DATASET_NAMES: readonly DatasetName[] = ["cifar10", "cifar100"];

/** Number of classes a dataset's labels range over (CIFAR-100: the 100 fine labels). */
export function classCount(dataset: DatasetName): number {
  return dataset === "cifar10" ? 10 : 100;
}

/** Images in NHWC order (uint8, 0..255) with integer labels. */
export interface ImageSet {
  /** count * 3072 bytes, image i at [i*3072, (i+1)*3072), height x width x channel order. */
  images: Uint8Array;
  labels: Int32Array;
  count: number;
  classes: number;
}

// The dataset names and the record size are @sam-repro/runner's, where the files are read and checked.
export { recordBytes };

/**
 * Decodes whole records of a CIFAR binary file. The caller has checked that `bytes.length` is a
 * multiple of the record size. For CIFAR-100 the fine label (second byte) is the label.
 * Throws on a label outside 0..classes-1 (a sign of a corrupted or mis-typed file).
 */
export function decodeRecords(bytes: Uint8Array, dataset: DatasetName): ImageSet {
  const size = recordBytes(dataset);
  if (bytes.length % size !== 0) {
    throw new Error(`${bytes.length} bytes is not a whole number of ${size}-byte ${dataset} records`);
  }
  const count = bytes.length / size;
  const classes = classCount(dataset);
  const labelOffset = dataset === "cifar10" ? 0 : 1;
  const pixelOffset = size - IMAGE_VALUES;
  const planeSize = IMAGE_SIZE * IMAGE_SIZE;
  const images = new Uint8Array(count * IMAGE_VALUES);
  const labels = new Int32Array(count);
  for (let record = 0; record < count; record++) {
    const base = record * size;
    const label = bytes[base + labelOffset]!;
    if (label >= classes) {
      throw new Error(`record ${record}: label ${label} is outside 0..${classes - 1}`);
    }
    labels[record] = label;
    const source = base + pixelOffset;
    const target = record * IMAGE_VALUES;
    for (let pixel = 0; pixel < planeSize; pixel++) {
      const out = target + pixel * 3;
      images[out] = bytes[source + pixel]!;
      images[out + 1] = bytes[source + planeSize + pixel]!;
      images[out + 2] = bytes[source + 2 * planeSize + pixel]!;
    }
  }
  return { images, labels, count, classes };
}

/** Encodes images (NHWC) and labels back into the binary record format (used to build test files). */
export function encodeRecords(set: ImageSet, dataset: DatasetName, coarseLabels?: Int32Array): Uint8Array {
  const size = recordBytes(dataset);
  const planeSize = IMAGE_SIZE * IMAGE_SIZE;
  const out = new Uint8Array(set.count * size);
  for (let record = 0; record < set.count; record++) {
    const base = record * size;
    if (dataset === "cifar10") out[base] = set.labels[record]!;
    else {
      out[base] = coarseLabels?.[record] ?? Math.floor(set.labels[record]! / 5);
      out[base + 1] = set.labels[record]!;
    }
    const pixels = base + size - IMAGE_VALUES;
    const source = record * IMAGE_VALUES;
    for (let pixel = 0; pixel < planeSize; pixel++) {
      for (let channel = 0; channel < 3; channel++) {
        out[pixels + channel * planeSize + pixel] = set.images[source + pixel * 3 + channel]!;
      }
    }
  }
  return out;
}

/** Concatenates image sets of the same dataset (the five CIFAR-10 training batches). */
export function concatImageSets(sets: readonly ImageSet[]): ImageSet {
  const count = sets.reduce((sum, set) => sum + set.count, 0);
  const images = new Uint8Array(count * IMAGE_VALUES);
  const labels = new Int32Array(count);
  let offset = 0;
  for (const set of sets) {
    images.set(set.images, offset * IMAGE_VALUES);
    labels.set(set.labels, offset);
    offset += set.count;
  }
  return { images, labels, count, classes: sets[0]?.classes ?? 0 };
}

/** The images and labels at `indices`, in that order. */
export function selectImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const count = indices.length;
  const images = new Uint8Array(count * IMAGE_VALUES);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const index = indices[i]!;
    images.set(set.images.subarray(index * IMAGE_VALUES, (index + 1) * IMAGE_VALUES), i * IMAGE_VALUES);
    labels[i] = set.labels[index]!;
  }
  return { images, labels, count, classes: set.classes };
}
