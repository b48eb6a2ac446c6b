/**
 * A small two-class CIFAR-10 problem for the stochastic convergence check (SPEC 2.4, 5.A5): records of the
 * canonical binary format are turned into grayscale, average-pooled, standardized features. Pure: bytes in,
 * arrays out (the file reading lives in cifar-data.ts).
 */
import { recordBytes } from "@sam-repro/runner";

/** Bytes of one CIFAR-10 record: 1 label byte, then 1024 R, 1024 G and 1024 B bytes (32x32, row-major). */
export const CIFAR10_RECORD_BYTES = recordBytes("cifar10");
const SIDE = 32;
const PLANE = SIDE * SIDE;

/** The examples of a two-class subset: raw pixel records and labels +1 / -1. */
export interface TwoClassRecords {
  /** Offsets of the chosen records in `bytes`. */
  offsets: number[];
  /** +1 for the second class, -1 for the first. */
  labels: number[];
  bytes: Uint8Array;
}

/**
 * Picks the records of `classes[0]` (label -1) and `classes[1]` (label +1), in file order, at most
 * `maxExamples` in all. Throws when the buffer is not a whole number of records.
 */
export function selectTwoClasses(bytes: Uint8Array, classes: readonly [number, number], maxExamples: number): TwoClassRecords {
  if (bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new Error(`CIFAR-10 data: ${bytes.length} bytes is not a multiple of the record size ${CIFAR10_RECORD_BYTES}`);
  }
  const offsets: number[] = [];
  const labels: number[] = [];
  for (let offset = 0; offset < bytes.length && offsets.length < maxExamples; offset += CIFAR10_RECORD_BYTES) {
    const label = bytes[offset]!;
    if (label === classes[0]) labels.push(-1);
    else if (label === classes[1]) labels.push(1);
    else continue;
    offsets.push(offset);
  }
  return { offsets, labels, bytes };
}

/**
 * Grayscale (ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B, scaled to [0, 1]) averaged over pool x pool blocks:
 * (32 / pool)^2 features of one record, written into `out`.
 */
export function grayscalePooledFeatures(bytes: Uint8Array, offset: number, pool: number, out: Float64Array): Float64Array {
  const side = SIDE / pool;
  out.fill(0);
  const scale = 1 / (255 * pool * pool);
  for (let pixel = 0; pixel < PLANE; pixel++) {
    const row = Math.floor(pixel / SIDE);
    const column = pixel % SIDE;
    const luma =
      0.299 * bytes[offset + 1 + pixel]! + 0.587 * bytes[offset + 1 + PLANE + pixel]! + 0.114 * bytes[offset + 1 + 2 * PLANE + pixel]!;
    out[Math.floor(row / pool) * side + Math.floor(column / pool)]! += luma * scale;
  }
  return out;
}

/** The design matrix of the problem: n rows of d = (32/pool)^2 + 1 features (the last one a constant 1, the bias). */
export interface FeatureMatrix {
  /** Row-major n x d. */
  values: Float64Array;
  exampleCount: number;
  dimension: number;
}

/**
 * Features of the selected records: pooled grayscale, each feature standardized to mean 0 and variance 1 over the
 * subset and divided by sqrt(number of pixel features) so that ||x_i|| is about 1, then a bias feature 1 appended.
 */
export function buildFeatureMatrix(records: TwoClassRecords, pool: number): FeatureMatrix {
  if (!Number.isInteger(pool) || pool < 1 || SIDE % pool !== 0) throw new Error(`pool: must divide 32, got ${pool}`);
  const pixelFeatures = (SIDE / pool) ** 2;
  const dimension = pixelFeatures + 1;
  const n = records.offsets.length;
  const raw = new Float64Array(n * pixelFeatures);
  const row = new Float64Array(pixelFeatures);
  records.offsets.forEach((offset, i) => raw.set(grayscalePooledFeatures(records.bytes, offset, pool, row), i * pixelFeatures));
  const mean = new Float64Array(pixelFeatures);
  const variance = new Float64Array(pixelFeatures);
  for (let i = 0; i < n; i++) for (let j = 0; j < pixelFeatures; j++) mean[j]! += raw[i * pixelFeatures + j]! / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < pixelFeatures; j++) variance[j]! += (raw[i * pixelFeatures + j]! - mean[j]!) ** 2 / n;
  }
  const values = new Float64Array(n * dimension);
  const norm = Math.sqrt(pixelFeatures);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < pixelFeatures; j++) {
      const spread = Math.sqrt(variance[j]!);
      values[i * dimension + j] = spread > 0 ? (raw[i * pixelFeatures + j]! - mean[j]!) / spread / norm : 0;
    }
    values[i * dimension + pixelFeatures] = 1;
  }
  return { values, exampleCount: n, dimension };
}
