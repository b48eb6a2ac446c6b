import { describe, expect, test } from "@jest/globals";
import { etaSeconds } from "./progress.js";

describe("etaSeconds", () => {
  test("extrapolates the rate of this call's work only: reused work does not make the ETA look short", () => {
    // 24 runs of 100 steps, 9 reused (900 steps); 30 s to do 60 more steps: 2 steps/s, 1,440 steps left -> 720 s.
    expect(etaSeconds(30, 960, 2400, 900)).toBeCloseTo(720, 9);
    // Counting the reused runs as if done in those 30 s would give 30 x 1440 / 960 = 45 s.
    expect(etaSeconds(30, 960, 2400)).toBeCloseTo(45, 9);
  });

  test("is unknown (NaN) before any work of this call and zero at the end", () => {
    expect(etaSeconds(5, 900, 2400, 900)).toBeNaN();
    expect(etaSeconds(100, 2400, 2400, 900)).toBe(0);
  });
});
