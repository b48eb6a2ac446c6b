import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "@sam-repro/runtime";
import { selectImages, IMAGE_SIZE, IMAGE_CHANNELS, type ImageSet } from "../data/cifar-format.js";
import type { CifarData } from "../data/cifar-files.js";
import { splitTrainValidation } from "../data/split.js";
import { applyLabelNoise } from "../data/label-noise.js";
import { augmentBatch, gatherBatch, toUnitFloats } from "../data/augment.js";
import type { TrainConfig } from "./config.js";

/** The splits one run trains and evaluates on. Labels of train/validation are noisy when label noise is on. */
export interface PreparedData {
  classes: number;
  train: ImageSet;
  /** The true labels of the training images (equal to train.labels without label noise). */
  trainCleanLabels: Int32Array;
  /** 1 for training images whose label was corrupted; null without label noise. */
  trainIsNoisy: Uint8Array | null;
  validation: ImageSet;
  test: ImageSet;
}

/**
 * The data of a run (SPEC 3.1, 4.3): the 45k/5k split of the 50k training images by the run seed (a
 * random `trainSize` subset of the 45k when given), label noise on train and validation (test stays
 * clean), and the first `testSize` test images.
 */
export function prepareData(config: TrainConfig, cifar: CifarData): PreparedData {
  const split = splitTrainValidation(cifar.train.count, config.seed, config.validationSize, config.trainSize);
  const train = selectImages(cifar.train, split.train);
  const validation = selectImages(cifar.train, split.validation);
  const testCount = Math.min(config.testSize ?? cifar.test.count, cifar.test.count);
  const test = selectImages(cifar.test, Int32Array.from({ length: testCount }, (_, i) => i));
  const trainCleanLabels = train.labels.slice();
  let trainIsNoisy: Uint8Array | null = null;
  if (config.labelNoise && config.labelNoise.fraction > 0) {
    const noisyTrain = applyLabelNoise(train.labels, train.classes, config.labelNoise.fraction, config.labelNoise.type, config.seed);
    train.labels = noisyTrain.labels;
    trainIsNoisy = noisyTrain.isNoisy;
    const noisyValidation = applyLabelNoise(validation.labels, validation.classes, config.labelNoise.fraction, config.labelNoise.type, config.seed + 1_000_003);
    validation.labels = noisyValidation.labels;
  }
  return { classes: train.classes, train, trainCleanLabels, trainIsNoisy, validation, test };
}

/** Seed of a per-epoch random stream, so a run resumed at an epoch boundary draws the same numbers. */
export function epochSeed(seed: number, epoch: number, stream: "shuffle" | "augment" | "evaluation"): number {
  const offset = { shuffle: 1, augment: 2, evaluation: 3 }[stream];
  return (Math.imul(seed + 1, 0x9e3779b1) + Math.imul(epoch + 1, 0x85ebca6b) + offset * 0x27d4eb2f) >>> 0;
}

/** A batch as tensors: x [n, 32, 32, 3] in [0, 1], y int32 labels [n]. The caller disposes them. */
export function batchTensors(pixels: Uint8Array, labels: Int32Array): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const count = labels.length;
  return {
    x: tf.tensor4d(toUnitFloats(pixels), [count, IMAGE_SIZE, IMAGE_SIZE, IMAGE_CHANNELS]),
    y: tf.tensor1d(labels, "int32"),
  };
}

/** The pixels and labels of the training images at `indices`, augmented when `augment`. */
export function trainingBatch(
  set: ImageSet,
  indices: Int32Array,
  augment: boolean,
  random: SeededRandom,
): { pixels: Uint8Array; labels: Int32Array } {
  const pixels = augment ? augmentBatch(set, indices, random) : gatherBatch(set, indices);
  const labels = Int32Array.from(indices, (index) => set.labels[index]!);
  return { pixels, labels };
}
