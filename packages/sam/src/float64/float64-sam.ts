/**
 * The SAM family (SPEC 1.3) on a plain Float64Array parameter vector with a caller-supplied gradient oracle,
 * for the linear-model and convergence experiments. Same rules and options as the tfjs SamOptimizer.
 */
import { InputError } from "../errors.js";
import { SeededRandom } from "../random.js";
import {
  COMMON_OPTION_NAMES,
  checkInteger,
  checkLearningRate,
  checkNumber,
  rejectUnknownOptions,
  resolveCommonOptions,
  resolveRho,
  subBatchCount,
  type CommonSamOptions,
  type ResolvedSamOptions,
} from "../options.js";
import { addAscentStep, fillAsamScale, l2Norm, projectOntoBall } from "./perturbation.js";
import { SubBatchSplitter } from "./sub-batches.js";

/** Writes the gradient of the MEAN loss over `indices` (null = full batch) at `params` into `gradientOut`; returns that mean loss. */
export type Float64GradientOracle = (params: Float64Array, indices: Int32Array | null, gradientOut: Float64Array) => number;

export interface Float64SamOptions extends CommonSamOptions {
  /** Heavy-ball momentum as torch.optim.SGD (dampening 0, no Nesterov): b <- mu*b + g, w <- w - lr*b. Default 0. */
  momentum?: number;
  /** Number of examples n; needed only to split a full batch (batch = null) into sub-batches. */
  exampleCount?: number;
  /**
   * Whether step() reports the loss at the unperturbed params on the batch when that costs an extra oracle
   * call (n-SAM with a different ascent batch, the random baseline). Default true; false reports NaN then.
   */
  computeLoss?: boolean;
}

export interface Float64SamState {
  step: number;
  momentum: number[] | null;
  rng: unknown;
}

export interface Float64StepResult {
  /** Mean data loss (without the weight-decay term) at the params before the step, on the batch. */
  loss: number;
  /** Mean over the sub-batches of ||delta_k||_2 (0 for sgd). */
  perturbationNorm: number;
}

const FLOAT64_OPTION_NAMES = [...COMMON_OPTION_NAMES, "momentum", "exampleCount", "computeLoss"];

/**
 * One optimizer step per call (SPEC 1.3 a-f, 1.4):
 *   delta_k = perturbation of variant on the ascent sub-batch k (SAM: rho g/(||g||+eps), multi-step with projection),
 *   g = (m/b) sum_k grad L_{I_k}(w + delta_k) (+ lambda (w + delta_k) in "objective" weight-decay mode),
 *   buf <- mu buf + g,  w <- w - lr buf  (and w <- w - lr lambda w in "decoupled" mode).
 * No allocation per step once the sub-batch sizes are fixed.
 */
export class Float64Sam {
  readonly options: ResolvedSamOptions;
  readonly momentumCoefficient: number;
  /** Set to false to take plain gradient steps with the same momentum state (ERM <-> SAM switching, SPEC 1.3 h). */
  samEnabled = true;
  private readonly exampleCount: number | null;
  private readonly computeLoss: boolean;
  private stepCount = 0;
  private readonly rng: SeededRandom;
  private readonly delta: Float64Array;
  private readonly perturbed: Float64Array;
  private readonly gradient: Float64Array;
  private readonly descent: Float64Array;
  private readonly velocity: Float64Array | null;
  private readonly asamScale: Float64Array | null;
  private readonly descentSplitter = new SubBatchSplitter();
  private readonly ascentSplitter = new SubBatchSplitter();

  constructor(
    readonly dimension: number,
    private readonly oracle: Float64GradientOracle,
    options: Float64SamOptions,
  ) {
    checkInteger("dimension", dimension, 1);
    if (typeof oracle !== "function") throw new InputError(`oracle: must be a function, got ${typeof oracle}`);
    rejectUnknownOptions(options ?? {}, FLOAT64_OPTION_NAMES, "Float64Sam options");
    this.options = resolveCommonOptions(options);
    this.momentumCoefficient = options.momentum === undefined ? 0 : checkNumber("momentum", options.momentum, 0);
    this.exampleCount = options.exampleCount === undefined ? null : checkInteger("exampleCount", options.exampleCount, 1);
    this.computeLoss = options.computeLoss ?? true;
    this.rng = new SeededRandom(this.options.seed);
    this.delta = new Float64Array(dimension);
    this.perturbed = new Float64Array(dimension);
    this.gradient = new Float64Array(dimension);
    this.descent = new Float64Array(dimension);
    this.velocity = this.momentumCoefficient > 0 ? new Float64Array(dimension) : null;
    this.asamScale = this.options.variant === "asam" ? new Float64Array(dimension) : null;
  }

  /**
   * One step on `params` in place. batch = example indices (null = full batch); ascentBatch: for n-SAM, the
   * indices the perturbation is computed on (null = full batch; undefined = same as batch). An ascent batch
   * is split into as many sub-batches as the batch; a full-batch (null) ascent gives one perturbation for all.
   */
  step(
    params: Float64Array,
    batch: Int32Array | null,
    learningRate: number,
    ascentBatch?: Int32Array | null,
  ): Float64StepResult {
    if (params.length !== this.dimension) {
      throw new InputError(`params: length ${params.length} differs from the dimension ${this.dimension}`);
    }
    checkLearningRate(learningRate);
    const options = this.options;
    const active = this.samEnabled && options.variant !== "sgd";
    let loss: number;
    let perturbationNorm = 0;
    if (!active) {
      loss = this.objectiveGradient(params, batch, this.descent);
    } else {
      const rho = resolveRho(options, this.stepCount, learningRate);
      const batchSize = batch ? batch.length : this.exampleCount;
      let parts = 1;
      if (options.subBatchSize !== null) {
        if (batchSize === null) {
          throw new InputError("exampleCount: required to split a full batch (batch = null) into sub-batches of subBatchSize");
        }
        parts = subBatchCount(options, batchSize);
      }
      const sharedAscent = ascentBatch === null;
      const sameBatch = ascentBatch === undefined;
      const ascentSize = ascentBatch ? ascentBatch.length : 0;
      if (ascentBatch && ascentSize % parts !== 0) {
        throw new InputError(`ascentBatch: its size ${ascentSize} does not split into the ${parts} sub-batches of the batch`);
      }
      // The loss at w comes for free from the first ascent pass when it runs on the descent batch.
      const lossFromAscent = sameBatch && options.variant !== "random";
      let ascentLossSum = 0;
      this.descent.fill(0);
      if (this.asamScale) fillAsamScale(this.asamScale, params, options.asamEta);
      for (let part = 0; part < parts; part++) {
        if (options.variant === "random") {
          this.rng.fillNormal(this.delta, options.randomSigma);
        } else if (!(sharedAscent && part > 0)) {
          const ascentIndices = sameBatch
            ? this.descentSplitter.part(batch, batchSize ?? 0, parts, part)
            : sharedAscent
              ? null
              : this.ascentSplitter.part(ascentBatch!, ascentSize, parts, part);
          ascentLossSum += this.computePerturbation(params, ascentIndices, rho);
        }
        perturbationNorm += l2Norm(this.delta) / parts;
        const descentIndices = this.descentSplitter.part(batch, batchSize ?? 0, parts, part);
        for (let i = 0; i < this.dimension; i++) this.perturbed[i] = params[i]! + this.delta[i]!;
        this.objectiveGradient(this.perturbed, descentIndices, this.gradient);
        for (let i = 0; i < this.dimension; i++) this.descent[i]! += this.gradient[i]! / parts;
      }
      if (lossFromAscent) loss = ascentLossSum / parts;
      else loss = this.computeLoss ? this.oracle(params, batch, this.gradient) : Number.NaN;
    }
    this.applyUpdate(params, learningRate);
    this.stepCount++;
    return { loss, perturbationNorm };
  }

  /** Number of steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  getState(): Float64SamState {
    return {
      step: this.stepCount,
      momentum: this.velocity ? Array.from(this.velocity) : null,
      rng: this.rng.getState(),
    };
  }

  setState(state: Float64SamState): void {
    checkInteger("state.step", state.step, 0);
    if ((state.momentum === null) !== (this.velocity === null)) {
      throw new InputError(`state.momentum: ${state.momentum === null ? "missing" : "present"} but momentum is ${this.momentumCoefficient}`);
    }
    if (this.velocity && state.momentum) {
      if (state.momentum.length !== this.dimension) {
        throw new InputError(`state.momentum: length ${state.momentum.length} differs from the dimension ${this.dimension}`);
      }
      this.velocity.set(state.momentum);
    }
    this.rng.setState(state.rng as [number, number, number, number, number | null]);
    this.stepCount = state.step;
  }

  /** Fills this.delta with the perturbation for one sub-batch (K ascent steps, SPEC 1.3 e); returns the loss at w. */
  private computePerturbation(params: Float64Array, indices: Int32Array | null, rho: number): number {
    const options = this.options;
    const variant = options.variant as "sam" | "usam" | "asam";
    const stepSize = options.ascentStepSizeMultiplier * rho;
    const project = variant !== "usam" || options.usamClipToBall;
    this.delta.fill(0);
    let lossAtStart = 0;
    for (let k = 0; k < options.ascentSteps; k++) {
      for (let i = 0; i < this.dimension; i++) this.perturbed[i] = params[i]! + this.delta[i]!;
      const value = this.objectiveGradient(this.perturbed, indices, this.gradient);
      if (k === 0) lossAtStart = value;
      addAscentStep(variant, this.delta, this.gradient, stepSize, options.epsilon, this.asamScale);
      if (project) projectOntoBall(this.delta, rho, this.asamScale);
    }
    return lossAtStart;
  }

  /** Gradient of the objective L_I(x) + 0.5*lambda*||x||^2 ("objective" weight decay, SPEC 1.4); returns L_I(x). */
  private objectiveGradient(point: Float64Array, indices: Int32Array | null, out: Float64Array): number {
    const value = this.oracle(point, indices, out);
    const lambda = this.options.weightDecay;
    if (lambda > 0 && this.options.weightDecayMode === "objective") {
      for (let i = 0; i < this.dimension; i++) out[i]! += lambda * point[i]!;
    }
    return value;
  }

  /** buf <- mu*buf + g; w <- w - lr*buf - lr*lambda*w (the last term only in "decoupled" mode). */
  private applyUpdate(params: Float64Array, learningRate: number): void {
    const direction = this.velocity ?? this.descent;
    if (this.velocity) {
      const mu = this.momentumCoefficient;
      for (let i = 0; i < this.dimension; i++) this.velocity[i] = mu * this.velocity[i]! + this.descent[i]!;
    }
    const decay = this.options.weightDecayMode === "decoupled" ? learningRate * this.options.weightDecay : 0;
    for (let i = 0; i < this.dimension; i++) params[i] = params[i]! - learningRate * direction[i]! - decay * params[i]!;
  }
}
