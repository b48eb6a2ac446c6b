/**
 * Perturbation math of SPEC 1.3 on Float64Array vectors, in place and allocation-free: the ascent step
 * of SAM / USAM / ASAM, the projection onto the perturbation ball, and the l2 norm.
 */
import type { SamVariant } from "../options.js";

/** Euclidean norm ||v||_2. */
export function l2Norm(v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/** ASAM scale T = |w| + eta, elementwise (Kwon et al. 2021, applied to every parameter, biases included). */
export function fillAsamScale(scale: Float64Array, params: Float64Array, eta: number): void {
  for (let i = 0; i < scale.length; i++) scale[i] = Math.abs(params[i]!) + eta;
}

/**
 * One ascent step delta <- delta + eta*d(g) (SPEC 1.3 e), where d(g) is
 *   sam:  g / (||g|| + eps)
 *   usam: g
 *   asam: T^2 g / (||T g|| + eps)   (T = `asamScale`).
 * With delta = 0 and eta = rho this is standard SAM rho*g/||g||, USAM rho*g, ASAM rho*T^2 g/||T g||.
 */
export function addAscentStep(
  variant: Exclude<SamVariant, "sgd" | "random">,
  delta: Float64Array,
  gradient: Float64Array,
  stepSize: number,
  epsilon: number,
  asamScale: Float64Array | null,
): void {
  const n = delta.length;
  if (variant === "usam") {
    for (let i = 0; i < n; i++) delta[i]! += stepSize * gradient[i]!;
    return;
  }
  if (variant === "sam") {
    const factor = stepSize / (l2Norm(gradient) + epsilon);
    for (let i = 0; i < n; i++) delta[i]! += factor * gradient[i]!;
    return;
  }
  const scale = asamScale!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const scaled = scale[i]! * gradient[i]!;
    sum += scaled * scaled;
  }
  const factor = stepSize / (Math.sqrt(sum) + epsilon);
  for (let i = 0; i < n; i++) delta[i]! += factor * scale[i]! * scale[i]! * gradient[i]!;
}

/**
 * Projects delta onto the ball {||delta|| <= rho} (SPEC 1.3 e), or for ASAM onto {||delta / T|| <= rho};
 * returns the (plain l2) norm of the projected delta.
 */
export function projectOntoBall(delta: Float64Array, rho: number, asamScale: Float64Array | null): number {
  let sum = 0;
  for (let i = 0; i < delta.length; i++) {
    const component = asamScale ? delta[i]! / asamScale[i]! : delta[i]!;
    sum += component * component;
  }
  const size = Math.sqrt(sum);
  if (size > rho) {
    const factor = rho / size;
    for (let i = 0; i < delta.length; i++) delta[i]! *= factor;
  }
  return l2Norm(delta);
}
