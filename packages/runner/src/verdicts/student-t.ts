/**
 * Student's t distribution for integer degrees of freedom: the CDF in closed form and its quantile.
 *
 * Written by hand because no installed library has it (mathjs has gamma/erf but no t distribution; jStat is
 * not a dependency). For integer df the CDF is a finite trigonometric series (Abramowitz & Stegun 26.7.3-4),
 * so no incomplete beta function is needed and the result is exact to rounding; the quantile inverts it by
 * bisection, which cannot fail to converge because the CDF is continuous and strictly increasing.
 */

/**
 * P(T <= t) for T ~ Student-t with `df` (a positive integer) degrees of freedom.
 *
 * With theta = atan(t / sqrt(df)) and c = cos(theta), A(t) = P(|T| <= |t|) is
 *   df odd:  (2/pi) [theta + sin(theta) (c + (2/3) c^3 + (2*4)/(3*5) c^5 + ... up to c^(df-2))]  (df = 1: 2 theta / pi)
 *   df even: sin(theta) [1 + (1/2) c^2 + (1*3)/(2*4) c^4 + ... up to c^(df-2)]
 * and P(T <= t) = (1 + sign(t) A(|t|)) / 2.
 */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`df must be a positive integer, got ${df}`);
  if (Number.isNaN(t)) return Number.NaN;
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const sin = Math.sin(theta);
  const cosSquared = Math.cos(theta) ** 2;
  let within: number;
  if (df % 2 === 1) {
    let series = 0;
    if (df > 1) {
      // Terms c, (2/3) c^3, (2*4)/(3*5) c^5, ...: each the previous times c^2 (k-1)/k for k = 3, 5, ..., df - 2.
      let term = Math.cos(theta);
      series = term;
      for (let k = 3; k <= df - 2; k += 2) {
        term *= (cosSquared * (k - 1)) / k;
        series += term;
      }
    }
    within = (2 / Math.PI) * (theta + sin * series);
  } else {
    // Terms 1, (1/2) c^2, (1*3)/(2*4) c^4, ...: each the previous times c^2 (k-1)/k for k = 2, 4, ..., df - 2.
    let term = 1;
    let series = 1;
    for (let k = 2; k <= df - 2; k += 2) {
      term *= (cosSquared * (k - 1)) / k;
      series += term;
    }
    within = sin * series;
  }
  within = Math.min(1, within);
  return t >= 0 ? 0.5 + within / 2 : 0.5 - within / 2;
}

/**
 * The p-quantile of Student's t with integer `df`: the t with P(T <= t) = p, 0 < p < 1.
 * Bisection on the CDF to the last representable digit (at most ~200 halvings of a bracket found by doubling).
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must lie strictly between 0 and 1, got ${p}`);
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`df must be a positive integer, got ${df}`);
  if (p === 0.5) return 0;
  // Symmetry: solve for the upper tail and flip the sign for p < 1/2.
  const upper = p > 0.5 ? p : 1 - p;
  let high = 1;
  while (studentTCdf(high, df) < upper) high *= 2;
  let low = high === 1 ? 0 : high / 2;
  for (let i = 0; i < 200 && high - low > 1e-15 * high; i++) {
    const middle = (low + high) / 2;
    if (studentTCdf(middle, df) < upper) low = middle;
    else high = middle;
  }
  const quantile = (low + high) / 2;
  return p > 0.5 ? quantile : -quantile;
}
