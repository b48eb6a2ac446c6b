/**
 * Vega-lite specs of the convergence figures, built with the house-style builders of @sam-repro/figures where
 * they fit (lines, bands, panels) and as plain layered specs where they do not (the stability map). Pure: rows in,
 * spec out. The paper has no figure for any of these (SPEC 2.4 theory checks).
 */
import { DASHES, PALETTE, curveScales, houseStyle, lineChart, panels, withSubtitleLines, type Curve, type Row, type Spec } from "@sam-repro/figures";
import type { BoundaryProbe, StabilityPoint } from "./quadratic-experiments.js";

const CONVERGES = "converges (empirical rate < 1)";
const DIVERGES = "diverges (empirical rate ≥ 1)";

/**
 * The empirical USAM stability map over (gamma, rho): one point per grid run, colored by what the run did, with
 * the predicted boundary gamma* = 2 / (lambda_max (1 + rho lambda_max)) drawn over it and the probes at
 * gamma = (1 +- margin) gamma* marked.
 */
export function stabilityMapSpec(options: {
  points: StabilityPoint[];
  probes: BoundaryProbe[];
  boundary: Array<{ rho: number; gamma: number }>;
  lambdaMax: number;
  /** Grid size (step sizes x radii), to size the squares so that they tile the plot. */
  gridShape: [number, number];
  subtitle: string[];
}): Spec {
  const width = 420;
  const height = 300;
  const squareSize = Math.max(4, Math.min(width / options.gridShape[0], height / options.gridShape[1]) ** 2 * 0.8);
  const rows = options.points.map((point) => ({
    gamma: point.gamma,
    rho: point.rho,
    outcome: point.empiricalStable ? CONVERGES : DIVERGES,
    product: point.product,
    empiricalRate: Number.isFinite(point.empiricalRate) ? point.empiricalRate : null,
    predictedRate: point.predictedRate,
  }));
  // rho = 0 probes have no place on the log rho axis; they stay in the data and the claims.
  const probeRows = options.probes.filter((probe) => probe.rho > 0).map((probe) => ({
    gamma: probe.gamma,
    rho: probe.rho,
    outcome: probe.empiricalStable ? CONVERGES : DIVERGES,
    probe: `γ = ${probe.factor} γ*`,
  }));
  const x = { field: "gamma", type: "quantitative", title: "Step size γ", scale: { zero: true } };
  const y = {
    field: "rho",
    type: "quantitative",
    title: "Perturbation radius ρ",
    scale: { type: "log" },
    axis: { labelExpr: "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) < 1e-6 ? format(datum.value, '~g') : ''" },
  };
  const color = {
    field: "outcome",
    type: "nominal",
    title: "USAM run (Float64Sam)",
    scale: { domain: [CONVERGES, DIVERGES], range: [PALETTE.blue, PALETTE.red] },
  };
  return houseStyle({
    title: { text: `USAM on a quadratic (λ_max = ${options.lambdaMax}): where it converges`, subtitle: options.subtitle },
    width,
    height,
    layer: [
      {
        data: { values: rows },
        mark: { type: "square", size: squareSize, opacity: 0.7 },
        encoding: { x, y, color, tooltip: [{ field: "gamma" }, { field: "rho" }, { field: "product" }, { field: "empiricalRate" }, { field: "predictedRate" }] },
      },
      {
        data: { values: options.boundary.map((point) => ({ ...point, curve: "γλ_max(1 + ρλ_max) = 2" })) },
        mark: { type: "line", color: PALETTE.black, strokeWidth: 2.5 },
        encoding: {
          x,
          y,
          strokeDash: {
            field: "curve",
            type: "nominal",
            title: "Predicted boundary (SPEC 2.4)",
            scale: { range: [[1, 0]] },
            legend: { symbolType: "stroke" },
          },
        },
      },
      {
        data: { values: probeRows },
        mark: { type: "point", filled: false, size: 90, strokeWidth: 2 },
        encoding: { x, y, color, shape: { field: "probe", type: "nominal", title: "Probes near the boundary" } },
      },
    ],
    resolve: { scale: { color: "shared" } },
  });
}

/** The 1-D cycle panel (iterates and +-A) and the d-dimensional distance panel (||w_t|| and the predicted floor). */
export function twoCycleSpec(options: {
  iterateRows: Row[];
  distanceRows: Row[];
  cycleCurves: Curve[];
  distanceCurves: Curve[];
  subtitle: string[];
}): Spec {
  // The panels share one color legend (panels() resolves color as shared), so both get the union of the curves.
  const legend = scales([...options.cycleCurves, ...options.distanceCurves]);
  const oneDimensional = lineChart({
    title: "1-D: w_t under normalized SAM, constant ρ",
    data: options.iterateRows,
    x: { field: "step", title: "Iteration t" },
    y: { field: "w", title: "w_t" },
    color: { field: "curve", title: "Curve", ...legend.color },
    strokeDash: { field: "curve", ...legend.strokeDash },
    detail: "line",
    width: 360,
  });
  const highDimensional = lineChart({
    title: "d > 1: distance to the minimizer",
    data: options.distanceRows,
    x: { field: "step", title: "Iteration t", scale: "log" },
    // USAM's distance falls to ~1e-45; the axis stops at 1e-6 so the SAM floors stay readable (USAM runs off the bottom).
    y: { field: "distance", title: "‖w_t − w*‖", scale: "log", domain: [1e-6, 10] },
    color: { field: "curve", title: "Curve", ...legend.color },
    strokeDash: { field: "curve", ...legend.strokeDash },
    width: 360,
  });
  const spec = panels({
    title: "Normalized SAM with constant ρ does not converge on quadratics; with ρ_t → 0 it does",
    charts: [oneDimensional, highDimensional],
  });
  return withSubtitleLines(spec, options.subtitle);
}

/**
 * Measured curves (mean over seeds, min-max band, solid) and predicted ones (dashed) of `value` against `x` on
 * log-log axes: the shared form of the rate and floor figures. Rows have fields curve, value, lower, upper.
 */
function logLogCurves(options: {
  title: string;
  rows: Row[];
  curves: Curve[];
  subtitle: string[];
  x: { field: string; title: string };
  yTitle: string;
  /** One panel per value of `field`; `independentY` gives each panel its own y scale. */
  facet?: { field: string; independentY?: boolean };
  size: [number, number];
}): Spec {
  const { color, strokeDash } = scales(options.curves);
  const spec = lineChart({
    title: options.title,
    data: options.rows,
    x: { ...options.x, scale: "log" },
    y: { field: "value", title: options.yTitle, scale: "log" },
    color: { field: "curve", title: "Curve", ...color },
    strokeDash: { field: "curve", ...strokeDash },
    band: { lower: "lower", upper: "upper" },
    ...(options.facet ? { facet: { ...options.facet, columns: 2 } } : {}),
    points: true,
    width: options.size[0],
    height: options.size[1],
  });
  return withSubtitleLines(spec, options.subtitle);
}

/** Average ||grad L||^2 over T against T (log-log), seeds' min-max band, with the bound's curves dashed. */
export function rateSpec(options: { rows: Row[]; curves: Curve[]; subtitle: string[] }): Spec {
  return logLogCurves({
    ...options,
    title: "Stochastic SGD / USAM / SAM on a non-convex problem: (1/T) Σ‖∇L(w_t)‖² vs T",
    x: { field: "steps", title: "Horizon T (steps)" },
    yTitle: "(1/T) Σ_t ‖∇L(w_t)‖²",
    size: [460, 320],
  });
}

/** Where constant-rho runs settle against the batch size, one panel per rho, with the predictions. */
export function floorSpec(options: { rows: Row[]; curves: Curve[]; subtitle: string[] }): Spec {
  return logLogCurves({
    ...options,
    title: "The floor that a constant ρ leaves, against the batch size",
    x: { field: "batchSize", title: "Batch size b" },
    yTitle: "‖∇L(w̄)‖² where the run settles",
    facet: { field: "panel" },
    size: [340, 260],
  });
}

/**
 * A Theorem 2 figure (non-convex or PL part): the measured left side (mean over batch seeds, min-max band), its
 * exact expectation and the bound against the horizon T on log-log axes, one panel per problem, each with its own
 * y scale (the problems' constants differ by orders of magnitude).
 */
export function theorem2HorizonSpec(options: { title: string; yTitle: string; rows: Row[]; curves: Curve[]; subtitle: string[] }): Spec {
  return logLogCurves({
    ...options,
    x: { field: "steps", title: "Horizon T (steps)" },
    facet: { field: "problem", independentY: true },
    size: [340, 260],
  });
}

/** A curve drawn measured (solid) or predicted (dashed). */
export function curve(label: string, color: string, predicted = false): Curve {
  return { label, color, dash: predicted ? DASHES.dashed : DASHES.solid };
}

function scales(curves: readonly Curve[]) {
  const { color, strokeDash } = curveScales(curves);
  return { color, strokeDash };
}
