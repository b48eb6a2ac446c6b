import { lusolve } from "mathjs";

/**
 * Hyperbolic entropy of SPEC 2.1 with per-coordinate scale a_j^2:
 * phi_a(beta) = sum_j [ beta_j arcsinh(2 beta_j / a_j^2) - sqrt(beta_j^2 + a_j^4 / 4) + a_j^2 / 2 ].
 */
export function hyperbolicEntropy(beta: Float64Array, aSquared: Float64Array): number {
  let sum = 0;
  for (let j = 0; j < beta.length; j++) {
    const b = beta[j]!;
    const a2 = aSquared[j]!;
    sum += b * Math.asinh((2 * b) / a2) - Math.sqrt(b * b + (a2 * a2) / 4) + a2 / 2;
  }
  return sum;
}

/** grad phi_a(beta) = arcsinh(2 beta / a^2) (SPEC 2.1). */
export function hyperbolicEntropyGradient(beta: Float64Array, aSquared: Float64Array): Float64Array {
  return beta.map((b, j) => Math.asinh((2 * b) / aSquared[j]!));
}

export interface InterpolatorResult {
  /** argmin_{X beta = y} phi_a(beta). */
  beta: Float64Array;
  /** Dual variable: beta = (a^2 / 2) sinh(X^T mu). */
  mu: Float64Array;
  /** Newton iterations used. */
  iterations: number;
  /** ||X beta - y||_2 at the returned point. */
  residualNorm: number;
}

/**
 * The minimum-phi_a interpolator argmin_{X beta = y} phi_a(beta) (SPEC 2.1, 2.2). Its KKT conditions say
 * arcsinh(2 beta / a^2) = X^T mu, i.e. beta(mu) = (a^2 / 2) sinh(X^T mu), with mu the minimizer of the convex dual
 * D(mu) = sum_j (a_j^2 / 2) cosh((X^T mu)_j) - mu^T y, whose gradient is X beta(mu) - y and whose Hessian is
 * X diag((a^2 / 2) cosh(X^T mu)) X^T. Damped Newton on D from mu = 0 (backtracking; near the optimum, where D
 * stalls in rounding, a step is also accepted when it reduces ||X beta - y||). X is row-major n x d.
 */
export function minimumEntropyInterpolator(
  X: Float64Array,
  y: Float64Array,
  aSquared: Float64Array,
  options: { tolerance?: number; maxIterations?: number } = {},
): InterpolatorResult {
  const n = y.length;
  const d = aSquared.length;
  if (X.length !== n * d) throw new Error(`X has ${X.length} entries, expected n * d = ${n * d}`);
  for (let j = 0; j < d; j++) {
    if (!(aSquared[j]! > 0) || !Number.isFinite(aSquared[j]!)) {
      throw new Error(`a^2[${j}] = ${aSquared[j]}: the hyperbolic entropy needs a positive finite scale on every coordinate`);
    }
  }
  const tolerance = (options.tolerance ?? 1e-12) * Math.max(1, norm(y));
  const maxIterations = options.maxIterations ?? 500;
  const mu = new Float64Array(n);
  const z = new Float64Array(d);
  const beta = new Float64Array(d);
  const residual = new Float64Array(n);

  // Evaluates beta(mu), the residual X beta - y and the dual objective at `point`.
  const evaluate = (point: Float64Array): { dual: number; residualNorm: number } => {
    z.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) z[j]! += X[i * d + j]! * point[i]!;
    let dual = 0;
    for (let j = 0; j < d; j++) {
      beta[j] = (aSquared[j]! / 2) * Math.sinh(z[j]!);
      dual += (aSquared[j]! / 2) * Math.cosh(z[j]!);
    }
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += X[i * d + j]! * beta[j]!;
      residual[i] = sum - y[i]!;
      dual -= point[i]! * y[i]!;
    }
    return { dual, residualNorm: norm(residual) };
  };

  let current = evaluate(mu);
  let iterations = 0;
  const trial = new Float64Array(n);
  while (current.residualNorm > tolerance && iterations < maxIterations) {
    iterations++;
    const hessian: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let j = 0; j < d; j++) {
      const weight = (aSquared[j]! / 2) * Math.cosh(z[j]!);
      for (let i = 0; i < n; i++) {
        const xi = X[i * d + j]! * weight;
        for (let k = 0; k <= i; k++) hessian[i]![k]! += xi * X[k * d + j]!;
      }
    }
    for (let i = 0; i < n; i++) for (let k = 0; k < i; k++) hessian[k]![i] = hessian[i]![k]!;
    const gradient = Array.from(residual);
    const direction = (lusolve(hessian, gradient.map((g) => -g)) as number[][]).map((row) => row[0]!);
    const slope = direction.reduce((sum, value, i) => sum + value * gradient[i]!, 0);
    let step = 1;
    let accepted = false;
    const previous = current;
    for (let halving = 0; halving < 60; halving++) {
      for (let i = 0; i < n; i++) trial[i] = mu[i]! + step * direction[i]!;
      const candidate = evaluate(trial);
      const armijo = candidate.dual <= previous.dual + 0.25 * step * slope;
      if (Number.isFinite(candidate.dual) && (armijo || candidate.residualNorm < previous.residualNorm)) {
        mu.set(trial);
        current = candidate;
        accepted = true;
        break;
      }
      step /= 2;
    }
    if (!accepted) {
      current = evaluate(mu);
      break;
    }
  }
  current = evaluate(mu);
  return { beta: Float64Array.from(beta), mu, iterations, residualNorm: current.residualNorm };
}

/** Euclidean norm. */
export function norm(x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum);
}

/** ||a - b||_2. */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

/** Effective initialization a_eff^2 = u_inf^2 - v_inf^2 (SPEC 2.2: conserved by gradient flow, shrunk by SAM). */
export function effectiveInitSquared(u: Float64Array, v: Float64Array): Float64Array {
  return u.map((uj, j) => uj * uj - v[j]! * v[j]!);
}
