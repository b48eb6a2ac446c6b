/**
 * Vega-lite specs of the two figures of convergence in practice (issue 5 part 3): training loss and error over epochs
 * (candidate Fig. 11, SPEC 3.8) and Fig. 12's test error and train error on the noisy samples (SPEC 3.9). Built
 * with the house-style builders of @sam-repro/figures. Pure: rows in, spec out.
 */
import { DASHES, PALETTE, lineChart, panels, withSubtitleLines, wrapLines, type Curve, type Row, type Spec } from "@sam-repro/figures";

/** Colors of the methods of a figure, in config order: ERM red and SAM blue as in Figs. 9 and 12, then others. */
export const METHOD_COLORS = [PALETTE.red, PALETTE.blue, PALETTE.orange, PALETTE.green, PALETTE.lightBlue, PALETTE.black] as const;

/** The two ways a training curve is measured (solid / dashed). */
export const FULL_TRAINING_SET = "training set at w, eval mode";
export const EPOCH_BATCHES = "epoch's mini-batches (SAM: at w + ε)";

/** The row of one point of the training-convergence figure. */
export interface TrainingCurveRow extends Row {
  quantity: "loss" | "error";
  method: string;
  measure: typeof FULL_TRAINING_SET | typeof EPOCH_BATCHES;
  epoch: number;
  /** Mean over seeds (loss, or error in percent), with the min..max band. */
  value: number;
  lower: number;
  upper: number;
}

/** Training loss (log scale) and training error over epochs, one color per method, solid / dashed per measure. */
export function trainingConvergenceSpec(options: { rows: TrainingCurveRow[]; methods: Curve[]; title: string; subtitle: string[] }): Spec {
  const color = { field: "method", title: "Method", domain: options.methods.map((m) => m.label), range: options.methods.map((m) => m.color) };
  const strokeDash = { field: "measure", title: "Measured on", domain: [FULL_TRAINING_SET, EPOCH_BATCHES], range: [[...DASHES.solid], [...DASHES.dashed]] };
  const chart = (quantity: "loss" | "error") =>
    lineChart({
      title: quantity === "loss" ? "Training loss" : "Training error",
      data: options.rows.filter((row) => row.quantity === quantity),
      x: { field: "epoch", title: "Epoch", zero: true },
      y:
        quantity === "loss"
          ? { field: "value", title: "Training loss (cross-entropy)", scale: "log" }
          : { field: "value", title: "Training error (%)", zero: true },
      color,
      strokeDash,
      detail: "measure",
      band: { lower: "lower", upper: "upper" },
      width: 380,
      height: 250,
    });
  return withSubtitleLines(panels({ title: options.title, charts: [chart("loss"), chart("error")], columns: 2 }), wrapLines(options.subtitle));
}

/** The row of one point of Fig. 12: error in percent, mean over seeds with the min..max band. */
export interface LabelNoiseRow extends Row {
  panel: string;
  curve: string;
  epoch: number;
  error: number;
  lower: number;
  upper: number;
}

/**
 * Fig. 12 (SPEC 3.9): "Test error, ERM" red solid, "Train error on noisy samples, ERM" red dashed, the same in blue
 * for SAM; one panel per dataset; y from 0 to 100%. Paper readings, when given, are drawn as hollow diamonds.
 */
export function labelNoiseSpec(options: { rows: LabelNoiseRow[]; curves: Curve[]; referenceRows: LabelNoiseRow[]; panelCount: number; title: string; subtitle: string[] }): Spec {
  const domain = options.curves.map((curve) => curve.label);
  const spec = lineChart({
    title: options.title,
    data: options.rows,
    referenceRows: options.referenceRows,
    x: { field: "epoch", title: "Epoch", zero: true },
    y: { field: "error", title: "Error (%)", domain: [0, 100] },
    color: { field: "curve", title: "Curve", domain, range: options.curves.map((curve) => curve.color) },
    strokeDash: { field: "curve", domain: [...domain], range: options.curves.map((curve) => [...curve.dash]) },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "panel", columns: Math.min(2, options.panelCount) },
    width: 400,
    height: 260,
  });
  return withSubtitleLines(spec, wrapLines(options.subtitle));
}
