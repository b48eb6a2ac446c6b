/**
 * Option validation shared by the Float64Array stepper (float64/) and the tfjs optimizer (tfjs/), so both
 * accept exactly the same settings and reject bad ones with the same messages: each error names the option,
 * the value and what is allowed (SPEC 1.3).
 */
import { InputError } from "./errors.js";

/** The update rules. sgd = plain gradient step (ERM); random = Gaussian weight perturbation baseline (SPEC 1.3 d). */
export const SAM_VARIANTS = ["sgd", "sam", "usam", "asam", "random"] as const;
export type SamVariant = (typeof SAM_VARIANTS)[number];

/** objective: 0.5*lambda*||w||^2 inside the loss of every pass (SPEC 1.4, the paper's); decoupled: w <- w - lr*lambda*w. */
export const WEIGHT_DECAY_MODES = ["objective", "decoupled"] as const;
export type WeightDecayMode = (typeof WEIGHT_DECAY_MODES)[number];

/** rho as a function of the 0-based step index and the step's learning rate. */
export type RhoSchedule = (step: number, learningRate: number) => number;

/** Options that the Float64 and the tfjs implementations share (the argument table in the README). */
export interface CommonSamOptions {
  variant: SamVariant;
  /** Perturbation radius: constant or a schedule. Default 0.05. Cannot be combined with rhoPerLearningRate. */
  rho?: number | RhoSchedule;
  /** rho_t = c * lr_t (the official --sam_lr_mult). */
  rhoPerLearningRate?: number;
  /** m-SAM: size m of the sub-batches, each with its own perturbation; must divide the batch. Default: the batch size. */
  subBatchSize?: number;
  /** Multi-step ascent K (default 1), each step of size ascentStepSizeMultiplier*rho, projected onto the ball. */
  ascentSteps?: number;
  ascentStepSizeMultiplier?: number;
  /** USAM only: project onto the rho-ball, delta = rho*g*min(1, 1/||g||) (the official --sam_no_grad_norm). */
  usamClipToBall?: boolean;
  /** ASAM: T = |w| + asamEta elementwise. Default 0.01. */
  asamEta?: number;
  /** Random baseline: w + N(0, randomSigma^2 I). Required for variant "random". */
  randomSigma?: number;
  /** Seed of the random baseline's perturbations. Default 0. */
  seed?: number;
  /** epsilon in g/(||g|| + epsilon). Default 1e-12 (the official code's). */
  epsilon?: number;
  /** Weight decay lambda (default 0) and where it acts (default "objective"). */
  weightDecay?: number;
  weightDecayMode?: WeightDecayMode;
}

/** Every option filled in and checked. */
export interface ResolvedSamOptions {
  variant: SamVariant;
  rho: number | RhoSchedule;
  rhoPerLearningRate: number | null;
  subBatchSize: number | null;
  ascentSteps: number;
  ascentStepSizeMultiplier: number;
  usamClipToBall: boolean;
  asamEta: number;
  randomSigma: number;
  seed: number;
  epsilon: number;
  weightDecay: number;
  weightDecayMode: WeightDecayMode;
}

export const COMMON_OPTION_NAMES = [
  "variant",
  "rho",
  "rhoPerLearningRate",
  "subBatchSize",
  "ascentSteps",
  "ascentStepSizeMultiplier",
  "usamClipToBall",
  "asamEta",
  "randomSigma",
  "seed",
  "epsilon",
  "weightDecay",
  "weightDecayMode",
] as const;

export const DEFAULT_RHO = 0.05;
export const DEFAULT_EPSILON = 1e-12;
export const DEFAULT_ASAM_ETA = 0.01;

/** Throws an InputError naming every key of `options` that is not in `allowed`. */
export function rejectUnknownOptions(options: object, allowed: readonly string[], source: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InputError(`${source}: unknown option "${key}"; allowed: ${allowed.join(", ")}`);
    }
  }
}

/** Checks that `value` is one of `allowed`; the message lists them. */
export function checkChoice<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new InputError(`${name}: unknown ${JSON.stringify(value)}; allowed: ${allowed.join(", ")}`);
  }
  return value as T;
}

/** Checks a finite number >= min (or > min when `strict`). */
export function checkNumber(name: string, value: unknown, min: number, strict = false): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InputError(`${name}: must be a finite number, got ${String(value)}`);
  }
  if (strict ? !(value > min) : !(value >= min)) {
    throw new InputError(`${name}: must be ${strict ? ">" : ">="} ${min}, got ${value}`);
  }
  return value;
}

/** Checks an integer >= min. */
export function checkInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new InputError(`${name}: must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new InputError(`${name}: must be true or false, got ${String(value)}`);
  return value;
}

/** Validates the shared options and fills in the defaults. */
export function resolveCommonOptions(options: CommonSamOptions): ResolvedSamOptions {
  if (options == null || typeof options !== "object") {
    throw new InputError(`options: expected an object with at least "variant", got ${String(options)}`);
  }
  const variant = checkChoice("variant", options.variant, SAM_VARIANTS);
  if (options.rho !== undefined && options.rhoPerLearningRate !== undefined) {
    throw new InputError("rho, rhoPerLearningRate: give one of them, not both");
  }
  let rho: number | RhoSchedule = DEFAULT_RHO;
  if (typeof options.rho === "function") rho = options.rho;
  else if (options.rho !== undefined) rho = checkNumber("rho", options.rho, 0);
  const rhoPerLearningRate =
    options.rhoPerLearningRate === undefined ? null : checkNumber("rhoPerLearningRate", options.rhoPerLearningRate, 0);
  if (variant === "random" && options.randomSigma === undefined) {
    throw new InputError('randomSigma: required when variant is "random" (the standard deviation of the perturbation, >= 0)');
  }
  return {
    variant,
    rho,
    rhoPerLearningRate,
    subBatchSize: options.subBatchSize === undefined ? null : checkInteger("subBatchSize", options.subBatchSize, 1),
    ascentSteps: options.ascentSteps === undefined ? 1 : checkInteger("ascentSteps", options.ascentSteps, 1),
    ascentStepSizeMultiplier:
      options.ascentStepSizeMultiplier === undefined
        ? 1
        : checkNumber("ascentStepSizeMultiplier", options.ascentStepSizeMultiplier, 0, true),
    usamClipToBall: options.usamClipToBall === undefined ? false : checkBoolean("usamClipToBall", options.usamClipToBall),
    asamEta: options.asamEta === undefined ? DEFAULT_ASAM_ETA : checkNumber("asamEta", options.asamEta, 0),
    randomSigma: options.randomSigma === undefined ? 0 : checkNumber("randomSigma", options.randomSigma, 0),
    seed: options.seed === undefined ? 0 : checkInteger("seed", options.seed, 0),
    epsilon: options.epsilon === undefined ? DEFAULT_EPSILON : checkNumber("epsilon", options.epsilon, 0),
    weightDecay: options.weightDecay === undefined ? 0 : checkNumber("weightDecay", options.weightDecay, 0),
    weightDecayMode:
      options.weightDecayMode === undefined ? "objective" : checkChoice("weightDecayMode", options.weightDecayMode, WEIGHT_DECAY_MODES),
  };
}

/**
 * The radius of step `step` (0-based) at learning rate `learningRate`: rho_t = c*lr_t with rhoPerLearningRate
 * (SPEC 1.3 g), else the constant or the schedule's value, which is checked to be >= 0.
 */
export function resolveRho(options: ResolvedSamOptions, step: number, learningRate: number): number {
  if (options.rhoPerLearningRate !== null) return options.rhoPerLearningRate * learningRate;
  if (typeof options.rho === "number") return options.rho;
  return checkNumber(`rho(step ${step}, learningRate ${learningRate})`, options.rho(step, learningRate), 0);
}

/** Number of sub-batches b/m of a batch of `batchSize` examples; throws when m does not divide b (SPEC 1.2). */
export function subBatchCount(options: ResolvedSamOptions, batchSize: number): number {
  const m = options.subBatchSize;
  if (m === null) return 1;
  if (batchSize % m !== 0) throw new InputError(`subBatchSize: ${m} does not divide the batch size ${batchSize}`);
  return batchSize / m;
}

/** Checks that the learning rate of a step is a finite number >= 0. */
export function checkLearningRate(learningRate: number): number {
  return checkNumber("learningRate", learningRate, 0);
}
