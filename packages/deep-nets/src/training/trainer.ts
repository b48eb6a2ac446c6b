import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  Checkpoint,
  InputError,
  StopRequestedError,
  acquireDirectoryLock,
  beginStoppableWork,
  createProgress,
  makeOutputDirectory,
  stopRequested,
  writeJsonAtomic,
  yieldToSignals,
  type DirectoryLock,
} from "@sam-repro/runner";
import { SeededRandom, activeBackend, describeBackend, hasGroupedConv2D } from "@sam-repro/runtime";
import { SamOptimizer, withGroupedLoss, type LossFunction, type SamOptions } from "@sam-repro/sam";
import { modelFromPreset, type ModelConfig } from "../models/architecture.js";
import { ResNet } from "../models/resnet.js";
import { groupedLossOf } from "./grouped-loss.js";
import type { CifarData } from "../data/cifar-files.js";
import { checkTrainConfig, configHash, type TrainConfig } from "./config.js";
import { evaluateModel, recomputeBatchNormStatistics } from "./evaluate.js";
import { batchTensors, epochSeed, prepareData, trainingBatch, type PreparedData } from "./prepared-data.js";
import {
  CHECKPOINT_FILE,
  packOptimizerState,
  unpackOptimizerState,
  CONFIG_FILE,
  pruneWeightFiles,
  readRunResult,
  readWeightsFile,
  resolveCheckpoint,
  writeMetricsFile,
  writeRunResult,
  writeWeightsFile,
  type MetricRecord,
  type RunCheckpointState,
  type RunResult,
} from "./run-store.js";
import { fractionalEpoch, learningRateAt } from "./schedule.js";
import { measureSharpness } from "./sharpness.js";
import { ghostBatchForward } from "./ghost-batch-norm.js";

/** The model a config describes (classes from the dataset). */
export function modelConfigOf(config: TrainConfig, classes: number): ModelConfig {
  const model = modelFromPreset(config.model, config.width, classes);
  if (config.groups !== undefined) model.groups = config.groups;
  return model;
}

export interface TrainOptions {
  /** The run directory (created). */
  directory: string;
  /** Loaded CIFAR data (shared between runs of one process). */
  data: CifarData;
  /** Label for the progress bar. */
  label?: string;
  /** Stop (as if killed) after this many epochs of this call, leaving the checkpoint: tests of resumption. */
  stopAfterEpochs?: number;
  /** Show this run's own progress bar (default true); runners of many jobs show one bar for all instead. */
  progress?: boolean;
  /** Called after every optimizer step. */
  onStep?: (info: StepInfo) => void;
  /** The lock of `directory` when the caller already holds it; otherwise trainRun takes it (one writer per run). */
  lock?: DirectoryLock;
}

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
 * Trains one model as the official train.py (SPEC 1.4, 4.1): SGD with momentum (tfjs momentum =
 * PyTorch SGD with dampening 0), the LR schedule evaluated every iteration, weight decay
 * 0.5 lambda ||w||^2 inside the objective (added by SamOptimizer), any SAM variant, drop_last
 * batches, evaluation every `evalEvery` epochs, a checkpoint after every epoch.
 *
 * Resumption: every random stream is either seeded per epoch (shuffling, augmentation) or part of the
 * checkpoint (optimizer: momentum, step, random-perturbation stream, n-SAM's previous batch), and the
 * weights are stored bit-exactly, so a killed run restarted with the same config continues to the
 * same numbers. A run whose result.json exists is returned as is. A NaN/Inf loss ends the run as
 * "diverged" (recorded, not thrown).
 */
export async function trainRun(config: TrainConfig, options: TrainOptions): Promise<RunResult> {
  checkTrainConfig(config); // before the lock and the run directory: a bad config creates nothing
  const ownLock = options.lock === undefined ? acquireDirectoryLock(options.directory, `train ${config.model} seed ${config.seed}`) : null;
  // A stop signal (SIGINT/SIGTERM/SIGHUP) waits for the next step, where a checkpoint is written (stopForSignal).
  const endStoppable = beginStoppableWork();
  try {
    makeOutputDirectory(options.directory, "run directory");
    return await trainRunLocked(config, options);
  } finally {
    endStoppable();
    ownLock?.release();
  }
}

async function trainRunLocked(config: TrainConfig, options: TrainOptions): Promise<RunResult> {
  const directory = options.directory;
  const hash = configHash(config, tf.getBackend());
  const existing = readRunResult(directory);
  if (existing && existing.hash === hash) return existing;

  const wallStart = performance.now();
  const data = prepareData(config, options.data);
  const modelConfig = modelConfigOf(config, data.classes);
  const model = new ResNet(modelConfig, config.seed);
  const ema = config.emaTau !== null ? new ResNet(modelConfig, config.seed) : null;
  const batchSize = config.batchSize;
  const m = config.sam.m;
  if (data.train.count < batchSize) throw new InputError(`batchSize: ${batchSize} is larger than the ${data.train.count} training images`);
  if (m !== undefined && batchSize % m !== 0) throw new InputError(`sam.m: ${m} does not divide the batch size ${batchSize}`);
  const ghost = config.ghostBatchSize;
  if (ghost !== undefined && (batchSize % ghost !== 0 || (m !== undefined && m > ghost && m % ghost !== 0))) {
    throw new InputError(`ghostBatchSize: ${ghost} does not divide the batch size ${batchSize}${m !== undefined ? ` and m ${m}` : ""}`);
  }
  if (config.sam.variant === "random" && config.sam.randomSigma === undefined) throw new InputError(`sam.randomSigma: required for variant "random"`);

  const samOptions: SamOptions = {
    variant: config.sam.variant,
    rho: config.sam.rho,
    ascentBatch: config.sam.ascentBatch,
    batchNormStatistics: config.sam.batchNormStatistics,
    ascentSteps: config.sam.ascentSteps,
    weightDecay: config.weightDecay,
    weightDecayMode: "objective",
    seed: config.seed,
    ...(m !== undefined ? { subBatchSize: m } : {}),
    ...(config.sam.randomSigma !== undefined ? { randomSigma: config.sam.randomSigma } : {}),
    ...(config.sam.epochWindow ? { samEpochWindow: config.sam.epochWindow } : {}),
  };
  const optimizer = new SamOptimizer(tf.train.momentum(config.learningRate, config.momentum), samOptions, model.parameters);

  writeJsonAtomic(path.join(directory, CONFIG_FILE), config);
  const checkpoint = new Checkpoint<RunCheckpointState>(path.join(directory, CHECKPOINT_FILE), hash);
  let state = checkpoint.load();
  const metrics: MetricRecord[] = state?.metrics ?? [];
  let epochsCompleted = state?.epochsCompleted ?? 0;
  let steps = state?.steps ?? 0;
  let trainSeconds = state?.trainSeconds ?? 0;
  let trainImages = state?.trainImages ?? 0;
  const previousWall = state?.wallSeconds ?? 0;
  let partial = state?.partialEpoch ?? null;
  if (state) {
    const weights = readWeightsFile(path.join(directory, state.weightsFile));
    model.writeWeights(weights);
    if (ema && weights.emaParameters) ema.writeWeights({ parameters: weights.emaParameters, statistics: weights.emaStatistics ?? [] });
    await optimizer.setState(unpackOptimizerState(state.optimizer, weights.optimizer ?? []));
  } else {
    if (config.initFrom) {
      const source = resolveCheckpoint(config.initFrom);
      const weights = readWeightsFile(source.weightsFile);
      model.writeWeights({ parameters: weights.parameters, statistics: weights.statistics });
    }
    if (ema) ema.writeWeights(model.readWeights());
  }
  writeMetricsFile(directory, metrics);

  const stepsPerEpoch = Math.floor(data.train.count / batchSize);
  const classes = data.classes;
  const pendingCorrect: tf.Scalar[] = [];
  const plainLossFn: LossFunction = (batch, pass) => {
    const mode = { training: true, updateStatistics: pass.updateStatistics } as const;
    const logits = config.ghostBatchSize ? ghostBatchForward(model, batch.x as tf.Tensor4D, config.ghostBatchSize, mode) : model.apply(batch.x as tf.Tensor4D, mode);
    const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(batch.y as tf.Tensor1D, classes), logits) as tf.Scalar;
    // The pass on the descent batch gives the training error that the official code logs.
    if (pass.kind !== "ascent") pendingCorrect.push(tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), batch.y), "float32"))));
    return loss;
  };
  // m-SAM evaluates all sub-batches at once on replicated weights where the backend has the kernels (issue 11).
  const lossFn = config.ghostBatchSize ? plainLossFn : withGroupedLoss(plainLossFn, groupedLossOf(model, classes, (correct) => pendingCorrect.push(correct)), hasGroupedConv2D);

  const totalSteps = config.epochs * stepsPerEpoch;
  const progress = options.progress === false ? null : createProgress(options.label ?? `train ${config.model}`, totalSteps);
  let divergedAt: { epoch: number; step: number } | null = null;
  let epochsThisCall = 0;
  const evaluate = (epoch: number, epochStats: { loss: number; error: number; norm: number; samActive: boolean; imagesPerSecond: number; learningRate: number }) =>
    evaluationRecord(model, ema, data, config, epoch, steps, epochStats, previousWall + (performance.now() - wallStart) / 1000);

  if (config.evaluateAtStart && epochsCompleted === 0 && metrics.length === 0) {
    metrics.push(evaluate(0, { loss: Number.NaN, error: Number.NaN, norm: 0, samActive: false, imagesPerSecond: 0, learningRate: config.learningRate }));
    writeMetricsFile(directory, metrics);
  }

  // Checkpoint: weights first (a new file), then the state that names it (the commit point).
  const saveCheckpoint = async (weightsFile: string, partialEpoch?: RunCheckpointState["partialEpoch"]) => {
    const optimizerState = packOptimizerState(await optimizer.getState());
    writeWeightsFile(path.join(directory, weightsFile), { ...storedWeights(model, ema), optimizer: optimizerState.arrays });
    state = {
      epochsCompleted,
      steps,
      weightsFile,
      optimizer: optimizerState.state,
      metrics,
      trainSeconds,
      trainImages,
      wallSeconds: previousWall + (performance.now() - wallStart) / 1000,
      ...(partialEpoch ? { partialEpoch } : {}),
    };
    checkpoint.save(state);
    pruneWeightFiles(directory, [weightsFile]);
    writeMetricsFile(directory, metrics);
  };
  const stopForSignal = (signal: NodeJS.Signals) =>
    new StopRequestedError(signal, `stopped by ${signal} after step ${steps}; checkpoint written in ${directory}; run the same command to resume`);

  try {
    while (epochsCompleted < config.epochs && divergedAt === null) {
      if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
      const signalBeforeEpoch = stopRequested();
      if (signalBeforeEpoch !== null) throw stopForSignal(signalBeforeEpoch); // the last epoch's checkpoint is on disk
      const epoch = epochsCompleted;
      const order = new SeededRandom(epochSeed(config.seed, epoch, "shuffle")).permutation(data.train.count);
      const augmentRandom = new SeededRandom(epochSeed(config.seed, epoch, "augment"));
      let lossSum = 0;
      let correct = 0;
      let counted = 0;
      let normSum = 0;
      let samActive = false;
      let learningRate = config.learningRate;
      let firstBatch = 0;
      let secondsBefore = 0;
      if (partial) {
        // Resuming inside the epoch: its running sums, and the augmentation stream replayed up to the next batch.
        lossSum = Number(partial.lossSum);
        correct = Number(partial.correct);
        counted = partial.counted;
        normSum = Number(partial.normSum);
        samActive = partial.samActive;
        firstBatch = partial.batchesDone;
        secondsBefore = partial.seconds;
        if (config.augment) for (let j = 0; j < firstBatch; j++) trainingBatch(data.train, order.subarray(j * batchSize, (j + 1) * batchSize), true, augmentRandom);
        partial = null;
      }
      const epochStart = performance.now() - secondsBefore * 1000;
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
        steps++;
        if (!Number.isFinite(result.loss)) {
          divergedAt = { epoch: epoch + 1, step: steps };
          break;
        }
        lossSum += result.loss;
        correct += correctNow;
        counted += batchSize;
        normSum += result.perturbationNorm;
        samActive ||= result.samActive;
        if (ema) updateEma(ema, model, config.emaTau!);
        const seconds = trainSeconds + (performance.now() - epochStart) / 1000;
        const imagesPerSecond = (trainImages + counted) / Math.max(seconds, 1e-9);
        progress?.update(epoch * stepsPerEpoch + i + 1, {
          epoch: `${epoch + 1}/${config.epochs}`,
          loss: lossSum / (i + 1),
          err: 1 - correct / counted,
          "img/s": Math.round(imagesPerSecond),
        });
        options.onStep?.({
          epoch: epoch + 1,
          epochs: config.epochs,
          step: epoch * stepsPerEpoch + i + 1,
          totalSteps,
          loss: lossSum / (i + 1),
          error: 1 - correct / counted,
          imagesPerSecond,
        });
        // A stop signal is seen here, between steps; a mid-epoch checkpoint lets the rerun continue from this step.
        await yieldToSignals();
        const signal = stopRequested();
        if (signal !== null && i + 1 < stepsPerEpoch) {
          const seconds = (performance.now() - epochStart) / 1000;
          const weightsFile = `weights-${String(epochsCompleted).padStart(4, "0")}-${String(i + 1).padStart(5, "0")}.bin`;
          await saveCheckpoint(weightsFile, { batchesDone: i + 1, lossSum, correct, counted, normSum, samActive, seconds });
          throw stopForSignal(signal);
        }
      }
      const epochSeconds = (performance.now() - epochStart) / 1000;
      trainSeconds += epochSeconds;
      trainImages += counted;
      if (divergedAt !== null) {
        metrics.push(divergedRecord(epoch + 1, steps, learningRate, previousWall + (performance.now() - wallStart) / 1000));
        break;
      }
      epochsCompleted++;
      epochsThisCall++;
      const isLast = epochsCompleted === config.epochs;
      if (epochsCompleted % config.evalEvery === 0 || isLast) {
        const record = evaluate(epochsCompleted, {
          loss: lossSum / stepsPerEpoch,
          error: 1 - correct / counted,
          norm: normSum / stepsPerEpoch,
          samActive,
          imagesPerSecond: counted / epochSeconds,
          learningRate,
        });
        metrics.push(record);
        if (record.testLoss !== null && !Number.isFinite(record.testLoss)) divergedAt = { epoch: epochsCompleted, step: steps };
      }
      await saveCheckpoint(`weights-${String(epochsCompleted).padStart(4, "0")}.bin`);
    }
  } finally {
    progress?.stop();
    tf.dispose(pendingCorrect.splice(0));
  }

  const finished = divergedAt !== null || epochsCompleted === config.epochs;
  let sharpness = null;
  if (finished && divergedAt === null && config.sharpness) {
    const random = new SeededRandom(epochSeed(config.seed, config.epochs, "evaluation"));
    const indices = random.permutation(data.train.count).slice(0, Math.min(config.sharpness.examples, data.train.count));
    sharpness = measureSharpness(model, data.train, indices, config.sharpness, config.seed);
  }
  const weightsFile = state?.weightsFile ?? "";
  if (divergedAt !== null) {
    // Keep the weights at divergence out of the result: they are NaN. The last checkpoint stays.
    writeMetricsFile(directory, metrics);
  }
  const backendInfo = activeBackend();
  const result: RunResult = {
    hash,
    config,
    model: modelConfig,
    parameterCount: model.parameterCount,
    status: divergedAt !== null ? "diverged" : "completed",
    divergedAt,
    epochsCompleted,
    final: [...metrics].reverse().find((record) => record.testError !== null) ?? null,
    metrics,
    sharpness,
    weightsFile,
    wallSeconds: previousWall + (performance.now() - wallStart) / 1000,
    trainImagesPerSecond: trainSeconds > 0 ? trainImages / trainSeconds : 0,
    backend: backendInfo ? describeBackend(backendInfo) : tf.getBackend(),
  };
  if (finished) writeRunResult(directory, result);
  optimizer.dispose();
  model.dispose();
  ema?.dispose();
  return result;
}

function storedWeights(model: ResNet, ema: ResNet | null) {
  const weights = model.readWeights();
  if (!ema) return weights;
  const emaWeights = ema.readWeights();
  return { ...weights, emaParameters: emaWeights.parameters, emaStatistics: emaWeights.statistics };
}

/** w_ema <- tau w_ema + (1 - tau) w (SPEC 1.4 step 5). */
function updateEma(ema: ResNet, model: ResNet, tau: number): void {
  tf.tidy(() => {
    ema.parameters.forEach((v, i) => v.assign(tf.add(tf.mul(v, tau), tf.mul(model.parameters[i]!, 1 - tau))));
  });
}

function divergedRecord(epoch: number, step: number, learningRate: number, elapsedSeconds: number): MetricRecord {
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

function evaluationRecord(
  model: ResNet,
  ema: ResNet | null,
  data: PreparedData,
  config: TrainConfig,
  epoch: number,
  step: number,
  stats: { loss: number; error: number; norm: number; samActive: boolean; imagesPerSecond: number; learningRate: number },
  elapsedSeconds: number,
): MetricRecord {
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

export type { PreparedData };
