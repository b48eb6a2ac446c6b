import { SeededRandom } from "@sam-repro/runtime";
import { squaredLoss, type RegressionProblem } from "./problem.js";

/** Training methods of SPEC 1.5: full-batch GD, one-example SGD, full-batch unnormalized n-SAM, per-example 1-SAM. */
export const DIAG_NET_METHODS = ["gd", "sgd", "nsam", "1sam"] as const;
export type DiagNetMethod = (typeof DIAG_NET_METHODS)[number];

/** Display names used in figures and tables (the paper calls GD "ERM"). */
export const METHOD_LABELS: Record<DiagNetMethod, string> = { gd: "ERM", sgd: "SGD", nsam: "n-SAM", "1sam": "1-SAM" };

/** The parameters (u, v) of the diagonal linear network beta = u * v. */
export interface DiagNetState {
  u: Float64Array;
  v: Float64Array;
}

export interface DiagNetOptions {
  method: DiagNetMethod;
  /** Step size gamma. */
  gamma: number;
  /** n-SAM: ascent multiplier rho; 1-SAM: the official code's rho (the ascent uses 2 rho, SPEC 1.5). */
  rho?: number;
  /** Number of steps of `method`. */
  iterations: number;
  /** GD only: u <- u - gamma grad_u - wd u (official `wd`). */
  weightDecay?: number;
  /** GD only: official `balancedness` term, shrinking the larger of |u_j|, |v_j| and growing the smaller. */
  balancedness?: number;
  /** GD only: normalize grad_u and grad_v separately when both norms are > 0 (official `normalized_gd`). */
  normalizedGd?: boolean;
  /** GD only: halve gamma after the step of each listed 0-based iteration index (official `thresholds`). */
  thresholds?: readonly number[];
  /** 1-SAM only: descent factor uses the unperturbed u, v (official `loss_derivative_only`). */
  lossDerivativeOnly?: boolean;
  /** SGD only: seed of the example sampler (uniform, with replacement). */
  seed?: number;
  /** Step counts (0 = initial point, t = after t steps) at which train and test losses are recorded; ascending. */
  recordAt?: ArrayLike<number>;
  /** Record test losses too (default true). */
  recordTest?: boolean;
  /**
   * Accumulate, per coordinate, the log of the closed-form one-step factor of u^2 - v^2 (SPEC 2.2) and the
   * first-order flow exponent. Only for the plain methods (no GD options, no loss-derivative-only).
   */
  trackShrink?: boolean;
}

export interface LossCurve {
  /** Number of steps completed at each record. */
  step: number[];
  trainLoss: number[];
  testLoss: number[];
}

export interface DiagNetRun {
  method: DiagNetMethod;
  /** Final parameters (copies; the input state is not modified). */
  u: Float64Array;
  v: Float64Array;
  /** Steps completed: `iterations`, or the step at which the iterate became non-finite. */
  steps: number;
  diverged: boolean;
  trainLoss: number;
  testLoss: number;
  curve: LossCurve;
  /**
   * Present with `trackShrink`: `discreteLogFactor[j]` = sum over steps of log(closed-form factor of u_j^2 - v_j^2),
   * which must equal log(a_eff_j^2 / a_0j^2); `flowExponent[j]` = the first-order (gradient-flow) exponent:
   * 0 for GD/SGD, -2 rho gamma sum_t g_j g~_j for n-SAM, -(4 rho gamma / n) sum_t sum_k r_k r~_k x_kj^2 for 1-SAM.
   */
  shrink?: { discreteLogFactor: Float64Array; flowExponent: Float64Array };
}

/** u_0 = alpha 1, v_0 = 0 (SPEC 2.1). */
export function initialState(d: number, alpha: number): DiagNetState {
  return { u: new Float64Array(d).fill(alpha), v: new Float64Array(d) };
}

/** beta = u * v. */
export function predictor(state: DiagNetState): Float64Array {
  const beta = new Float64Array(state.u.length);
  for (let j = 0; j < beta.length; j++) beta[j] = state.u[j]! * state.v[j]!;
  return beta;
}

/**
 * Trains diagonal linear networks on one problem with the update rules of SPEC 1.5 (the official
 * `diag_nets.py` semantics, including 1-SAM's factor 2 in the ascent). All work buffers are allocated once
 * per trainer; a step allocates nothing. Inner loops are fused Float64Array loops:
 * - GD:    g = X^T(X(u*v) - y) / n (as K(u*v) - b with K = X^T X / n when d < 2n), u <- u - gamma g*v,
 *          v <- v - gamma g*u (both from the old u, v);
 * - SGD:   i uniform, u <- u - gamma r_i x_i*v, v <- v - gamma r_i x_i*u;
 * - n-SAM: u~ = u + rho g*v, v~ = v + rho g*u, g~ = X^T(X(u~*v~) - y)/n, u <- u - gamma g~*v~, v <- v - gamma g~*u~;
 * - 1-SAM: c_k = 2 rho r_k, u~_k = u + c_k x_k*v, v~_k = v + c_k x_k*u, r~_k = x_k.(u~_k*v~_k) - y_k,
 *          u <- u - (gamma/n) sum_k r~_k v~_k*x_k, v <- v - (gamma/n) sum_k r~_k u~_k*x_k.
 *   Here r~_k is computed in closed form, r~_k = r_k + c_k sum_j x_kj^2 (u_j^2 + v_j^2) + c_k^2 sum_j x_kj^3 u_j v_j,
 *   so one 1-SAM step costs about three passes over X instead of n full perturbed forward passes.
 */
export class DiagNetTrainer {
  readonly n: number;
  readonly d: number;
  private readonly X: Float64Array;
  private readonly y: Float64Array;
  private readonly XSquared: Float64Array;
  private readonly XCubed: Float64Array;
  private readonly beta: Float64Array;
  private readonly grad: Float64Array;
  private readonly uTilde: Float64Array;
  private readonly vTilde: Float64Array;
  private readonly gradTilde: Float64Array;
  /** 1-SAM sums P = sum_k r~_k x_k and Q = sum_k r~_k c_k x_k^2. */
  private readonly residualSum: Float64Array;
  private readonly curvatureSum: Float64Array;
  private readonly normSquared: Float64Array;
  /** K = X^T X / n (d x d, row-major) when d < 2n, else null; b = X^T y / n; ||y||^2 / (2n). */
  private readonly gram: Float64Array | null;
  private readonly moment: Float64Array;
  private readonly targetEnergy: number;

  constructor(readonly problem: RegressionProblem) {
    const { n, d } = problem;
    this.n = n;
    this.d = d;
    this.X = problem.X;
    this.y = problem.y;
    this.XSquared = new Float64Array(n * d);
    this.XCubed = new Float64Array(n * d);
    for (let index = 0; index < n * d; index++) {
      const x = this.X[index]!;
      this.XSquared[index] = x * x;
      this.XCubed[index] = x * x * x;
    }
    this.beta = new Float64Array(d);
    this.grad = new Float64Array(d);
    this.uTilde = new Float64Array(d);
    this.vTilde = new Float64Array(d);
    this.gradTilde = new Float64Array(d);
    this.residualSum = new Float64Array(d);
    this.curvatureSum = new Float64Array(d);
    this.normSquared = new Float64Array(d);
    this.moment = new Float64Array(d);
    let energy = 0;
    for (let i = 0; i < n; i++) {
      energy += this.y[i]! ** 2;
      for (let j = 0; j < d; j++) this.moment[j]! += (this.X[i * d + j]! * this.y[i]!) / n;
    }
    this.targetEnergy = energy / (2 * n);
    this.gram = d < 2 * n ? new Float64Array(d * d) : null;
    if (this.gram) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const xj = this.X[i * d + j]! / n;
          for (let k = 0; k < d; k++) this.gram[j * d + k]! += xj * this.X[i * d + k]!;
        }
      }
    }
  }

  /** Training loss ||X(u*v) - y||^2 / (2n). */
  trainLoss(state: DiagNetState): number {
    return squaredLoss(this.X, this.y, this.predictorOf(state));
  }

  /** Test loss ||X_test(u*v) - y_test||^2 / (2 n_test). */
  testLoss(state: DiagNetState): number {
    return squaredLoss(this.problem.Xtest, this.problem.ytest, this.predictorOf(state));
  }

  /** beta = u*v in the trainer's buffer. */
  private predictorOf(state: DiagNetState): Float64Array {
    for (let j = 0; j < this.d; j++) this.beta[j] = state.u[j]! * state.v[j]!;
    return this.beta;
  }

  /** Runs `options.iterations` steps of `options.method` from `start` (not modified). Stops early on NaN/Inf. */
  run(start: DiagNetState, options: DiagNetOptions): DiagNetRun {
    validateOptions(options, this.d);
    const u = Float64Array.from(start.u);
    const v = Float64Array.from(start.v);
    const state = { u, v };
    const recordAt = options.recordAt ?? [];
    const recordTest = options.recordTest ?? true;
    const curve: LossCurve = { step: [], trainLoss: [], testLoss: [] };
    let nextRecord = 0;
    const record = (step: number) => {
      while (nextRecord < recordAt.length && recordAt[nextRecord]! < step) nextRecord++;
      if (nextRecord < recordAt.length && recordAt[nextRecord] === step) {
        curve.step.push(step);
        curve.trainLoss.push(this.trainLoss(state));
        curve.testLoss.push(recordTest ? this.testLoss(state) : Number.NaN);
        nextRecord++;
      }
    };
    const shrink = options.trackShrink
      ? { discreteLogFactor: new Float64Array(this.d), flowExponent: new Float64Array(this.d) }
      : undefined;
    const rho = options.rho ?? 0;
    const thresholds = new Set(options.thresholds ?? []);
    const sampler = options.method === "sgd" ? new SeededRandom(options.seed ?? 0) : null;
    let gamma = options.gamma;
    let steps = 0;
    let diverged = false;
    record(0);
    for (let iteration = 0; iteration < options.iterations; iteration++) {
      let lossBefore: number;
      switch (options.method) {
        case "gd":
          lossBefore = this.gdStep(u, v, gamma, options, shrink);
          break;
        case "sgd":
          lossBefore = this.sgdStep(u, v, gamma, sampler!.integer(this.n), shrink);
          break;
        case "nsam":
          lossBefore = this.nSamStep(u, v, gamma, rho, shrink);
          break;
        case "1sam":
          lossBefore = this.oneSamStep(u, v, gamma, rho, options.lossDerivativeOnly ?? false, shrink);
          break;
      }
      if (!Number.isFinite(lossBefore)) {
        diverged = true;
        break;
      }
      steps = iteration + 1;
      if (thresholds.has(iteration)) gamma /= 2;
      record(steps);
    }
    const trainLoss = this.trainLoss(state);
    if (!Number.isFinite(trainLoss)) diverged = true;
    const testLoss = diverged ? Number.NaN : this.testLoss(state);
    return { method: options.method, u, v, steps, diverged, trainLoss, testLoss, curve, ...(shrink ? { shrink } : {}) };
  }

  /**
   * gradient = X^T (X(u*v) - y) / n; returns the loss at (u, v), which the steps use only to detect divergence.
   * When d < 2n the gradient is K beta - b with K = X^T X / n and b = X^T y / n (d^2 instead of 2nd products)
   * and the loss is the quadratic form beta^T K beta / 2 - b^T beta + ||y||^2 / (2n), which loses relative
   * accuracy near 0 but turns non-finite exactly when the iterate does. Otherwise one pass over the rows
   * reuses each row for the residual and the gradient while it is in cache.
   */
  private lossAndGradient(u: Float64Array, v: Float64Array, gradient: Float64Array): number {
    const { n, d, X, y, beta, gram, moment } = this;
    for (let j = 0; j < d; j++) beta[j] = u[j]! * v[j]!;
    if (gram) {
      let quadratic = 0;
      let linear = 0;
      for (let j = 0; j < d; j++) {
        const offset = j * d;
        let sum = 0;
        for (let k = 0; k < d; k++) sum += gram[offset + k]! * beta[k]!;
        gradient[j] = sum - moment[j]!;
        quadratic += beta[j]! * sum;
        linear += moment[j]! * beta[j]!;
      }
      return quadratic / 2 - linear + this.targetEnergy;
    }
    gradient.fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let prediction = 0;
      const offset = i * d;
      for (let j = 0; j < d; j++) prediction += X[offset + j]! * beta[j]!;
      const r = prediction - y[i]!;
      sum += r * r;
      const weight = r / n;
      for (let j = 0; j < d; j++) gradient[j]! += X[offset + j]! * weight;
    }
    return sum / (2 * n);
  }

  private gdStep(u: Float64Array, v: Float64Array, gamma: number, options: DiagNetOptions, shrink?: DiagNetRun["shrink"]): number {
    const { d, grad } = this;
    const loss = this.lossAndGradient(u, v, grad);
    let scaleU = 1;
    let scaleV = 1;
    if (options.normalizedGd) {
      let normU = 0;
      let normV = 0;
      for (let j = 0; j < d; j++) {
        normU += (grad[j]! * v[j]!) ** 2;
        normV += (grad[j]! * u[j]!) ** 2;
      }
      if (normU > 0 && normV > 0) {
        scaleU = 1 / Math.sqrt(normU);
        scaleV = 1 / Math.sqrt(normV);
      }
    }
    const weightDecay = options.weightDecay ?? 0;
    const balancedness = options.balancedness ?? 0;
    for (let j = 0; j < d; j++) {
      const uj = u[j]!;
      const vj = v[j]!;
      const g = grad[j]!;
      let uNew = uj - gamma * scaleU * g * vj;
      let vNew = vj - gamma * scaleV * g * uj;
      if (weightDecay !== 0) {
        uNew -= weightDecay * uj;
        vNew -= weightDecay * vj;
      }
      if (balancedness !== 0) {
        uNew -= balancedness * uj * (Math.abs(uj) > Math.abs(vj) ? 1 : -1);
        // The official code updates u first, so v's indicator compares |v| with the *updated* u.
        vNew -= balancedness * vj * (Math.abs(vj) > Math.abs(uNew) ? 1 : -1);
      }
      u[j] = uNew;
      v[j] = vNew;
      if (shrink) shrink.discreteLogFactor[j]! += Math.log(1 - gamma * gamma * g * g);
    }
    return loss;
  }

  private sgdStep(u: Float64Array, v: Float64Array, gamma: number, example: number, shrink?: DiagNetRun["shrink"]): number {
    const { d, X, y } = this;
    const offset = example * d;
    let prediction = 0;
    for (let j = 0; j < d; j++) prediction += X[offset + j]! * u[j]! * v[j]!;
    const r = prediction - y[example]!;
    for (let j = 0; j < d; j++) {
      const step = gamma * r * X[offset + j]!;
      const uj = u[j]!;
      u[j] = uj - step * v[j]!;
      v[j] = v[j]! - step * uj;
      if (shrink) shrink.discreteLogFactor[j]! += Math.log(1 - step * step);
    }
    // The per-example loss stands in for the full loss: it turns non-finite exactly when the iterate does.
    return (r * r) / 2;
  }

  private nSamStep(u: Float64Array, v: Float64Array, gamma: number, rho: number, shrink?: DiagNetRun["shrink"]): number {
    const { d, grad, gradTilde, uTilde, vTilde } = this;
    const loss = this.lossAndGradient(u, v, grad);
    for (let j = 0; j < d; j++) {
      uTilde[j] = u[j]! + rho * grad[j]! * v[j]!;
      vTilde[j] = v[j]! + rho * grad[j]! * u[j]!;
    }
    this.lossAndGradient(uTilde, vTilde, gradTilde);
    for (let j = 0; j < d; j++) {
      const gt = gradTilde[j]!;
      u[j] = u[j]! - gamma * gt * vTilde[j]!;
      v[j] = v[j]! - gamma * gt * uTilde[j]!;
      if (shrink) {
        const g = grad[j]!;
        shrink.discreteLogFactor[j]! += Math.log(1 - 2 * gamma * rho * g * gt - gamma * gamma * gt * gt * (1 - rho * rho * g * g));
        shrink.flowExponent[j]! -= 2 * rho * gamma * g * gt;
      }
    }
    return loss;
  }

  /**
   * 1-SAM in two passes per example k. Pass 1 reads row k once for r_k, q_k = sum_j x_kj^2 (u_j^2 + v_j^2) and
   * s_k = sum_j x_kj^3 u_j v_j, giving r~_k = r_k + c_k q_k + c_k^2 s_k. Pass 2 accumulates
   * P = sum_k r~_k x_k and Q = sum_k r~_k c_k x_k^2, since sum_k r~_k x_k*v~_k = v*P + u*Q and
   * sum_k r~_k x_k*u~_k = u*P + v*Q.
   */
  private oneSamStep(
    u: Float64Array,
    v: Float64Array,
    gamma: number,
    rho: number,
    lossDerivativeOnly: boolean,
    shrink?: DiagNetRun["shrink"],
  ): number {
    const { n, d, X, y, XSquared, XCubed, beta, normSquared, residualSum: P, curvatureSum: Q } = this;
    for (let j = 0; j < d; j++) {
      const uj = u[j]!;
      const vj = v[j]!;
      beta[j] = uj * vj;
      normSquared[j] = uj * uj + vj * vj;
      P[j] = 0;
      Q[j] = 0;
    }
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const offset = k * d;
      let prediction = 0;
      let quadratic = 0;
      let cubic = 0;
      for (let j = 0; j < d; j++) {
        const b = beta[j]!;
        prediction += X[offset + j]! * b;
        quadratic += XSquared[offset + j]! * normSquared[j]!;
        cubic += XCubed[offset + j]! * b;
      }
      const rk = prediction - y[k]!;
      sum += rk * rk;
      // Factor 2 of the official code: the ascent uses the gradient of r_k^2, not of r_k^2 / 2.
      const c = 2 * rho * rk;
      const rTilde = rk + c * quadratic + c * c * cubic;
      const cTilde = rTilde * c;
      for (let j = 0; j < d; j++) {
        P[j]! += rTilde * X[offset + j]!;
        Q[j]! += cTilde * XSquared[offset + j]!;
      }
    }
    const scale = gamma / n;
    if (lossDerivativeOnly) {
      for (let j = 0; j < d; j++) {
        const uj = u[j]!;
        u[j] = uj - scale * v[j]! * P[j]!;
        v[j] = v[j]! - scale * uj * P[j]!;
      }
    } else {
      for (let j = 0; j < d; j++) {
        const uj = u[j]!;
        const vj = v[j]!;
        u[j] = uj - scale * (vj * P[j]! + uj * Q[j]!);
        v[j] = vj - scale * (uj * P[j]! + vj * Q[j]!);
        if (shrink) {
          // u'^2 - v'^2 = (u^2 - v^2) (1 - 2 scale Q - scale^2 (P - Q)(P + Q)), SPEC 2.2 with Q = 2 rho sum_k r_k r~_k x_k^2.
          const firstOrder = 2 * scale * Q[j]!;
          shrink.discreteLogFactor[j]! += Math.log(1 - firstOrder - scale * scale * (P[j]! - Q[j]!) * (P[j]! + Q[j]!));
          shrink.flowExponent[j]! -= firstOrder;
        }
      }
    }
    return sum / (2 * n);
  }
}

/**
 * One run per rho of `series.method` at gamma = gammaTimesD / d from u0 = alpha, v0 = 0, final losses only
 * (the notebook's rho sweeps, SPEC 3.5 D2-D4). One trainer serves all runs.
 */
export function runOverRhos(
  problem: RegressionProblem,
  alpha: number,
  iterations: number,
  series: { method: DiagNetMethod; gammaTimesD: number; rhos: readonly number[] },
): DiagNetRun[] {
  const trainer = new DiagNetTrainer(problem);
  return series.rhos.map((rho) =>
    trainer.run(initialState(problem.d, alpha), { method: series.method, gamma: series.gammaTimesD / problem.d, rho, iterations }),
  );
}

/** Rejects options that the official code does not combine (SPEC 1.5) and malformed values. */
function validateOptions(options: DiagNetOptions, d: number): void {
  const { method } = options;
  if (!(DIAG_NET_METHODS as readonly string[]).includes(method)) {
    throw new Error(`method: unknown "${method}"; allowed: ${DIAG_NET_METHODS.join(", ")}`);
  }
  if (!(options.gamma > 0) || !Number.isFinite(options.gamma)) throw new Error(`gamma: expected a positive number, got ${options.gamma}`);
  if (!Number.isInteger(options.iterations) || options.iterations < 0) {
    throw new Error(`iterations: expected a non-negative integer, got ${options.iterations}`);
  }
  if (options.rho !== undefined && (!(options.rho >= 0) || !Number.isFinite(options.rho))) {
    throw new Error(`rho: expected a non-negative number, got ${options.rho}`);
  }
  const gdOnly = options.weightDecay || options.balancedness || options.normalizedGd || options.thresholds?.length;
  if (gdOnly && method !== "gd") {
    throw new Error(`weightDecay, balancedness, normalizedGd and thresholds apply to method gd only (got method ${method})`);
  }
  if (options.lossDerivativeOnly && method !== "1sam") {
    throw new Error(`lossDerivativeOnly applies to method 1sam only (got method ${method})`);
  }
  if (options.trackShrink && (gdOnly || options.lossDerivativeOnly)) {
    throw new Error("trackShrink: the closed-form factors hold only for the plain methods (no GD options, no lossDerivativeOnly)");
  }
  if (d < 1) throw new Error("the problem has no features");
}

/**
 * The notebook's loss-recording schedule (SPEC 1.5), as step counts: after steps 1..500 and after
 * round(logspace(0, log10(maxStep), points)) steps, restricted to <= maxStep, plus step 0.
 */
export function recordSchedule(maxStep: number, points = 201, dense = 500): number[] {
  const steps = new Set<number>([0]);
  for (let t = 1; t <= Math.min(dense, maxStep); t++) steps.add(t);
  if (maxStep >= 1) {
    const top = Math.log10(maxStep);
    for (let k = 0; k < points; k++) steps.add(Math.round(10 ** ((top * k) / Math.max(1, points - 1))));
  }
  steps.add(maxStep);
  return [...steps].filter((t) => t <= maxStep).sort((a, b) => a - b);
}
