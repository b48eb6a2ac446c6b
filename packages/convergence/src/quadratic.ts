/**
 * Quadratics 0.5 w^T H w with a chosen spectrum, their gradient oracle for Float64Sam, and the closed-form
 * recursions of SPEC 2.4 that the optimizer's iterates must match. Pure numerics, no I/O.
 */
import { SeededRandom } from "@sam-repro/runtime";
import { Float64Sam, type Float64GradientOracle, type RhoSchedule } from "@sam-repro/sam";

/** A quadratic 0.5 w^T H w with H = Q diag(spectrum) Q^T. */
export interface Quadratic {
  dimension: number;
  /** Row-major d x d, symmetric. */
  hessian: Float64Array;
  spectrum: Float64Array;
}

/**
 * H = Q diag(spectrum) Q^T with Q a random orthogonal matrix (Gram-Schmidt on a Gaussian matrix drawn from
 * `seed`); `seed` = null gives the diagonal H = diag(spectrum).
 */
export function quadraticWithSpectrum(spectrum: readonly number[], seed: number | null): Quadratic {
  const d = spectrum.length;
  const hessian = new Float64Array(d * d);
  if (seed === null) {
    spectrum.forEach((value, i) => (hessian[i * d + i] = value));
    return { dimension: d, hessian, spectrum: Float64Array.from(spectrum) };
  }
  const basis = randomOrthogonal(d, new SeededRandom(seed));
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += basis[k]![a]! * spectrum[k]! * basis[k]![b]!;
      hessian[a * d + b] = sum;
    }
  }
  // Exact symmetry, so that H w and (H w)^T agree bit for bit.
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) hessian[b * d + a] = hessian[a * d + b]!;
  return { dimension: d, hessian, spectrum: Float64Array.from(spectrum) };
}

/** Rows of a random orthogonal matrix (modified Gram-Schmidt of Gaussian vectors). */
function randomOrthogonal(d: number, random: SeededRandom): Float64Array[] {
  const rows: Float64Array[] = [];
  while (rows.length < d) {
    const v = random.fillNormal(new Float64Array(d)) as Float64Array;
    for (const row of rows) {
      let projection = 0;
      for (let j = 0; j < d; j++) projection += row[j]! * v[j]!;
      for (let j = 0; j < d; j++) v[j]! -= projection * row[j]!;
    }
    const length = Math.hypot(...v);
    if (length < 1e-8) continue;
    for (let j = 0; j < d; j++) v[j]! /= length;
    rows.push(v);
  }
  return rows;
}

/** out = H v. */
export function multiplyHessian(quadratic: Quadratic, v: Float64Array, out: Float64Array): Float64Array {
  const d = quadratic.dimension;
  for (let a = 0; a < d; a++) {
    let sum = 0;
    for (let b = 0; b < d; b++) sum += quadratic.hessian[a * d + b]! * v[b]!;
    out[a] = sum;
  }
  return out;
}

/** The Float64Sam oracle of 0.5 w^T H w: gradient H w (the indices are ignored: the quadratic is deterministic). */
export function quadraticOracle(quadratic: Quadratic): Float64GradientOracle {
  return (params, _indices, out) => {
    multiplyHessian(quadratic, params, out);
    let value = 0;
    for (let i = 0; i < quadratic.dimension; i++) value += 0.5 * params[i]! * out[i]!;
    return value;
  };
}

/** The USAM iteration matrix M = I - gamma H - gamma rho H^2 of SPEC 2.4, row-major. */
export function usamIterationMatrix(quadratic: Quadratic, gamma: number, rho: number): Float64Array {
  const d = quadratic.dimension;
  const h = quadratic.hessian;
  const matrix = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let square = 0;
      for (let k = 0; k < d; k++) square += h[a * d + k]! * h[k * d + b]!;
      matrix[a * d + b] = (a === b ? 1 : 0) - gamma * h[a * d + b]! - gamma * rho * square;
    }
  }
  return matrix;
}

/** Iterates w_{t+1} = (I - gamma H - gamma rho H^2) w_t (deterministic USAM, SPEC 2.4); returns w_0..w_steps. */
export function usamRecursion(quadratic: Quadratic, gamma: number, rho: number, initial: Float64Array, steps: number): Float64Array[] {
  const matrix = usamIterationMatrix(quadratic, gamma, rho);
  const d = quadratic.dimension;
  const iterates = [Float64Array.from(initial)];
  for (let t = 0; t < steps; t++) {
    const previous = iterates[t]!;
    const next = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      let sum = 0;
      for (let b = 0; b < d; b++) sum += matrix[a * d + b]! * previous[b]!;
      next[a] = sum;
    }
    iterates.push(next);
  }
  return iterates;
}

/**
 * The 1-D normalized-SAM recursion of SPEC 2.4 on lambda w^2 / 2:
 * w_{t+1} = (1 - gamma lambda) w_t - gamma lambda rho_t sign(w_t); returns w_0..w_steps.
 */
export function normalizedSamRecursion1d(
  lambda: number,
  gamma: number,
  rho: number | RhoSchedule,
  initial: number,
  steps: number,
): number[] {
  const iterates = [initial];
  for (let t = 0; t < steps; t++) {
    const w = iterates[t]!;
    const radius = typeof rho === "number" ? rho : rho(t, gamma);
    iterates.push((1 - gamma * lambda) * w - gamma * lambda * radius * Math.sign(w));
  }
  return iterates;
}

/** What a deterministic run on a quadratic records: ||w_t|| at every step, and whether it blew up. */
export interface QuadraticRun {
  norms: number[];
  /** Iterates, when asked for (`keepIterates`). */
  iterates: Float64Array[] | null;
  diverged: boolean;
  /** Steps actually taken (a run stops early once ||w|| leaves [1e-200, 1e200]). */
  steps: number;
}

/**
 * Runs Float64Sam (full batch) on a quadratic from `initial` for `steps` steps at step size gamma; stops early
 * when ||w|| under- or overflows the range [1e-200, 1e200] or stops being finite (recorded as diverged).
 */
export function runOnQuadratic(
  quadratic: Quadratic,
  options: { variant: "sgd" | "sam" | "usam"; gamma: number; rho: number | RhoSchedule; steps: number; epsilon?: number },
  initial: Float64Array,
  keepIterates = false,
): QuadraticRun {
  const optimizer = new Float64Sam(quadratic.dimension, quadraticOracle(quadratic), {
    variant: options.variant,
    rho: options.rho,
    ...(options.epsilon !== undefined ? { epsilon: options.epsilon } : {}),
  });
  const w = Float64Array.from(initial);
  const norms = [Math.hypot(...w)];
  const iterates = keepIterates ? [Float64Array.from(w)] : null;
  let diverged = false;
  let steps = 0;
  for (let t = 0; t < options.steps; t++) {
    optimizer.step(w, null, options.gamma);
    steps++;
    const size = Math.hypot(...w);
    norms.push(size);
    iterates?.push(Float64Array.from(w));
    if (!Number.isFinite(size) || size > 1e200) {
      diverged = true;
      break;
    }
    if (size < 1e-200) break;
  }
  return { norms, iterates, diverged, steps };
}

/**
 * Empirical linear rate of a run: (||w_T|| / ||w_{T/2}||)^(2/T) over the second half, which leaves out the
 * transient before the slowest eigen-direction dominates; Infinity for a run that overflowed.
 */
export function empiricalRate(run: QuadraticRun): number {
  if (run.diverged) return Infinity;
  const last = run.norms.length - 1;
  const middle = Math.floor(last / 2);
  if (last - middle < 1 || run.norms[middle]! === 0) return 0;
  return Math.pow(run.norms[last]! / run.norms[middle]!, 1 / (last - middle));
}
