import { z } from "zod";
import { InputError, runHash } from "@sam-repro/runner";
import { SAM_VARIANTS, ASCENT_BATCH_SOURCES, BATCH_NORM_STATISTICS_MODES } from "@sam-repro/sam";
import { DATASET_NAMES } from "../data/cifar-format.js";
import { MODEL_NAMES } from "../models/architecture.js";
import { LEARNING_RATE_SCHEDULES } from "./schedule.js";

const positiveInt = z.number().int().min(1);
const nonNegative = z.number().min(0);

/** m-sharpness by projected gradient ascent (SPEC 1.7; defaults are eval_sharpness.py's). */
export const sharpnessSettingsSchema = z.strictObject({
  rho: z.number().positive().default(0.1),
  /** Step size = stepSizeMultiplier * rho (default 0.1, i.e. 0.01). */
  stepSizeMultiplier: z.number().positive().default(0.1),
  iterations: positiveInt.default(20),
  restarts: positiveInt.default(1),
  /** Unaugmented training points (validation excluded). */
  examples: positiveInt.default(256),
  /** m: the batch on which each perturbation is maximized. */
  batchSize: positiveInt.default(128),
});
export type SharpnessSettings = z.infer<typeof sharpnessSettingsSchema>;

/** Which weight perturbation a run trains with (SPEC 1.3; the SamOptimizer of @sam-repro/sam). */
export const samSettingsSchema = z.strictObject({
  variant: z.enum(SAM_VARIANTS).default("sgd"),
  rho: nonNegative.default(0.05),
  /** m of m-SAM (must divide the batch size); default: the batch size. */
  m: positiveInt.optional(),
  /** "previous" = n-SAM as the official --sam_use_prev_batch (SPEC 1.3 c). */
  ascentBatch: z.enum(ASCENT_BATCH_SOURCES).default("same"),
  /** Random baseline: sigma of the Gaussian perturbation of every weight (SPEC 1.3 d). */
  randomSigma: nonNegative.optional(),
  /** SAM active iff start <= epoch/epochs <= end, epoch 1-based (SPEC 1.3 h). */
  epochWindow: z.tuple([nonNegative, nonNegative]).optional(),
  /**
   * The official code updates BatchNorm running statistics in both passes (SPEC 1.4), so the trainer defaults to
   * "both-passes"; SamOptimizer's own default is "unperturbed" (clean passes only), a different default on purpose.
   */
  batchNormStatistics: z.enum(BATCH_NORM_STATISTICS_MODES).default("both-passes"),
  ascentSteps: positiveInt.default(1),
});
export type SamSettings = z.infer<typeof samSettingsSchema>;

/** One training run: the official train.py's settings (SPEC 4.1) plus the subset sizes of the cpu profile. */
export const trainConfigSchema = z.strictObject({
  dataset: z.enum(DATASET_NAMES).default("cifar10"),
  model: z.enum(MODEL_NAMES as [string, ...string[]]).default("resnet18"),
  width: positiveInt.default(64),
  /** GroupNorm groups (default width/2, the official `_gn` models). */
  groups: positiveInt.optional(),
  /** Training images (a random subset of the 45k split); default all 45,000. */
  trainSize: positiveInt.optional(),
  validationSize: z.number().int().min(0).default(5000),
  /** Test images (the first n of the test set); default all 10,000. */
  testSize: positiveInt.optional(),
  augment: z.boolean().default(true),
  labelNoise: z
    .strictObject({ fraction: z.number().min(0).max(1), type: z.enum(["symmetric", "asymmetric"]).default("symmetric") })
    .optional(),
  epochs: positiveInt.default(200),
  batchSize: positiveInt.default(128),
  /** Ghost BatchNorm: training-mode statistics per consecutive group of this many examples (ghost-batch-norm.ts); must divide the batch size. */
  ghostBatchSize: positiveInt.optional(),
  learningRate: nonNegative.default(0.1),
  schedule: z.enum(LEARNING_RATE_SCHEDULES).default("piecewise"),
  momentum: z.number().min(0).max(1).default(0.9),
  /** lambda of 0.5 lambda ||w||^2 inside the objective (SPEC 1.4). */
  weightDecay: nonNegative.default(5e-4),
  sam: samSettingsSchema.default({ variant: "sgd", rho: 0.05, ascentBatch: "same", batchNormStatistics: "both-passes", ascentSteps: 1 }),
  /** EMA of the weights, w_ema <- tau w_ema + (1 - tau) w every step (official swa_tau 0.999); null: off. */
  emaTau: z.number().min(0).max(1).nullable().default(null),
  /** Evaluate every k epochs (and after the last). */
  evalEvery: positiveInt.default(5),
  /** Also evaluate before the first step (the official epoch 0). */
  evaluateAtStart: z.boolean().default(false),
  /** Training points on which the (eval-mode, unaugmented) train error and loss are measured; 0: none. */
  evalTrainSize: z.number().int().min(0).default(1000),
  /** Noisy training points for the train error on noisy samples (SPEC 3.9; official: ~384 of 640). */
  evalNoisySize: z.number().int().min(0).default(1000),
  /** Validation points evaluated (0: none). */
  evalValidationSize: z.number().int().min(0).default(0),
  /** m-sharpness of the final weights (SPEC 1.7); null: not measured. */
  sharpness: sharpnessSettingsSchema.nullable().default(null),
  /** Start from the final weights of this run directory (fine-tuning, SPEC 1.3 h: no optimizer state). */
  initFrom: z.string().optional(),
  seed: z.number().int().min(0).default(0),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

/** Images in the training and test files of CIFAR-10 and CIFAR-100. */
export const CIFAR_TRAIN_IMAGES = 50_000;
export const CIFAR_TEST_IMAGES = 10_000;

/**
 * The checks of a train config that need no data or backend, run before anything is created (issue 15
 * part 6): subset sizes within the dataset, the batch within the training set, m and the ghost batch
 * dividing the batch, sigma for the random baseline. Throws an InputError naming field, value, allowed range.
 */
export function checkTrainConfig(config: TrainConfig): void {
  const available = CIFAR_TRAIN_IMAGES - config.validationSize;
  if (config.validationSize > CIFAR_TRAIN_IMAGES) {
    throw new InputError(`validationSize: ${config.validationSize} is more than the ${CIFAR_TRAIN_IMAGES} training images; allowed 0..${CIFAR_TRAIN_IMAGES}`);
  }
  if (config.trainSize !== undefined && config.trainSize > available) {
    throw new InputError(`trainSize: ${config.trainSize} is more than the ${available} images of the training split (--train-size); allowed 1..${available}`);
  }
  if (config.testSize !== undefined && config.testSize > CIFAR_TEST_IMAGES) {
    throw new InputError(`testSize: ${config.testSize} is more than the ${CIFAR_TEST_IMAGES} test images (--test-size); allowed 1..${CIFAR_TEST_IMAGES}`);
  }
  const trainCount = config.trainSize ?? available;
  if (config.batchSize > trainCount) {
    throw new InputError(`batchSize: ${config.batchSize} is larger than the ${trainCount} training images (--batch-size); allowed 1..${trainCount}`);
  }
  const m = config.sam.m;
  if (m !== undefined && config.batchSize % m !== 0) {
    throw new InputError(`sam.m: ${m} does not divide the batch size ${config.batchSize} (--m); allowed: a divisor of ${config.batchSize}`);
  }
  const ghost = config.ghostBatchSize;
  if (ghost !== undefined && (config.batchSize % ghost !== 0 || (m !== undefined && m > ghost && m % ghost !== 0))) {
    throw new InputError(`ghostBatchSize: ${ghost} does not divide the batch size ${config.batchSize}${m !== undefined ? ` and m ${m}` : ""}`);
  }
  if (config.sam.variant === "random" && config.sam.randomSigma === undefined) {
    throw new InputError(`sam.randomSigma: required for variant "random" (--random-sigma); allowed: a number >= 0`);
  }
  if (config.sharpness && config.sharpness.batchSize > config.sharpness.examples) {
    throw new InputError(`sharpness.batchSize (m): ${config.sharpness.batchSize} is more than sharpness.examples ${config.sharpness.examples}; allowed 1..${config.sharpness.examples}`);
  }
}

/** Bump when a change to the training code changes results, so stored runs are not reused. */
export const RUN_FORMAT_VERSION = 1;

/**
 * A short stable hash of a full config and the tfjs backend that computes it: runs with equal hashes
 * are the same run. Backends round differently (wasm, native, tensorflow), so a run continued or
 * reused on another backend would not give the same numbers: the backend is part of the identity.
 * The run store's runHash (@sam-repro/runner) with this package's RUN_FORMAT_VERSION.
 */
export function configHash(config: TrainConfig, backend: string): string {
  return runHash({ version: RUN_FORMAT_VERSION, backend, config });
}
