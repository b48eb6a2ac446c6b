/**
 * The power-law exponent that rate claims judge: a least-squares line through (log x, log y). Shared by the
 * convergence checks (rate in T, floor in b) and the implicit-bias Theorem 1 magnitudes (growth in n).
 */

/**
 * Least-squares slope of log(y) against log(x), the exponent k of y ~ c x^k:
 * k = sum (X - mean X)(Y - mean Y) / sum (X - mean X)^2 with X = log x, Y = log y.
 * Points whose x or y is not positive and finite are left out; NaN with fewer than two usable points.
 */
export function logLogSlope(xs: readonly number[], ys: readonly number[]): number {
  const points: Array<[number, number]> = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y)) points.push([Math.log(x), Math.log(y)]);
  }
  if (points.length < 2) return Number.NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  let numerator = 0;
  let denominator = 0;
  for (const [x, y] of points) {
    numerator += (x - meanX) * (y - meanY);
    denominator += (x - meanX) * (x - meanX);
  }
  return numerator / denominator;
}
