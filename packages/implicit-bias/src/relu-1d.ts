import { SeededRandom } from "@sam-repro/runtime";

/** The 12 one-dimensional training points of SPEC 1.6 ("same data as paper by Maennel"). */
export function maennelData(): { x: Float64Array; y: Float64Array } {
  const offsets = [-5.5, -4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5];
  const targets = [-2, 1.5, 0, 0, 2, 1, 0, -1, 0, 1, 2, -1];
  return {
    x: Float64Array.from(offsets, (offset) => offset / 4 + 0.07),
    y: Float64Array.from(targets, (target) => 0.345 + target),
  };
}

/** A 1 -> H ReLU -> 1 network f(x) = sum_k a_k relu(w_k x + b_k): hidden bias, no output bias (SPEC 1.6). */
export interface ReluNet {
  hiddenWeight: Float64Array;
  hiddenBias: Float64Array;
  outputWeight: Float64Array;
}

/**
 * Initialization of SPEC 1.6 (Blanc et al., init_scale s): hidden weights +-2.5 s with a random sign, hidden
 * biases ~ N(0, (2.5 s)^2), output weights ~ N(0, (4 s)^2), drawn in that order from `seed`.
 */
export function initReluNet(width: number, seed: number, initScale = 1): ReluNet {
  const random = new SeededRandom(seed);
  const hiddenWeight = Float64Array.from({ length: width }, () => (random.uniform() < 0.5 ? -2.5 : 2.5) * initScale);
  const hiddenBias = Float64Array.from({ length: width }, () => 2.5 * initScale * random.normal());
  const outputWeight = Float64Array.from({ length: width }, () => 4 * initScale * random.normal());
  return { hiddenWeight, hiddenBias, outputWeight };
}

/** f(x) for every x. */
export function evaluateReluNet(net: ReluNet, xs: ArrayLike<number>): Float64Array {
  const out = new Float64Array(xs.length);
  const width = net.hiddenWeight.length;
  for (let i = 0; i < xs.length; i++) {
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const pre = net.hiddenWeight[k]! * xs[i]! + net.hiddenBias[k]!;
      if (pre > 0) sum += net.outputWeight[k]! * pre;
    }
    out[i] = sum;
  }
  return out;
}

export interface ReluTrainingOptions {
  /** Maximum learning rate (the notebook's lr_max = 5e-5). */
  learningRate: number;
  /** 0 = GD; > 0 = SAM with normalized ascent w + rho grad / ||grad|| (global norm). */
  rho: number;
  /** Steps are taken while step < maxIterations + 1 and the loss > lossTarget (notebook: 10^6 + 1, 1e-5). */
  maxIterations: number;
  lossTarget: number;
  /**
   * SAM only: descent lr_t = lr_max (1 - t / decayHorizon) at 1-based step t (the notebook decays linearly
   * over its 10^6 iterations in the SAM branch only; GD keeps lr_max).
   */
  decayHorizon: number;
  /** Called every `progressEvery` steps with (step, loss). */
  onProgress?: (step: number, loss: number) => void;
  progressEvery?: number;
}

export interface ReluTrainingResult {
  net: ReluNet;
  steps: number;
  /** Loss 0.5 sum_i (f(x_i) - y_i)^2 at the final parameters. */
  finalLoss: number;
  /** The loss the stopping rule last saw (for SAM: at the perturbed point, as in the notebook). */
  lastCheckedLoss: number;
  diverged: boolean;
}

/**
 * Full-batch GD or SAM on the 1-D ReLU regression of SPEC 1.6, loss L(w) = 0.5 sum_i (f_w(x_i) - y_i)^2.
 * GD: w <- w - lr grad L(w). SAM: w <- w - lr_t grad L(w + rho grad L(w) / ||grad L(w)||). As in the
 * notebook, the loop runs while step < maxIterations + 1 and the checked loss (the loss at the point where
 * the descent gradient is taken) exceeds lossTarget. The batch is the whole data set in a fixed order (the
 * notebook shuffles it, which changes only the summation order). Buffers are allocated once; steps allocate nothing.
 */
export function trainReluNet(data: { x: Float64Array; y: Float64Array }, start: ReluNet, options: ReluTrainingOptions): ReluTrainingResult {
  const width = start.hiddenWeight.length;
  const count = data.x.length;
  const parameters = new Float64Array(3 * width);
  parameters.set(start.hiddenWeight, 0);
  parameters.set(start.hiddenBias, width);
  parameters.set(start.outputWeight, 2 * width);
  const gradient = new Float64Array(3 * width);
  const perturbed = new Float64Array(3 * width);
  const errors = new Float64Array(count);
  const { x, y } = data;

  // Pre-activations of the last forward pass, reused by the backward pass (count x width).
  const preActivations = new Float64Array(count * width);

  // Loss and gradient of 0.5 sum_i (f(x_i) - y_i)^2 at `point` (layout [w; b; a]).
  const lossAndGradient = (point: Float64Array, out: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < count; i++) {
      const xi = x[i]!;
      const offset = i * width;
      let prediction = 0;
      for (let k = 0; k < width; k++) {
        const pre = point[k]! * xi + point[width + k]!;
        preActivations[offset + k] = pre;
        if (pre > 0) prediction += point[2 * width + k]! * pre;
      }
      const error = prediction - y[i]!;
      errors[i] = error;
      loss += error * error;
    }
    out.fill(0);
    for (let i = 0; i < count; i++) {
      const xi = x[i]!;
      const error = errors[i]!;
      const offset = i * width;
      for (let k = 0; k < width; k++) {
        const pre = preActivations[offset + k]!;
        if (pre > 0) {
          const back = error * point[2 * width + k]!;
          out[k]! += back * xi;
          out[width + k]! += back;
          out[2 * width + k]! += error * pre;
        }
      }
    }
    return loss / 2;
  };

  let step = 0;
  let checkedLoss = Number.POSITIVE_INFINITY;
  let diverged = false;
  const progressEvery = options.progressEvery ?? 10000;
  while (step < options.maxIterations + 1 && checkedLoss > options.lossTarget) {
    step++;
    checkedLoss = lossAndGradient(parameters, gradient);
    let learningRate = options.learningRate;
    if (options.rho > 0) {
      let squared = 0;
      for (let p = 0; p < gradient.length; p++) squared += gradient[p]! * gradient[p]!;
      const scale = options.rho / Math.sqrt(squared);
      for (let p = 0; p < gradient.length; p++) perturbed[p] = parameters[p]! + scale * gradient[p]!;
      checkedLoss = lossAndGradient(perturbed, gradient);
      learningRate = options.learningRate * (1 - step / options.decayHorizon);
    }
    if (!Number.isFinite(checkedLoss)) {
      diverged = true;
      break;
    }
    for (let p = 0; p < parameters.length; p++) parameters[p] = parameters[p]! - learningRate * gradient[p]!;
    if (options.onProgress && step % progressEvery === 0) options.onProgress(step, checkedLoss);
  }
  const net: ReluNet = {
    hiddenWeight: parameters.slice(0, width),
    hiddenBias: parameters.slice(width, 2 * width),
    outputWeight: parameters.slice(2 * width),
  };
  const finalLoss = lossAndGradient(parameters, gradient);
  return { net, steps: step, finalLoss, lastCheckedLoss: checkedLoss, diverged: diverged || !Number.isFinite(finalLoss) };
}

export interface KinkSummary {
  /** Total variation of f' over [from, to]: sum over kinks inside of |a_k w_k| (the integral of |f''|). */
  slopeVariation: number;
  /** Number of distinct kink locations in [from, to] whose slope change exceeds `threshold` (kinks closer than `merge` are one). */
  kinks: number;
}

/**
 * Kinks of f(x) = sum_k a_k relu(w_k x + b_k): unit k bends f at x = -b_k / w_k by a slope change of a_k |w_k|.
 * Summarizes the bends inside [from, to]: total slope variation (integral of |f''|) and the number of
 * distinct kinks with |slope change| > threshold, merging kinks closer than `merge` (adding their changes).
 */
export function kinkSummary(net: ReluNet, from: number, to: number, threshold = 0.1, merge = 0.01): KinkSummary {
  const bends: Array<{ at: number; change: number }> = [];
  for (let k = 0; k < net.hiddenWeight.length; k++) {
    const w = net.hiddenWeight[k]!;
    if (w === 0) continue;
    const at = -net.hiddenBias[k]! / w;
    if (at >= from && at <= to) bends.push({ at, change: net.outputWeight[k]! * Math.abs(w) });
  }
  bends.sort((p, q) => p.at - q.at);
  let slopeVariation = 0;
  let kinks = 0;
  let index = 0;
  while (index < bends.length) {
    let change = 0;
    const start = bends[index]!.at;
    while (index < bends.length && bends[index]!.at - start <= merge) change += bends[index++]!.change;
    slopeVariation += Math.abs(change);
    if (Math.abs(change) > threshold) kinks++;
  }
  return { slopeVariation, kinks };
}
