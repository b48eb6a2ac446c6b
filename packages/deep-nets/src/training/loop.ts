/**
 * The training loop as the official train.py (SPEC 1.4, 4.1), without any file I/O: a generator that
 * advances a run's state step by step and yields an event at every point where the caller may
 * record progress, write a checkpoint or stop. The resumable-run wrapper (resumable-run.ts) drives it.
 */
import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "@sam-repro/runtime";
import { divergedRecord, evaluationRecord, isDivergedLoss, isEvaluationEpoch, type EpochStatistics } from "./epoch-evaluation.js";
import { batchTensors, epochSeed, trainingBatch } from "./prepared-data.js";
import type { MetricRecord, PartialEpochState, RunCheckpointState } from "./run-store.js";
import { fractionalEpoch, learningRateAt } from "./schedule.js";
import { updateEma, type TrainingSession } from "./session.js";
import { measureSharpness, type SharpnessResult } from "./sharpness.js";

/** What a training step reports to `onStep`. */
export interface StepInfo {
  epoch: number;
  epochs: number;
  /** Steps done and the run's total. */
  step: number;
  totalSteps: number;
  /** Means over the current epoch so far. */
  loss: number;
  error: number;
  imagesPerSecond: number;
}

/**
 * The numbers a run carries from step to step (the checkpoint's, less weights and optimizer): epochs
 * and steps done, the metrics so far, training time and images, the running sums of an epoch
 * resumed in the middle, and where the run diverged.
 */
export interface LoopState {
  epochsCompleted: number;
  steps: number;
  metrics: MetricRecord[];
  trainSeconds: number;
  trainImages: number;
  /** The epoch to resume inside (consumed when that epoch starts). */
  partialEpoch: PartialEpochState | null;
  divergedAt: { epoch: number; step: number } | null;
}

/** A fresh run's state, or the state a checkpoint stored. */
export function initialLoopState(checkpoint: RunCheckpointState | null): LoopState {
  return {
    epochsCompleted: checkpoint?.epochsCompleted ?? 0,
    steps: checkpoint?.steps ?? 0,
    metrics: checkpoint?.metrics ?? [],
    trainSeconds: checkpoint?.trainSeconds ?? 0,
    trainImages: checkpoint?.trainImages ?? 0,
    partialEpoch: checkpoint?.partialEpoch ?? null,
    divergedAt: null,
  };
}

/**
 * An event of the loop; `state` is consistent at each one.
 * - "evaluated": the evaluation before training (evaluateAtStart) was added to the metrics;
 * - "epoch-start": an epoch is about to run: a safe point to stop (nothing is lost after the last checkpoint);
 * - "step": a step that did not diverge; `partialEpoch` holds the running sums when the epoch has
 *   batches left (what a checkpoint written here needs to continue), null at the epoch's last step;
 * - "epoch-end": the epoch is counted and evaluated when the schedule says so (a checkpoint point);
 * - "diverged": the training loss became NaN/Inf; its metrics line is added and the loop ends.
 */
export type LoopEvent =
  | { kind: "evaluated" }
  | { kind: "epoch-start"; epoch: number }
  | { kind: "step"; info: StepInfo; partialEpoch: PartialEpochState | null }
  | { kind: "epoch-end" }
  | { kind: "diverged" };

/**
 * Trains from `state` to the end of config.epochs (or divergence), advancing `state` in place: SGD
 * with momentum through SamOptimizer, the LR schedule evaluated every iteration, drop_last batches,
 * the EMA update after every step, evaluation on the schedule of isEvaluationEpoch. Shuffling and
 * augmentation are seeded per epoch, so an epoch resumed at batch k replays the augmentation stream up
 * to k and continues with the same numbers. `elapsedSeconds` gives the run's wall time for the
 * metrics lines. Stopping the generator early (return/throw in the consumer) frees pending tensors.
 */
export function* trainingLoop(session: TrainingSession, state: LoopState, elapsedSeconds: () => number): Generator<LoopEvent, void, void> {
  const { config, data, optimizer, lossFn, pendingCorrect, stepsPerEpoch, model, ema } = session;
  const batchSize = config.batchSize;
  const totalSteps = config.epochs * stepsPerEpoch;
  if (config.evaluateAtStart && state.epochsCompleted === 0 && state.metrics.length === 0) {
    const before: EpochStatistics = { loss: Number.NaN, error: Number.NaN, norm: 0, samActive: false, imagesPerSecond: 0, learningRate: config.learningRate };
    state.metrics.push(evaluationRecord(session, 0, state.steps, before, elapsedSeconds()));
    yield { kind: "evaluated" };
  }
  try {
    while (state.epochsCompleted < config.epochs && state.divergedAt === null) {
      const epoch = state.epochsCompleted;
      yield { kind: "epoch-start", epoch };
      const order = new SeededRandom(epochSeed(config.seed, epoch, "shuffle")).permutation(data.train.count);
      const augmentRandom = new SeededRandom(epochSeed(config.seed, epoch, "augment"));
      const resumed = state.partialEpoch ?? EMPTY_EPOCH;
      // Number(): a sum that was NaN comes back from the checkpoint's JSON as the string "NaN".
      let lossSum = Number(resumed.lossSum);
      let correct = Number(resumed.correct);
      let counted = resumed.counted;
      let normSum = Number(resumed.normSum);
      let samActive = resumed.samActive;
      const firstBatch = resumed.batchesDone;
      let learningRate = config.learningRate;
      if (state.partialEpoch) {
        // Resuming inside the epoch: its running sums, and the augmentation stream replayed up to the next batch.
        if (config.augment) for (let j = 0; j < firstBatch; j++) trainingBatch(data.train, order.subarray(j * batchSize, (j + 1) * batchSize), true, augmentRandom);
        state.partialEpoch = null;
      }
      const epochStart = performance.now() - resumed.seconds * 1000;
      for (let i = firstBatch; i < stepsPerEpoch; i++) {
        const indices = order.subarray(i * batchSize, (i + 1) * batchSize);
        const { pixels, labels } = trainingBatch(data.train, indices, config.augment, augmentRandom);
        learningRate = learningRateAt(config.schedule, config.learningRate, fractionalEpoch(epoch, i, stepsPerEpoch), config.epochs);
        const batch = batchTensors(pixels, labels);
        let result;
        try {
          result = optimizer.step(lossFn, batch, { epoch: epoch + 1, totalEpochs: config.epochs, learningRate });
        } finally {
          tf.dispose([batch.x, batch.y]);
        }
        const correctNow = pendingCorrect.length ? tf.tidy(() => tf.addN(pendingCorrect).dataSync()[0]!) : Number.NaN;
        tf.dispose(pendingCorrect.splice(0));
        state.steps++;
        if (isDivergedLoss(result.loss)) {
          state.divergedAt = { epoch: epoch + 1, step: state.steps };
          break;
        }
        lossSum += result.loss;
        correct += correctNow;
        counted += batchSize;
        normSum += result.perturbationNorm;
        samActive ||= result.samActive;
        if (ema) updateEma(ema, model, config.emaTau!);
        const epochSeconds = (performance.now() - epochStart) / 1000;
        const info: StepInfo = {
          epoch: epoch + 1,
          epochs: config.epochs,
          step: epoch * stepsPerEpoch + i + 1,
          totalSteps,
          loss: lossSum / (i + 1),
          error: 1 - correct / counted,
          imagesPerSecond: (state.trainImages + counted) / Math.max(state.trainSeconds + epochSeconds, 1e-9),
        };
        const more = i + 1 < stepsPerEpoch;
        yield { kind: "step", info, partialEpoch: more ? { batchesDone: i + 1, lossSum, correct, counted, normSum, samActive, seconds: epochSeconds } : null };
      }
      const epochSeconds = (performance.now() - epochStart) / 1000;
      state.trainSeconds += epochSeconds;
      state.trainImages += counted;
      if (state.divergedAt !== null) {
        state.metrics.push(divergedRecord(epoch + 1, state.steps, learningRate, elapsedSeconds()));
        yield { kind: "diverged" };
        return;
      }
      state.epochsCompleted++;
      if (isEvaluationEpoch(state.epochsCompleted, config)) {
        const statistics: EpochStatistics = {
          loss: lossSum / stepsPerEpoch,
          error: 1 - correct / counted,
          norm: normSum / stepsPerEpoch,
          samActive,
          imagesPerSecond: counted / epochSeconds,
          learningRate,
        };
        const record = evaluationRecord(session, state.epochsCompleted, state.steps, statistics, elapsedSeconds());
        state.metrics.push(record);
        if (isDivergedLoss(record.testLoss)) state.divergedAt = { epoch: state.epochsCompleted, step: state.steps };
      }
      yield { kind: "epoch-end" };
    }
  } finally {
    tf.dispose(pendingCorrect.splice(0));
  }
}

const EMPTY_EPOCH: PartialEpochState = { batchesDone: 0, lossSum: 0, correct: 0, counted: 0, normSum: 0, samActive: false, seconds: 0 };

/** Whether the loop has nothing left to do: every epoch trained, or diverged. */
export function isFinished(session: TrainingSession, state: LoopState): boolean {
  return state.divergedAt !== null || state.epochsCompleted === session.config.epochs;
}

/** m-sharpness of the final weights (SPEC 1.7) on a seeded subset of the training images, when the config asks for it. */
export function finalSharpness(session: TrainingSession): SharpnessResult | null {
  const { config, data, model } = session;
  if (!config.sharpness) return null;
  const random = new SeededRandom(epochSeed(config.seed, config.epochs, "evaluation"));
  const indices = random.permutation(data.train.count).slice(0, Math.min(config.sharpness.examples, data.train.count));
  return measureSharpness(model, data.train, indices, config.sharpness, config.seed);
}
