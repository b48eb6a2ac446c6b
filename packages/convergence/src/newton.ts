/**
 * Newton-type solvers in a few dozen dimensions (SPEC 2.4 checks): a damped Newton minimizer that finds a local
 * minimum of L (not a saddle), and Newton's method for F(w) = 0, used for the point where constant-rho USAM
 * settles. The linear solves use mathjs.
 */
import { lusolve } from "mathjs";

export interface NewtonResult {
  solution: Float64Array;
  /** ||F(solution)||. */
  residual: number;
  iterations: number;
  converged: boolean;
}

/**
 * Solves F(w) = 0 from w0 with w <- w - t J(w)^{-1} F(w), halving t until ||F|| decreases (at most 30 halvings).
 * `jacobian` returns the row-major d x d matrix dF/dw; without one it is formed by forward differences
 * with step 1e-6 * max(1, |w_j|).
 */
export function newtonSolve(
  residualFunction: (w: Float64Array, out: Float64Array) => void,
  initial: Float64Array,
  options: { maxIterations?: number; tolerance?: number; jacobian?: (w: Float64Array) => Float64Array } = {},
): NewtonResult {
  const d = initial.length;
  const maxIterations = options.maxIterations ?? 30;
  const tolerance = options.tolerance ?? 1e-13;
  const w = Float64Array.from(initial);
  const value = new Float64Array(d);
  const trial = new Float64Array(d);
  const trialValue = new Float64Array(d);
  residualFunction(w, value);
  let residual = norm(value);
  let iterations = 0;
  while (iterations < maxIterations && residual > tolerance) {
    iterations++;
    const jacobian = options.jacobian ? options.jacobian(w) : finiteDifferenceJacobian(residualFunction, w, value);
    const rows = Array.from({ length: d }, (_, a) => Array.from(jacobian.subarray(a * d, (a + 1) * d)));
    let step: number[];
    try {
      step = (lusolve(rows, Array.from(value)) as number[][]).map((row) => row[0]!);
    } catch {
      break;
    }
    let scale = 1;
    let improved = false;
    for (let halving = 0; halving < 30; halving++) {
      for (let j = 0; j < d; j++) trial[j] = w[j]! - scale * step[j]!;
      residualFunction(trial, trialValue);
      const trialResidual = norm(trialValue);
      if (Number.isFinite(trialResidual) && trialResidual < residual) {
        w.set(trial);
        value.set(trialValue);
        residual = trialResidual;
        improved = true;
        break;
      }
      scale /= 2;
    }
    if (!improved) break;
  }
  return { solution: w, residual, iterations, converged: residual <= tolerance };
}

/**
 * Minimizes f from w0 by Levenberg-Marquardt damped Newton steps w <- w - (H + tau I)^{-1} grad f: a step is kept only
 * when f decreases (then tau shrinks 3x), otherwise tau grows 4x; so the iterates descend and settle in a local
 * minimum, not at a saddle. Stops when ||grad f|| <= tolerance.
 */
export function dampedNewtonMinimize(
  objective: (w: Float64Array, gradientOut: Float64Array) => number,
  hessian: (w: Float64Array) => Float64Array,
  initial: Float64Array,
  options: { maxIterations?: number; tolerance?: number } = {},
): NewtonResult {
  const d = initial.length;
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-12;
  const w = Float64Array.from(initial);
  const gradient = new Float64Array(d);
  const trial = new Float64Array(d);
  const trialGradient = new Float64Array(d);
  let value = objective(w, gradient);
  let damping = 1e-3;
  let iterations = 0;
  while (iterations < maxIterations && norm(gradient) > tolerance) {
    iterations++;
    const matrix = hessian(w);
    const rows = Array.from({ length: d }, (_, a) =>
      Array.from({ length: d }, (_, b) => matrix[a * d + b]! + (a === b ? damping : 0)),
    );
    let step: number[] | null = null;
    try {
      step = (lusolve(rows, Array.from(gradient)) as number[][]).map((row) => row[0]!);
    } catch {
      step = null;
    }
    if (step) {
      for (let j = 0; j < d; j++) trial[j] = w[j]! - step[j]!;
      const trialValue = objective(trial, trialGradient);
      if (Number.isFinite(trialValue) && trialValue <= value) {
        w.set(trial);
        gradient.set(trialGradient);
        value = trialValue;
        damping = Math.max(damping / 3, 1e-15);
        continue;
      }
    }
    damping *= 4;
    if (damping > 1e12) break;
  }
  const residual = norm(gradient);
  return { solution: w, residual, iterations, converged: residual <= tolerance };
}

function finiteDifferenceJacobian(
  residualFunction: (w: Float64Array, out: Float64Array) => void,
  w: Float64Array,
  value: Float64Array,
): Float64Array {
  const d = w.length;
  const jacobian = new Float64Array(d * d);
  const shifted = Float64Array.from(w);
  const shiftedValue = new Float64Array(d);
  for (let b = 0; b < d; b++) {
    const h = 1e-6 * Math.max(1, Math.abs(w[b]!));
    shifted[b] = w[b]! + h;
    residualFunction(shifted, shiftedValue);
    for (let a = 0; a < d; a++) jacobian[a * d + b] = (shiftedValue[a]! - value[a]!) / h;
    shifted[b] = w[b]!;
  }
  return jacobian;
}

function norm(v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}
