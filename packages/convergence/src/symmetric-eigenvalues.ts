/**
 * Eigenvalues of a small symmetric matrix by the cyclic Jacobi method: used for the curvature range of the
 * non-convex problem's Hessian (d = 65). mathjs `eigs` gives the same values but runs ~100x slower inside jest's
 * VM modules, which made a 65 x 65 call take seconds there.
 */

/** All eigenvalues (ascending) of the symmetric row-major d x d `matrix` (not modified); off-diagonal mass <= 1e-22 relative. */
export function symmetricEigenvalues(matrix: Float64Array, d: number): number[] {
  const a = Float64Array.from(matrix);
  let scale = 0;
  for (let i = 0; i < d * d; i++) scale += a[i]! * a[i]!;
  for (let sweep = 0; sweep < 100; sweep++) {
    let offDiagonal = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) offDiagonal += a[p * d + q]! ** 2;
    if (offDiagonal <= 1e-22 * scale || offDiagonal === 0) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        if (apq === 0) continue;
        // Rotation angle that zeroes a[p][q]: tan(2 theta) = 2 a_pq / (a_qq - a_pp).
        const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!;
          const akq = a[k * d + q]!;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!;
          const aqk = a[q * d + k]!;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: d }, (_, i) => a[i * d + i]!).sort((x, y) => x - y);
}
