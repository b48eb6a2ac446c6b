import { describe, expect, test } from "@jest/globals";
import { dampedNewtonMinimize, newtonSolve } from "./newton.js";

describe("Newton solvers", () => {
  // f(x, y) = (x^2 - 1)^2 + y^2 has a saddle at the origin and minima at (+-1, 0).
  const objective = (w: Float64Array, gradient: Float64Array) => {
    gradient[0] = 4 * w[0]! * (w[0]! * w[0]! - 1);
    gradient[1] = 2 * w[1]!;
    return (w[0]! * w[0]! - 1) ** 2 + w[1]! ** 2;
  };
  const hessian = (w: Float64Array) => Float64Array.of(12 * w[0]! * w[0]! - 4, 0, 0, 2);

  test("the damped minimizer descends to a minimum, not to the saddle next to the start", () => {
    const result = dampedNewtonMinimize(objective, hessian, Float64Array.of(0.05, 0.5));
    expect(result.converged).toBe(true);
    expect(Math.abs(result.solution[0]!)).toBeCloseTo(1, 10);
    expect(result.solution[1]).toBeCloseTo(0, 10);
  });

  test("newtonSolve finds a root of a nonlinear system with a finite-difference Jacobian", () => {
    // x^2 + y^2 = 4, x y = 1.
    const result = newtonSolve(
      (w, out) => {
        out[0] = w[0]! * w[0]! + w[1]! * w[1]! - 4;
        out[1] = w[0]! * w[1]! - 1;
      },
      Float64Array.of(2, 0.3),
      { tolerance: 1e-12 },
    );
    expect(result.converged).toBe(true);
    const [x, y] = result.solution;
    expect(x! * x! + y! * y!).toBeCloseTo(4, 10);
    expect(x! * y!).toBeCloseTo(1, 10);
  });
});
