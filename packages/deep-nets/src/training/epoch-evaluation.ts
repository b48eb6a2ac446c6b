/**
 * What the training loop measures between epochs: when it evaluates (the schedule), the metrics line
 * of an evaluation, and when a run counts as diverged. Numerical only, no I/O.
 */
import { SeededRandom } from "@sam-repro/runtime";
import type { TrainConfig } from "./config.js";
import { evaluateModel, recomputeBatchNormStatistics } from "./evaluate.js";
import { epochSeed } from "./prepared-data.js";
import type { MetricRecord } from "./run-store.js";
import type { TrainingSession } from "./session.js";

/** The training-side numbers of an epoch that go into its metrics line. */
export interface EpochStatistics {
  /** Mean batch loss and error over the epoch (NaN before training). */
  loss: number;
  error: number;
  /** Mean ||delta|| of the SAM steps. */
  norm: number;
  samActive: boolean;
  imagesPerSecond: number;
  /** The learning rate of the epoch's last step. */
  learningRate: number;
}

/** Evaluation schedule: after every `evalEvery`-th epoch and after the last one (`epochsCompleted` counts from 1). */
export function isEvaluationEpoch(epochsCompleted: number, config: TrainConfig): boolean {
  return epochsCompleted % config.evalEvery === 0 || epochsCompleted === config.epochs;
}

/** Divergence check: a NaN or infinite loss (a training batch's, or the test loss of an evaluation). */
export function isDivergedLoss(loss: number | null): boolean {
  return loss !== null && !Number.isFinite(loss);
}

/**
 * Evaluates the model after `epoch` epochs: test loss and error, inference-mode error on a seeded
 * subset of the training images, the error w.r.t. the noisy labels (label noise), the validation
 * error and the EMA model's test error (its BatchNorm statistics recomputed first). Every subset is
 * drawn from the epoch's "evaluation" stream, so a resumed run measures the same images.
 */
export function evaluationRecord(session: TrainingSession, epoch: number, step: number, stats: EpochStatistics, elapsedSeconds: number): MetricRecord {
  const { model, ema, data, config } = session;
  const random = new SeededRandom(epochSeed(config.seed, epoch, "evaluation"));
  const test = evaluateModel(model, data.test);
  let trainEval = null;
  if (config.evalTrainSize > 0) {
    const indices = random.permutation(data.train.count).slice(0, Math.min(config.evalTrainSize, data.train.count));
    trainEval = evaluateModel(model, data.train, { indices });
  }
  let noisyTrainError: number | null = null;
  if (data.trainIsNoisy && config.evalNoisySize > 0) {
    const noisy = Int32Array.from(random.permutation(data.train.count).filter((index) => data.trainIsNoisy![index] === 1)).slice(0, config.evalNoisySize);
    // Official train_err_ln: eval mode, error w.r.t. the noisy labels, on images from the training loader, which
    // augments only when training does (--no_data_augm gives unaugmented images).
    const augmentWith = config.augment ? random : undefined;
    if (noisy.length > 0) noisyTrainError = evaluateModel(model, data.train, { indices: noisy, ...(augmentWith ? { augmentWith } : {}) }).error;
  }
  let validationError: number | null = null;
  if (config.evalValidationSize > 0 && data.validation.count > 0) {
    const indices = Int32Array.from({ length: Math.min(config.evalValidationSize, data.validation.count) }, (_, i) => i);
    validationError = evaluateModel(model, data.validation, { indices }).error;
  }
  let emaTestError: number | null = null;
  if (ema) {
    // The EMA model's BatchNorm statistics are recomputed on the (augmented) training data (SPEC 1.4 bn_update).
    const indices = random.permutation(data.train.count).slice(0, Math.min(5000, data.train.count));
    recomputeBatchNormStatistics(ema, data.train, indices, config.batchSize, config.augment ? random : undefined);
    emaTestError = evaluateModel(ema, data.test).error;
  }
  return {
    epoch,
    step,
    learningRate: stats.learningRate,
    trainLoss: stats.loss,
    trainBatchError: Number.isFinite(stats.error) ? stats.error : null,
    trainEvalLoss: trainEval?.loss ?? null,
    trainEvalError: trainEval?.error ?? null,
    noisyTrainError,
    validationError,
    testLoss: test.loss,
    testError: test.error,
    emaTestError,
    perturbationNorm: stats.norm,
    samActive: stats.samActive,
    imagesPerSecond: stats.imagesPerSecond,
    elapsedSeconds,
  };
}

/** The metrics line of the epoch in which the training loss became NaN/Inf: NaN loss, nothing evaluated. */
export function divergedRecord(epoch: number, step: number, learningRate: number, elapsedSeconds: number): MetricRecord {
  return {
    epoch,
    step,
    learningRate,
    trainLoss: Number.NaN,
    trainBatchError: null,
    trainEvalLoss: null,
    trainEvalError: null,
    noisyTrainError: null,
    validationError: null,
    testLoss: null,
    testError: null,
    emaTestError: null,
    perturbationNorm: Number.NaN,
    samActive: false,
    imagesPerSecond: 0,
    elapsedSeconds,
  };
}
