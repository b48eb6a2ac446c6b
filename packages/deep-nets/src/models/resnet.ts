import * as tf from "@tensorflow/tfjs";
import { SeededRandom, batchNormTraining, groupNormTraining, hasFusedBatchNorm } from "@sam-repro/runtime";
import {
  describeNetwork,
  groupCount,
  type ConvLayer,
  type ModelConfig,
  type NetworkSpec,
  type NormLayer,
  type ParameterSpec,
} from "./architecture.js";
import { groupedLayers } from "./grouped-layers.js";

/** PyTorch's BatchNorm defaults: running = (1 - 0.1) running + 0.1 batch; eps 1e-5 (also GroupNorm's eps). */
export const BATCH_NORM_MOMENTUM = 0.1;
export const NORM_EPSILON = 1e-5;

/**
 * How a forward pass treats normalization:
 * - inference: BatchNorm uses its running statistics (PyTorch eval mode);
 * - training: BatchNorm normalizes with the batch's statistics, and updates the running statistics
 *   only if `updateStatistics` (so a SAM step can decide which of its passes updates them, SPEC 1.4).
 * GroupNorm is the same in both.
 */
export type ForwardMode =
  | { training: false }
  | {
      training: true;
      updateStatistics: boolean;
      /** Running-statistics momentum (default 0.1); 1/k gives a cumulative average. */
      statisticsMomentum?: number;
      /** applyGrouped only: where this pass's k updates fall in m-SAM's interleaved sequence (@sam-repro/sam GroupedPassInfo); default slot 0 of 1. */
      statisticsSlot?: { slot: number; slots: number };
    };

/** Fills a Float32Array with an initializer's values from a seeded generator. */
function initialValues(spec: ParameterSpec, random: SeededRandom): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  const init = spec.init;
  if (init.kind === "constant") values.fill(init.value);
  else if (init.kind === "uniform") for (let i = 0; i < size; i++) values[i] = (2 * random.uniform() - 1) * init.bound;
  else {
    const std = Math.sqrt(2 / init.fanOut);
    for (let i = 0; i < size; i++) values[i] = std * random.normal();
  }
  return values;
}

/**
 * A ResNet built from tfjs ops on its own variables (not tf.layers), so that which pass updates the
 * BatchNorm statistics is explicit and parameter counts are exact. Trainable parameters are
 * `parameters` (in the order of `spec.parameters`); BatchNorm running statistics are the
 * non-trainable `statistics`. Initialization follows SPEC 4.2, from `seed`.
 */
export class ResNet {
  readonly spec: NetworkSpec;
  readonly parameters: tf.Variable[];
  readonly statistics: tf.Variable[];
  private readonly byName = new Map<string, tf.Variable>();

  constructor(readonly config: ModelConfig, seed: number) {
    this.spec = describeNetwork(config);
    const random = new SeededRandom(seed * 65537 + 3);
    const make = (spec: ParameterSpec, trainable: boolean) => {
      // The variable keeps its own reference to the data: the initial tensor is freed here (it leaked before).
      const initial = tf.tensor(initialValues(spec, random), spec.shape, "float32");
      const variable = tf.variable(initial, trainable, `${spec.name}#${uniqueSuffix()}`);
      initial.dispose();
      this.byName.set(spec.name, variable);
      return variable;
    };
    this.parameters = this.spec.parameters.map((spec) => make(spec, true));
    this.statistics = this.spec.statistics.map((spec) => make(spec, false));
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.parameters.reduce((sum, variable) => sum + variable.size, 0);
  }

  get usesBatchNorm(): boolean {
    return this.config.normalization === "batch";
  }

  /** Logits [batch, classes] for images x [batch, 32, 32, 3] in [0, 1]. */
  apply(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
    return forward(this.spec, x, {
      conv: (h, layer) => this.conv(h, layer),
      norm: (h, layer, relu, residual) => this.norm(h, layer, mode, relu, residual),
      linear: (features, weight, bias) => tf.add(tf.matMul(features, this.get(weight) as tf.Tensor2D), this.get(bias)),
    });
  }

  /**
   * Logits [k*m, classes] of k groups of m images, group g evaluated with weights[i][g] in place of
   * parameters[i] (weights[i]: [k, ...shape]): m-SAM's pass on replicated weights (grouped-layers.ts).
   * BatchNorm normalizes each group with its own statistics; running statistics end as after k sequential updates.
   * `shared` (optional, in `parameters` order): tensors that every replica equals (m-SAM's pass at w), which the
   * convolutions then use for all groups at once (@sam-repro/runtime groupedConv2d).
   */
  applyGrouped(x: tf.Tensor4D, mode: ForwardMode, weights: tf.Tensor[], groups: number, shared?: tf.Tensor[]): tf.Tensor2D {
    if (weights.length !== this.parameters.length) throw new Error(`applyGrouped: expected ${this.parameters.length} weight tensors, got ${weights.length}`);
    if (shared && shared.length !== weights.length) throw new Error(`applyGrouped: expected ${weights.length} shared tensors, got ${shared.length}`);
    const byName = new Map(this.spec.parameters.map((spec, i) => [spec.name, i]));
    return forward(
      this.spec,
      x,
      groupedLayers({
        config: this.config,
        weight: (name) => weights[byName.get(name)!]!,
        shared: shared ? (name) => shared[byName.get(name)!]! : undefined,
        statistic: (name) => this.get(name),
        groups,
        mode,
      }),
    );
  }

  private get(name: string): tf.Variable {
    const variable = this.byName.get(name);
    if (!variable) throw new Error(`ResNet: no variable ${name}`);
    return variable;
  }

  private conv(x: tf.Tensor4D, layer: ConvLayer): tf.Tensor4D {
    return tf.conv2d(x, this.get(layer.filter) as tf.Tensor4D, layer.stride, layer.padding === 0 ? "valid" : layer.padding);
  }

  /**
   * BatchNorm as y = x * s + t with s = gamma / sqrt(var + eps), t = beta - mean * s (the form that is
   * fast on wasm, TFJS-BACKENDS.md). Training mode uses the biased batch variance and, when asked,
   * updates running mean and the unbiased running variance with momentum 0.1 (PyTorch). GroupNorm
   * normalizes each sample over (H, W, channels of the group).
   */
  private norm(x: tf.Tensor4D, layer: NormLayer, mode: ForwardMode, relu: boolean, residual?: tf.Tensor4D): tf.Tensor4D {
    const gamma = this.get(layer.scale);
    const beta = this.get(layer.shift);
    if (this.config.normalization === "batch" && mode.training && hasFusedBatchNorm()) {
      // One native kernel each way for BatchNorm (+ residual) + ReLU (the same values as the ops below, to float32
      // rounding; with a residual, bit for bit those of BatchNorm, then Add and Relu).
      const { y, mean, variance } = batchNormTraining(x, gamma, beta, { relu, epsilon: NORM_EPSILON, residual });
      if (mode.updateStatistics) this.updateStatistics(layer, tf.reshape(mean, [-1]), tf.reshape(variance, [-1]), x.shape[0] * x.shape[1] * x.shape[2], mode);
      return y;
    }
    if (residual) return mergeResidual(this.norm(x, layer, mode, false), residual, relu);
    const activation = (y: tf.Tensor4D) => (relu ? tf.relu(y) : y);
    if (this.config.normalization === "group") {
      // Per-sample statistics, the same in training and inference; one fused native kernel each way where present.
      return groupNormTraining(x, gamma, beta, { groups: groupCount(this.config), relu, epsilon: NORM_EPSILON });
    }
    const runningMean = this.get(layer.runningMean!);
    const runningVariance = this.get(layer.runningVariance!);
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (mode.training) {
      ({ mean, variance } = tf.moments(x, [0, 1, 2]));
      if (mode.updateStatistics) this.updateStatistics(layer, mean, variance, x.shape[0] * x.shape[1] * x.shape[2], mode);
    } else {
      mean = runningMean;
      variance = runningVariance;
    }
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, NORM_EPSILON)));
    const shift = tf.sub(beta, tf.mul(mean, scale));
    return activation(tf.add(tf.mul(x, scale), shift));
  }

  /** running = (1 - momentum) running + momentum batch, with the unbiased variance (count / (count - 1)), as PyTorch. */
  private updateStatistics(layer: NormLayer, mean: tf.Tensor, variance: tf.Tensor, count: number, mode: ForwardMode & { training: true }): void {
    const runningMean = this.get(layer.runningMean!);
    const runningVariance = this.get(layer.runningVariance!);
    const unbiased = count > 1 ? count / (count - 1) : 1;
    const momentum = mode.statisticsMomentum ?? BATCH_NORM_MOMENTUM;
    // The update does not feed the loss, so the gradient tape ignores it.
    runningMean.assign(tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum)));
    runningVariance.assign(tf.add(tf.mul(runningVariance, 1 - momentum), tf.mul(variance, momentum * unbiased)));
  }

  /** Weights and statistics as Float32Arrays (copies), in `parameters` then `statistics` order. */
  readWeights(): { parameters: Float32Array[]; statistics: Float32Array[] } {
    return {
      parameters: this.parameters.map((v) => v.dataSync().slice() as Float32Array),
      statistics: this.statistics.map((v) => v.dataSync().slice() as Float32Array),
    };
  }

  /** Overwrites weights (and statistics when given) with exact copies of the values. */
  writeWeights(weights: { parameters: Float32Array[]; statistics?: Float32Array[] }): void {
    assign(this.parameters, weights.parameters, "parameters");
    if (weights.statistics) assign(this.statistics, weights.statistics, "statistics");
  }

  dispose(): void {
    for (const variable of [...this.parameters, ...this.statistics]) variable.dispose();
  }
}

/** The network's layers, by kind: plain (one set of weights) or grouped (replicated weights, grouped-layers.ts). */
export interface LayerOps {
  conv(x: tf.Tensor4D, layer: ConvLayer): tf.Tensor4D;
  /**
   * Normalization, plus `residual` when given (a post-activation block's merge: relu(norm(x) + shortcut)), then ReLU
   * when `relu`; fused where the backend can.
   */
  norm(x: tf.Tensor4D, layer: NormLayer, relu: boolean, residual?: tf.Tensor4D): tf.Tensor4D;
  /** features [batch, inFeatures] -> logits [batch, classes] with the named weight and bias. */
  linear(features: tf.Tensor2D, weight: string, bias: string): tf.Tensor2D;
}

/** The forward pass of SPEC 4.2 (see architecture.ts) over any LayerOps. */
function forward(spec: NetworkSpec, x: tf.Tensor4D, ops: LayerOps): tf.Tensor2D {
  const { stem, blocks, headNorm, linear } = spec;
  let h = ops.conv(x, stem.conv);
  if (stem.norm) h = ops.norm(h, stem.norm, true);
  const preact = spec.config.architecture === "preact";
  for (const block of blocks) {
    if (preact) {
      const activated = ops.norm(h, block.norm1, true);
      const shortcut = block.shortcut ? ops.conv(activated, block.shortcut.conv) : h;
      let out = ops.conv(activated, block.conv1);
      out = ops.conv(ops.norm(out, block.norm2, true), block.conv2);
      h = tf.add(out, shortcut);
    } else {
      const out = ops.norm(ops.conv(h, block.conv1), block.norm1, true);
      let shortcut = h;
      if (block.shortcut) {
        shortcut = ops.conv(h, block.shortcut.conv);
        if (block.shortcut.norm) shortcut = ops.norm(shortcut, block.shortcut.norm, false);
      }
      h = ops.norm(ops.conv(out, block.conv2), block.norm2, true, shortcut);
    }
  }
  if (headNorm) h = ops.norm(h, headNorm, true);
  // Average pooling over the final 4x4 map (avgpool 4 in the official code) is the global mean.
  const features = tf.mean(h, [1, 2]) as tf.Tensor2D;
  return ops.linear(features, linear.weight, linear.bias);
}

/** relu?(normalized + residual): a post-activation block's merge where the normalization is not fused with it. */
export function mergeResidual(normalized: tf.Tensor4D, residual: tf.Tensor4D, relu: boolean): tf.Tensor4D {
  const merged = tf.add(normalized, residual) as tf.Tensor4D;
  return relu ? tf.relu(merged) : merged;
}

function assign(variables: tf.Variable[], values: Float32Array[], what: string): void {
  if (values.length !== variables.length) throw new Error(`${what}: expected ${variables.length} tensors, got ${values.length}`);
  variables.forEach((variable, i) => {
    const value = values[i]!;
    if (value.length !== variable.size) throw new Error(`${what}[${i}] (${variable.name}): expected ${variable.size} values, got ${value.length}`);
    tf.tidy(() => variable.assign(tf.tensor(value, variable.shape, "float32")));
  });
}

let nextSuffix = 0;
// tfjs variable names must be unique per engine; several models live side by side (EMA, interpolation).
function uniqueSuffix(): number {
  return nextSuffix++;
}
