/**
 * The in-memory pieces of one training run, built from its config: prepared data, the model, its EMA
 * copy, the SAM optimizer and the loss. No file I/O: the resumable-run wrapper reads and writes them.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "@sam-repro/runner";
import { hasGroupedConv2D } from "@sam-repro/runtime";
import { SamOptimizer, withGroupedLoss, type LossFunction, type SamOptions, type SerializedSamState } from "@sam-repro/sam";
import type { CifarData } from "../data/cifar-files.js";
import { modelFromPreset, type ModelConfig } from "../models/architecture.js";
import { ResNet } from "../models/resnet.js";
import type { TrainConfig } from "./config.js";
import { ghostBatchForward } from "./ghost-batch-norm.js";
import { groupedLossOf } from "./grouped-loss.js";
import { prepareData, type PreparedData } from "./prepared-data.js";
import { packOptimizerState, unpackOptimizerState, type StoredWeights } from "./run-store.js";

/** The model a config describes (classes from the dataset). */
export function modelConfigOf(config: TrainConfig, classes: number): ModelConfig {
  const model = modelFromPreset(config.model, config.width, classes);
  if (config.groups !== undefined) model.groups = config.groups;
  return model;
}

/** Everything a training step touches, for one run; `disposeSession` frees its tensors. */
export interface TrainingSession {
  config: TrainConfig;
  data: PreparedData;
  modelConfig: ModelConfig;
  model: ResNet;
  /** The EMA of the weights (config.emaTau), null when off. */
  ema: ResNet | null;
  optimizer: SamOptimizer;
  lossFn: LossFunction;
  /** Correct-prediction counts that the loss pushes on descent passes; the loop sums and frees them after each step. */
  pendingCorrect: tf.Scalar[];
  /** Full batches per epoch (drop_last). */
  stepsPerEpoch: number;
}

/**
 * Builds a run's session from its config: the data subsets, a freshly initialized model (seeded by
 * config.seed), the EMA copy and SGD with momentum wrapped in SamOptimizer (weight decay
 * 0.5 lambda ||w||^2 inside the objective). Throws InputError for a batch, m or ghost batch that the
 * prepared data does not allow.
 */
export function createTrainingSession(config: TrainConfig, cifar: CifarData): TrainingSession {
  const data = prepareData(config, cifar);
  const modelConfig = modelConfigOf(config, data.classes);
  const model = new ResNet(modelConfig, config.seed);
  const ema = config.emaTau !== null ? new ResNet(modelConfig, config.seed) : null;
  const batchSize = config.batchSize;
  const m = config.sam.m;
  const fail = (message: string): never => {
    model.dispose();
    ema?.dispose();
    throw new InputError(message);
  };
  if (data.train.count < batchSize) fail(`batchSize: ${batchSize} is larger than the ${data.train.count} training images`);
  if (m !== undefined && batchSize % m !== 0) fail(`sam.m: ${m} does not divide the batch size ${batchSize}`);
  const ghost = config.ghostBatchSize;
  if (ghost !== undefined && (batchSize % ghost !== 0 || (m !== undefined && m > ghost && m % ghost !== 0))) {
    fail(`ghostBatchSize: ${ghost} does not divide the batch size ${batchSize}${m !== undefined ? ` and m ${m}` : ""}`);
  }
  if (config.sam.variant === "random" && config.sam.randomSigma === undefined) fail(`sam.randomSigma: required for variant "random"`);

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

  const classes = data.classes;
  const pendingCorrect: tf.Scalar[] = [];
  const plainLossFn: LossFunction = (batch, pass) => {
    const mode = { training: true, updateStatistics: pass.updateStatistics } as const;
    const logits = ghost ? ghostBatchForward(model, batch.x as tf.Tensor4D, ghost, mode) : model.apply(batch.x as tf.Tensor4D, mode);
    const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(batch.y as tf.Tensor1D, classes), logits) as tf.Scalar;
    // The pass on the descent batch gives the training error that the official code logs.
    if (pass.kind !== "ascent") pendingCorrect.push(tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), batch.y), "float32"))));
    return loss;
  };
  // m-SAM evaluates all sub-batches at once on replicated weights where the backend has the kernels (issue 11).
  const lossFn = ghost ? plainLossFn : withGroupedLoss(plainLossFn, groupedLossOf(model, classes, (correct) => pendingCorrect.push(correct)), hasGroupedConv2D);
  return { config, data, modelConfig, model, ema, optimizer, lossFn, pendingCorrect, stepsPerEpoch: Math.floor(data.train.count / batchSize) };
}

/** A fresh run's starting point: `initial` weights (fine-tuning from another run, no optimizer state) if given; the EMA starts at the model. */
export function initializeSession(session: TrainingSession, initial: StoredWeights | null): void {
  if (initial) session.model.writeWeights({ parameters: initial.parameters, statistics: initial.statistics });
  if (session.ema) session.ema.writeWeights(session.model.readWeights());
}

/** Puts a checkpoint's weights (model, EMA) and optimizer state (its large tensors packed in `weights.optimizer`) back into the session. */
export async function restoreSession(session: TrainingSession, weights: StoredWeights, optimizerState: SerializedSamState): Promise<void> {
  session.model.writeWeights(weights);
  if (session.ema && weights.emaParameters) session.ema.writeWeights({ parameters: weights.emaParameters, statistics: weights.emaStatistics ?? [] });
  await session.optimizer.setState(unpackOptimizerState(optimizerState, weights.optimizer ?? []));
}

/** The session's weights and optimizer state as a checkpoint stores them (inverse of restoreSession). */
export async function snapshotSession(session: TrainingSession): Promise<{ weights: StoredWeights; optimizer: SerializedSamState }> {
  const optimizerState = packOptimizerState(await session.optimizer.getState());
  const weights = session.model.readWeights();
  const ema = session.ema?.readWeights();
  return {
    weights: { ...weights, ...(ema ? { emaParameters: ema.parameters, emaStatistics: ema.statistics } : {}), optimizer: optimizerState.arrays },
    optimizer: optimizerState.state,
  };
}

/** w_ema <- tau w_ema + (1 - tau) w (SPEC 1.4 step 5). */
export function updateEma(ema: ResNet, model: ResNet, tau: number): void {
  tf.tidy(() => {
    ema.parameters.forEach((v, i) => v.assign(tf.add(tf.mul(v, tau), tf.mul(model.parameters[i]!, 1 - tau))));
  });
}

/** Frees the session's tensors (optimizer state, model, EMA, pending counts). */
export function disposeSession(session: TrainingSession): void {
  tf.dispose(session.pendingCorrect.splice(0));
  session.optimizer.dispose();
  session.model.dispose();
  session.ema?.dispose();
}
