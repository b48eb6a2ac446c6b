// Small figures for the tests (not part of the build): two methods over a log x axis, with claims.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Profile } from "@sam-repro/runner";
import { CURVES, curveScales, lineChart } from "./style.js";
import type { ClaimResult, FigureOutput, Verdict } from "./types.js";

export const X_TITLE = "Perturbation radius used for training";
export const Y_TITLE = "Test error (%)";

/** A fresh temporary reports directory. */
export function temporaryReports(prefix = "sam-repro-figures-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A two-curve figure; `verdicts` gives one claim per entry. */
export function sampleFigure(id: string, paperFigure: string, verdicts: Verdict[], profile: Profile = "smoke"): FigureOutput {
  const curves = [CURVES.ermGray, CURVES.nSam];
  const scales = curveScales(curves);
  const radii = [0.01, 0.1, 1, 10];
  const rows = curves.flatMap((curve, index) =>
    radii.map((rho) => ({ method: curve.label, rho, error: 5 + index * 0.3 + Math.log10(rho) * 0.1 })),
  );
  const claims: ClaimResult[] = verdicts.map((verdict, index) => ({
    id: `${id}-claim-${index + 1}`,
    statement: `Claim ${index + 1} of ${id}`,
    paperValue: 4.3 + index,
    ourValue: verdict === "not run" ? null : 4.5 + index,
    verdict,
    profile,
    details: `checked at ${profile}`,
  }));
  return {
    id,
    title: `Sample ${id}`,
    paperFigure,
    profile,
    setup: { seeds: [0], radii },
    scaledDown: "Everything: a synthetic sample.",
    data: { rows },
    spec: lineChart({
      title: `Sample ${id}`,
      data: rows,
      x: { field: "rho", title: X_TITLE, scale: "log" },
      y: { field: "error", title: Y_TITLE },
      color: { field: "method", title: "Method", ...scales.color },
      referenceRows: [{ method: "n-SAM", rho: 0.1, error: 5.1 }],
      ruleX: 1,
      points: true,
    }),
    claims,
    wallSeconds: 1.5,
  };
}
