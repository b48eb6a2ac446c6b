/**
 * The SAM family (SPEC 1.3-1.4) as a wrapper around any tfjs optimizer (the paper uses SGD with momentum 0.9):
 * perturb the weights with one global-norm ascent step (or K projected steps, USAM, ASAM, a random draw), take
 * the gradient there, restore the exact weights and let the base optimizer apply that gradient.
 */
import * as tf from "@tensorflow/tfjs-core";
import { InputError } from "../errors.js";
import { SeededRandom } from "../random.js";
import {
  COMMON_OPTION_NAMES,
  checkChoice,
  checkLearningRate,
  checkNumber,
  rejectUnknownOptions,
  resolveCommonOptions,
  resolveRho,
  subBatchCount,
  type CommonSamOptions,
  type ResolvedSamOptions,
} from "../options.js";
import { deserializeTensor, serializeTensor, type SerializedNamedTensor, type SerializedTensor } from "./serialization.js";
import { canGroup, groupedSamGradients } from "./grouped-msam.js";
import { ascend, asamScaleOf, ascentSettingsOf, globalNorm } from "./tensor-perturbation.js";

export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** Which forward/backward pass the loss is evaluated for, and whether it may update BatchNorm running statistics. */
export interface PassInfo {
  updateStatistics: boolean;
  kind: "plain" | "ascent" | "descent";
}

/**
 * The mean loss of `batch` under the current values of the variables. The model behind it updates its BatchNorm
 * running statistics (non-trainable tf.Variables) only when pass.updateStatistics is true.
 */
export type LossFunction = (batch: Batch, pass: PassInfo) => tf.Scalar;

/** same: the perturbation comes from the descent batch; previous: from the previous step's batch (n-SAM as the official code); supplied: from context.ascentBatch. */
export const ASCENT_BATCH_SOURCES = ["same", "previous", "supplied"] as const;
export type AscentBatchSource = (typeof ASCENT_BATCH_SOURCES)[number];

/** unperturbed: one update per sub-batch, from the pass at w (the descent pass when there is none); both-passes: every pass (the official code). */
export const BATCH_NORM_STATISTICS_MODES = ["unperturbed", "both-passes"] as const;
export type BatchNormStatisticsMode = (typeof BATCH_NORM_STATISTICS_MODES)[number];

export interface SamOptions extends CommonSamOptions {
  /** Default "same". */
  ascentBatch?: AscentBatchSource;
  /**
   * Default "unperturbed" (running statistics from clean passes only). The deep-net trainer's config defaults to
   * "both-passes" instead, on purpose: that is what the official code does, and the figures reproduce it.
   */
  batchNormStatistics?: BatchNormStatisticsMode;
  /** SAM is active in epoch e iff start <= e/totalEpochs <= end (SPEC 1.3 h); plain base-optimizer steps otherwise. */
  samEpochWindow?: [number, number];
}

export interface SamStepContext {
  /** Needed with samEpochWindow. */
  epoch?: number;
  totalEpochs?: number;
  /** Sets the base optimizer's learning rate before the step (rho schedules and decoupled weight decay use it). */
  learningRate?: number;
  /** The ascent batch for ascentBatch = "supplied". */
  ascentBatch?: Batch;
}

export interface SamStepResult {
  /** Mean loss over the batch (data loss as lossFn returns it, without the weight-decay term). */
  loss: number;
  /** Where `loss` was evaluated: at w when a pass at w on the batch exists, else at the perturbed weights (n-SAM, random). */
  lossAt: "unperturbed" | "perturbed";
  /** Mean over the sub-batches of the global l2 norm of the perturbation (0 when SAM is not active). */
  perturbationNorm: number;
  samActive: boolean;
  /** The radius used at this step. */
  rho: number;
}

export interface SerializedSamState {
  format: "sam-repro/sam-optimizer@1";
  step: number;
  rng: [number, number, number, number, number | null];
  /** The base optimizer's getWeights() (iterations, then its slots, e.g. momentum), in the variables' order. */
  base: SerializedNamedTensor[];
  /** The previous batch for ascentBatch = "previous" (null before the first step). */
  previousBatch: { x: SerializedTensor; y: SerializedTensor } | null;
}

const SAM_OPTION_NAMES = [...COMMON_OPTION_NAMES, "ascentBatch", "batchNormStatistics", "samEpochWindow"];

interface LearningRateHolder {
  learningRate?: number;
  setLearningRate?: (learningRate: number) => void;
}

/**
 * SAM over a tfjs optimizer. Per step, for each of the b/m sub-batches I_k (SPEC 1.3 a, 1.4):
 *   delta_k = rho g_k/(||g_k|| + eps) (or USAM / ASAM / K projected steps / N(0, sigma^2)),  g_k at w on the ascent sub-batch,
 *   G = (m/b) sum_k grad [L_{I_k} + 0.5 lambda ||.||^2](w + delta_k),
 * then the weights are restored from an exact copy and base.applyGradients(G) runs. One global l2 norm over all
 * variables. Takes ownership of `base` (dispose() disposes it).
 */
export class SamOptimizer {
  readonly options: ResolvedSamOptions;
  readonly ascentBatch: AscentBatchSource;
  readonly batchNormStatistics: BatchNormStatisticsMode;
  readonly samEpochWindow: [number, number] | null;
  private variables: tf.Variable[] | null;
  private stepCount = 0;
  private readonly rng: SeededRandom;
  private previous: Batch | null = null;

  constructor(
    readonly base: tf.Optimizer,
    options: SamOptions,
    variables?: tf.Variable[],
  ) {
    if (typeof (base as Partial<tf.Optimizer> | null)?.applyGradients !== "function") {
      throw new InputError("base: must be a tf.Optimizer (e.g. tf.train.momentum(0.1, 0.9))");
    }
    rejectUnknownOptions(options ?? {}, SAM_OPTION_NAMES, "SamOptimizer options");
    this.options = resolveCommonOptions(options);
    this.ascentBatch = options.ascentBatch === undefined ? "same" : checkChoice("ascentBatch", options.ascentBatch, ASCENT_BATCH_SOURCES);
    this.batchNormStatistics =
      options.batchNormStatistics === undefined
        ? "unperturbed"
        : checkChoice("batchNormStatistics", options.batchNormStatistics, BATCH_NORM_STATISTICS_MODES);
    this.samEpochWindow = options.samEpochWindow === undefined ? null : checkWindow(options.samEpochWindow);
    if (variables !== undefined) {
      if (!Array.isArray(variables) || variables.length === 0) throw new InputError("variables: must be a non-empty array of tf.Variable");
      const frozen = variables.find((v) => !v.trainable);
      if (frozen) throw new InputError(`variables: "${frozen.name}" is not trainable; give trainable variables only`);
    }
    this.variables = variables ? [...variables] : null;
    this.rng = new SeededRandom(this.options.seed);
  }

  /** Number of steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** One optimizer step on `batch` (SPEC 1.4); see the class comment. All tensors it makes are disposed. */
  step(lossFn: LossFunction, batch: Batch, context: SamStepContext = {}): SamStepResult {
    const options = this.options;
    const learningRate = this.updateLearningRate(context.learningRate);
    const samActive = options.variant !== "sgd" && this.insideWindow(context);
    const variables = this.resolveVariables();
    const batchSize = batch.x.shape[0] ?? 0;
    const parts = samActive ? subBatchCount(options, batchSize) : 1;
    const rho = samActive ? resolveRho(options, this.stepCount, this.requireLearningRate(learningRate, "rho")) : 0;
    const decay = options.weightDecayMode === "decoupled" && options.weightDecay > 0 ? options.weightDecay : 0;
    if (decay > 0) this.requireLearningRate(learningRate, "weightDecayMode decoupled");
    const ascentSource = samActive && options.variant !== "random" ? this.ascentSource(batch, context) : null;
    if (ascentSource && (ascentSource.x.shape[0] ?? 0) % parts !== 0) {
      throw new InputError(`ascentBatch: its size ${ascentSource.x.shape[0]} does not split into the ${parts} sub-batches of the batch`);
    }

    const [loss, perturbationNorm, lossAtUnperturbed] = tf.tidy(() => {
      const saved = variables.map((v) => tf.clone(v));
      let gradients: tf.Tensor[];
      let lossValue: tf.Scalar;
      let normValue: tf.Scalar = tf.scalar(0);
      let unperturbed = true;
      if (!samActive) {
        const pass = this.objectiveGradients(lossFn, batch, { updateStatistics: true, kind: "plain" }, variables);
        gradients = pass.gradients;
        lossValue = pass.value;
      } else {
        try {
          const accumulated = this.samGradients(lossFn, batch, ascentSource, parts, rho, variables, saved);
          ({ gradients, lossValue, normValue, unperturbed } = accumulated);
        } finally {
          variables.forEach((v, i) => v.assign(saved[i]!));
        }
      }
      this.base.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: gradients[i]! })));
      if (decay > 0) variables.forEach((v, i) => v.assign(tf.sub(v, tf.mul(saved[i]!, learningRate * decay))));
      const values = tf.stack([lossValue, normValue]).dataSync();
      return [values[0]!, values[1]!, unperturbed] as const;
    });

    if (this.ascentBatch === "previous") this.rememberBatch(batch);
    this.stepCount++;
    return { loss, lossAt: lossAtUnperturbed ? "unperturbed" : "perturbed", perturbationNorm, samActive, rho };
  }

  /** Optimizer state as plain JSON: step, random stream, the base optimizer's slots (momentum), the previous batch. */
  async getState(): Promise<SerializedSamState> {
    const weights = await this.base.getWeights();
    const base = await Promise.all(weights.map(async (w) => ({ name: w.name, ...(await serializeTensor(w.tensor)) })));
    // getWeights returns the slot variables themselves plus a fresh iterations scalar: dispose only the latter.
    tf.dispose(weights.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
    const previousBatch = this.previous ? { x: await serializeTensor(this.previous.x), y: await serializeTensor(this.previous.y) } : null;
    return { format: "sam-repro/sam-optimizer@1", step: this.stepCount, rng: this.rng.getState(), base, previousBatch };
  }

  /** Restores getState()'s result, so that the next step continues the interrupted run exactly. */
  async setState(state: SerializedSamState): Promise<void> {
    if (state?.format !== "sam-repro/sam-optimizer@1") {
      throw new InputError(`state.format: unknown ${JSON.stringify(state?.format)}; allowed: sam-repro/sam-optimizer@1`);
    }
    checkNumber("state.step", state.step, 0);
    const incoming = state.base.map((w, i) => ({ name: w.name, tensor: deserializeTensor(w, `state.base[${i}]`) }));
    const old = await this.base.getWeights();
    tf.dispose(old.map((w) => w.tensor));
    await this.base.setWeights(incoming);
    tf.dispose(incoming.map((w) => w.tensor));
    this.setPrevious(
      state.previousBatch
        ? {
            x: tf.keep(deserializeTensor(state.previousBatch.x, "state.previousBatch.x")),
            y: tf.keep(deserializeTensor(state.previousBatch.y, "state.previousBatch.y")),
          }
        : null,
    );
    this.rng.setState(state.rng);
    this.stepCount = state.step;
  }

  /** Disposes the kept previous batch and the base optimizer. */
  dispose(): void {
    this.setPrevious(null);
    this.base.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose skips SGDOptimizer's kept learning-rate scalar `c`; disposing it
    // again is a no-op for the optimizers that do free it.
    const learningRateScalar = (this.base as unknown as { c?: unknown }).c;
    if (learningRateScalar instanceof tf.Tensor) learningRateScalar.dispose();
  }

  /** Averaged gradient at the perturbed points of the b/m sub-batches (call inside tf.tidy, variables restored by the caller). */
  private samGradients(
    lossFn: LossFunction,
    batch: Batch,
    ascentSource: Batch | null,
    parts: number,
    rho: number,
    variables: tf.Variable[],
    saved: tf.Tensor[],
  ): { gradients: tf.Tensor[]; lossValue: tf.Scalar; normValue: tf.Scalar; unperturbed: boolean } {
    const options = this.options;
    const bothPasses = this.batchNormStatistics === "both-passes";
    const sameBatch = ascentSource === null && options.variant !== "random";
    const scale = options.variant === "asam" ? asamScaleOf(saved, options.asamEta) : null;
    // All sub-batches at once on replicated weights when the loss and the backend allow it (grouped-msam.ts).
    const grouping = { options, lossFn, batch, parts, rho, variables, saved, scale, sameBatch, bothPasses };
    if (canGroup(grouping)) return groupedSamGradients(grouping);
    const descentParts = splitBatch(batch, parts);
    const ascentParts = ascentSource ? splitBatch(ascentSource, parts) : descentParts;
    const settings = options.variant === "random" ? null : ascentSettingsOf(options, rho, scale);

    let sum: tf.Tensor[] | null = null;
    let lossSum: tf.Scalar = tf.scalar(0);
    let normSum: tf.Scalar = tf.scalar(0);
    for (let part = 0; part < parts; part++) {
      // A nested tidy per sub-batch keeps the memory of 1-SAM at one sub-batch's worth of tensors.
      const next: tf.Tensor[] = tf.tidy(() => {
        let delta: tf.Tensor[];
        let size: tf.Tensor;
        const atW: { loss?: tf.Scalar } = {};
        if (settings === null) {
          delta = variables.map((v) => tf.randomNormal(v.shape, 0, options.randomSigma, "float32", this.rng.nextUint32()));
          size = globalNorm(delta);
        } else {
          // The previous sub-batch left the variables at its perturbed point: the ascent starts from w.
          if (part > 0) variables.forEach((v, i) => v.assign(saved[i]!));
          ({ delta, size } = ascend(settings, (current, k) => {
            if (current) this.placeAt(variables, saved, current);
            const pass = { updateStatistics: bothPasses || (k === 0 && sameBatch), kind: "ascent" as const };
            const ascent = this.objectiveGradients(lossFn, ascentParts[part]!, pass, variables);
            if (k === 0 && sameBatch) atW.loss = ascent.value;
            return ascent.gradients;
          }));
        }
        this.placeAt(variables, saved, delta);
        const descent = this.objectiveGradients(lossFn, descentParts[part]!, { updateStatistics: bothPasses || !sameBatch, kind: "descent" }, variables);
        const total = sum ? descent.gradients.map((g, i) => tf.add(sum![i]!, g)) : descent.gradients;
        return [...total, tf.add(lossSum, atW.loss ?? descent.value), tf.add(normSum, size)];
      });
      tf.dispose([...(sum ?? []), lossSum, normSum]);
      sum = next.slice(0, variables.length);
      lossSum = next[variables.length] as tf.Scalar;
      normSum = next[variables.length + 1] as tf.Scalar;
    }
    const gradients = parts === 1 ? sum! : sum!.map((g) => tf.div(g, parts));
    return { gradients, lossValue: tf.div(lossSum, parts), normValue: tf.div(normSum, parts), unperturbed: sameBatch };
  }

  /** Sets every variable to saved + delta. */
  private placeAt(variables: tf.Variable[], saved: tf.Tensor[], delta: readonly tf.Tensor[]): void {
    variables.forEach((v, i) => v.assign(tf.add(saved[i]!, delta[i]!)));
  }

  /** Loss and gradients of L_batch + 0.5 lambda ||w||^2 ("objective" mode, SPEC 1.4) at the variables' current values. */
  private objectiveGradients(
    lossFn: LossFunction,
    batch: Batch,
    pass: PassInfo,
    variables: tf.Variable[],
  ): { value: tf.Scalar; gradients: tf.Tensor[] } {
    const { value, grads } = tf.variableGrads(() => lossFn(batch, pass), variables);
    const lambda = this.options.weightDecayMode === "objective" ? this.options.weightDecay : 0;
    const gradients = variables.map((v) => {
      // A variable the loss does not reach gets a zero gradient (so its momentum still decays, as every slot moves together).
      const g = grads[v.name] ?? tf.zerosLike(v);
      return lambda > 0 ? tf.add(g, tf.mul(v, lambda)) : g;
    });
    return { value, gradients };
  }

  private ascentSource(batch: Batch, context: SamStepContext): Batch | null {
    if (this.ascentBatch === "same") return null;
    if (this.ascentBatch === "supplied") {
      if (!context.ascentBatch) throw new InputError('context.ascentBatch: required when ascentBatch is "supplied"');
      return context.ascentBatch;
    }
    // The official code's first step uses an all-zero image batch with label 0; zerosLike(y) is that for integer labels.
    if (!this.previous) this.setPrevious({ x: tf.keep(tf.zerosLike(batch.x)), y: tf.keep(tf.zerosLike(batch.y)) });
    return this.previous;
  }

  private rememberBatch(batch: Batch): void {
    this.setPrevious({ x: tf.keep(tf.clone(batch.x)), y: tf.keep(tf.clone(batch.y)) });
  }

  private setPrevious(batch: Batch | null): void {
    if (this.previous) tf.dispose([this.previous.x, this.previous.y]);
    this.previous = batch;
  }

  private insideWindow(context: SamStepContext): boolean {
    if (!this.samEpochWindow) return true;
    if (context.epoch === undefined || context.totalEpochs === undefined) {
      throw new InputError("context.epoch, context.totalEpochs: required when samEpochWindow is set");
    }
    const fraction = context.epoch / context.totalEpochs;
    return this.samEpochWindow[0] <= fraction && fraction <= this.samEpochWindow[1];
  }

  private updateLearningRate(learningRate: number | undefined): number {
    const holder = this.base as unknown as LearningRateHolder;
    if (learningRate !== undefined && learningRate !== holder.learningRate) {
      checkLearningRate(learningRate);
      if (typeof holder.setLearningRate === "function") holder.setLearningRate(learningRate);
      else holder.learningRate = learningRate;
    }
    return typeof holder.learningRate === "number" ? holder.learningRate : Number.NaN;
  }

  private requireLearningRate(learningRate: number, purpose: string): number {
    if (!Number.isFinite(learningRate)) {
      throw new InputError(`context.learningRate: required for ${purpose} because the base optimizer exposes no learningRate`);
    }
    return learningRate;
  }

  private resolveVariables(): tf.Variable[] {
    if (!this.variables) {
      this.variables = Object.values(tf.engine().registeredVariables).filter((v) => v.trainable);
      if (this.variables.length === 0) throw new InputError("variables: no trainable tf.Variable exists yet; create the model first");
    }
    return this.variables;
  }
}

function checkWindow(window: unknown): [number, number] {
  if (!Array.isArray(window) || window.length !== 2) {
    throw new InputError(`samEpochWindow: must be [startFraction, endFraction], got ${JSON.stringify(window)}`);
  }
  const start = checkNumber("samEpochWindow[0]", window[0], 0);
  const end = checkNumber("samEpochWindow[1]", window[1], 0);
  if (start > end) throw new InputError(`samEpochWindow: start ${start} is after end ${end}`);
  return [start, end];
}

/** The b/m equal sub-batches along the first axis (SPEC 1.2). */
function splitBatch(batch: Batch, parts: number): Batch[] {
  if (parts === 1) return [batch];
  const xs = tf.split(batch.x, parts, 0);
  const ys = tf.split(batch.y, parts, 0);
  return xs.map((x, i) => ({ x, y: ys[i]! }));
}
