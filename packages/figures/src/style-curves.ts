/**
 * The paper's colors and dashes: one palette, and each method's curve as the paper draws it in each figure
 * (SPEC 3.2-3.9). Pure constants and one helper that turns a list of curves into vega-lite scales.
 */

/** Base colors. Names follow what the paper's figures show, not the hex values of any plotting library. */
export const PALETTE = {
  gray: "#7f7f7f",
  silver: "#b5b5b5",
  red: "#d62728",
  blue: "#1f5fbf",
  lightBlue: "#79b8ec",
  yellow: "#e6b400",
  orange: "#f07f0a",
  black: "#111111",
  green: "#2ca02c",
} as const;

/** Stroke-dash patterns (vega strokeDash arrays). */
export const DASHES = {
  solid: [1, 0],
  dashed: [6, 4],
  dotted: [2, 3],
} as const satisfies Record<string, readonly number[]>;

/** A curve as the paper draws it: its legend label, color and dash. */
export interface Curve {
  label: string;
  color: string;
  dash: readonly number[];
}

/**
 * The paper's curves, per figure where the paper changes a method's color between figures
 * (override `label` with a spread when a figure words it differently, e.g. "None (ERM)" in Fig. 1).
 */
export const CURVES = {
  /** Fig. 1: no perturbation, gray horizontal line with a band. */
  ermGray: { label: "ERM", color: PALETTE.gray, dash: DASHES.solid },
  /** Diagonal-net D4 (SPEC 3.5): silver line. */
  ermSilver: { label: "ERM", color: PALETTE.silver, dash: DASHES.solid },
  /** Fig. 6: ERM solid blue. */
  ermBlue: { label: "ERM", color: PALETTE.blue, dash: DASHES.solid },
  /** Figs. 9 and 12: ERM red. */
  ermRed: { label: "ERM", color: PALETTE.red, dash: DASHES.solid },
  /** SAM (m-SAM with the batch as m) blue, Figs. 1 and 12. */
  sam: { label: "SAM", color: PALETTE.blue, dash: DASHES.solid },
  /** Fig. 1: n-SAM light blue. */
  nSam: { label: "n-SAM", color: PALETTE.lightBlue, dash: DASHES.solid },
  /** Fig. 6: n-SAM dotted red. */
  nSamRedDotted: { label: "n-SAM", color: PALETTE.red, dash: DASHES.dotted },
  /** D4: n-SAM red. */
  nSamRed: { label: "n-SAM", color: PALETTE.red, dash: DASHES.solid },
  /** Fig. 6: 1-SAM dotted yellow. */
  oneSamYellowDotted: { label: "1-SAM", color: PALETTE.yellow, dash: DASHES.dotted },
  /** D4: 1-SAM orange. */
  oneSamOrange: { label: "1-SAM", color: PALETTE.orange, dash: DASHES.solid },
  /** Fig. 1: random weight perturbations, black. */
  random: { label: "Random", color: PALETTE.black, dash: DASHES.solid },
  /** Fig. 9: switching from ERM to SAM, orange. */
  ermToSam: { label: "ERM → SAM", color: PALETTE.orange, dash: DASHES.solid },
  /** Fig. 9: switching from SAM to ERM, green. */
  samToErm: { label: "SAM → ERM", color: PALETTE.green, dash: DASHES.solid },
} as const satisfies Record<string, Curve>;

/** m-SAM with a given m (Fig. 1's "128-SAM"), blue like SAM. */
export function mSamCurve(m: number): Curve {
  return { label: `${m}-SAM`, color: PALETTE.blue, dash: DASHES.solid };
}

/** Color and dash scales (domain = labels, in legend order) for a list of curves. */
export function curveScales(curves: readonly Curve[]): {
  color: { domain: string[]; range: string[] };
  strokeDash: { domain: string[]; range: number[][] };
} {
  const domain = curves.map((curve) => curve.label);
  return {
    color: { domain, range: curves.map((curve) => curve.color) },
    strokeDash: { domain: [...domain], range: curves.map((curve) => [...curve.dash]) },
  };
}
