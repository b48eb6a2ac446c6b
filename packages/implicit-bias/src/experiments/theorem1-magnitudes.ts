/**
 * Figure theorem1-magnitudes (issue 13 part 8, docs/spec.md §2.2): the quantitative content of the paper's
 * Theorem 1 on diagonal linear networks. For each problem shape (n, d) and data seed, GD, n-SAM (radius rho) and
 * 1-SAM (ascent radius rho) run at the same small step; Delta is measured from the effective initializations
 * (theorem1-magnitudes.ts). Panels: ||Delta_1-SAM||_1 / ||Delta_n-SAM||_1 against n with the line "= n", and
 * ||Delta_1-SAM||_1 against d * int L ds.
 */
import { z } from "zod";
import { PALETTE, lineChart, panels, pointChart, type FigureOutput, type Row } from "@sam-repro/figures";
import { createProgress, declaredRule, judgeThreshold, judgedClaim, loadExperiment, logLogSlope, type Profile } from "@sam-repro/runner";
import { generateSparseRegression } from "../problem.js";
import { theorem1Magnitudes, type MagnitudeResult } from "../theorem1-magnitudes.js";
import { formatNumber, median, seedsSchema, experimentFigureOutput } from "./shared.js";

export const THEOREM1_ID = "theorem1-magnitudes";

const settingsSchema = z.strictObject({
  /** Problem shapes; those sharing `slopeDimension` give the slope of the ratio against n. */
  shapes: z.array(z.strictObject({ n: z.number().int().min(2), d: z.number().int().min(1) })).min(1),
  r: z.number().int().min(1),
  nTest: z.number().int().min(1),
  seeds: seedsSchema,
  alpha: z.number().positive(),
  /** Ascent radius: n-SAM's rho, and 2 rho_code of 1-SAM. */
  rho: z.number().positive(),
  gamma: z.number().positive(),
  iterations: z.number().int().min(10),
  /** The d whose shapes (at least two n) give the log-log slope of the ratio against n. */
  slopeDimension: z.number().int().min(1),
  /** The first-order constant of ||Delta_1||_1 / (d int L ds) in the u*v parametrization. */
  firstOrderConstant: z.number().positive(),
});
type Settings = z.infer<typeof settingsSchema>;

const shapeLabel = (shape: { n: number; d: number }) => `n = ${shape.n}, d = ${shape.d}`;
/** Both panels color points by dimension with the same colors, so the figure needs one legend. */
const DIMENSION_COLOR = { field: "dimension", title: "Dimension", range: [PALETTE.blue, PALETTE.orange, PALETTE.green, PALETTE.red] };
/** max(x / target, target / x): how far x is from target as a factor (Infinity for non-positive or NaN x). */
const factorFrom = (value: number, target: number) => (value > 0 && Number.isFinite(value) ? Math.max(value / target, target / value) : Infinity);

export async function reproduceTheorem1Magnitudes(profile: Profile): Promise<FigureOutput> {
  const config = loadExperiment(THEOREM1_ID, profile, settingsSchema);
  const settings = config.settings;
  const started = performance.now();
  const progress = createProgress(THEOREM1_ID, settings.shapes.length * settings.seeds.length);
  let done = 0;
  const results = settings.shapes.map((shape) =>
    settings.seeds.map((seed) => {
      const problem = generateSparseRegression({ n: shape.n, d: shape.d, r: settings.r, nTest: settings.nTest, seed });
      const result = theorem1Magnitudes(problem, settings);
      progress.update(++done, { shape: shapeLabel(shape), seed });
      return result;
    }),
  );
  progress.stop();
  const claims = magnitudeClaims(config, results);
  const ratioRows: Row[] = results.flatMap((perSeed, shapeIndex) =>
    perSeed.map((result, seedIndex) => ({ n: result.n, ratio: result.ratio, dimension: `d = ${result.d}`, seed: settings.seeds[seedIndex]!, shape: shapeLabel(settings.shapes[shapeIndex]!) })),
  );
  const ns = settings.shapes.map((shape) => shape.n);
  const ratioChart = pointChart({
    title: "(a) ‖Δ_1-SAM‖₁ / ‖Δ_n-SAM‖₁ against n (each seed)",
    data: ratioRows,
    x: { field: "n", title: "Number of training examples n", scale: "log" },
    y: { field: "ratio", title: "‖Δ_1-SAM‖₁ / ‖Δ_n-SAM‖₁", scale: "log" },
    color: DIMENSION_COLOR,
  });
  (ratioChart.layer as Array<Record<string, unknown>>).push(referenceLine([Math.min(...ns), Math.max(...ns)].map((n) => ({ x: n, y: n })), "n", "ratio", "Theorem 1: ratio = n"));
  const constantRows: Row[] = results.flatMap((perSeed, shapeIndex) =>
    perSeed.map((result) => ({ scaledLoss: result.d * result.integratedLoss.oneSam, delta: result.oneSamConstant * result.d * result.integratedLoss.oneSam, dimension: `d = ${result.d}`, shape: shapeLabel(settings.shapes[shapeIndex]!) })),
  );
  const xs = constantRows.map((row) => row.scaledLoss as number).filter(Number.isFinite);
  const span = [Math.min(...xs) / 1.2, Math.max(...xs) * 1.2];
  const constantChart = pointChart({
    title: "(b) ‖Δ_1-SAM‖₁ against d ∫L ds (each seed)",
    data: constantRows,
    x: { field: "scaledLoss", title: "d × ∫ L(β_s) ds along the 1-SAM run", scale: "log" },
    y: { field: "delta", title: "‖Δ_1-SAM‖₁", scale: "log" },
    color: DIMENSION_COLOR,
  });
  (constantChart.layer as Array<Record<string, unknown>>).push(
    referenceLine(span.map((x) => ({ x, y: x })), "scaledLoss", "delta", "Theorem 1: ‖Δ‖₁ = d ∫L ds"),
    referenceLine(span.map((x) => ({ x, y: settings.firstOrderConstant * x })), "scaledLoss", "delta", `first order, u⊙v: ${settings.firstOrderConstant} d ∫L ds`, [2, 3]),
  );
  const spec = panels({
    title: "Theorem 1's magnitudes: 1-SAM shrinks the effective initialization about n times more than n-SAM",
    charts: [ratioChart, constantChart],
  });
  // Two subtitle lines: one long line would make the figure as wide as the text.
  spec.title = {
    text: "Theorem 1's magnitudes: 1-SAM shrinks the effective initialization about n times more than n-SAM",
    subtitle: [
      `a_eff = α exp(−ρΔ); α = ${settings.alpha}, ascent radius ρ = ${settings.rho}, γ = ${settings.gamma}, ${settings.iterations} steps; Δ measured against GD; ${settings.seeds.length} data seeds.`,
      `Dashed: Theorem 1 (ratio = n; ‖Δ₁‖₁ = d∫L ds). Dotted: first order in our u⊙v parametrization (${settings.firstOrderConstant} d∫L ds).`,
    ],
  };
  return experimentFigureOutput(config, started, {
    data: {
      seeds: settings.seeds,
      runs: results.flatMap((perSeed, shapeIndex) => perSeed.map((result, seedIndex) => ({ shape: settings.shapes[shapeIndex], seed: settings.seeds[seedIndex], ...result }))),
    },
    spec,
    claims,
    ...(profile === "paper" ? {} : { scaledDown: "fewer seeds and shapes than the paper profile; the paper gives no experiment for Theorem 1's magnitudes" }),
  });
}

/** A dashed line through `points` in a layered point chart, labelled in the tooltip. */
function referenceLine(points: Array<{ x: number; y: number }>, xField: string, yField: string, label: string, dash = [6, 4]): Record<string, unknown> {
  return {
    data: { values: points.map((point) => ({ [xField]: point.x, [yField]: point.y, line: label })) },
    mark: { type: "line", color: PALETTE.black, strokeDash: dash, strokeWidth: 1.5 },
    encoding: { x: { field: xField, type: "quantitative" }, y: { field: yField, type: "quantitative" }, tooltip: [{ field: "line", type: "nominal" }] },
  };
}

function magnitudeClaims(config: ReturnType<typeof loadExperiment<typeof settingsSchema>>, results: MagnitudeResult[][]) {
  const settings: Settings = config.settings;
  const perShape = results.map((perSeed, index) => {
    const shape = settings.shapes[index]!;
    const medianRatio = median(perSeed.map((result) => result.ratio));
    return {
      shape,
      medianRatio,
      ratioFactor: factorFrom(medianRatio, shape.n),
      medianConstant: median(perSeed.map((result) => result.oneSamConstant)),
      medianNSamConstant: median(perSeed.map((result) => result.nSamConstant)),
      medianFirstOrderRatio: median(perSeed.map((result) => result.firstOrderRatio)),
      lateShare: Math.max(...perSeed.map((result) => result.lateShare)),
      diverged: perSeed.some((result) => result.diverged),
    };
  });
  const slopeShapes = perShape.filter((entry) => entry.shape.d === settings.slopeDimension);
  const slope = logLogSlope(slopeShapes.map((entry) => entry.shape.n), slopeShapes.map((entry) => entry.medianRatio));
  let worstNegative = -Infinity;
  for (const perSeed of results) for (const result of perSeed) {
    for (const delta of [result.deltaNSam, result.deltaOneSam]) {
      const largest = Math.max(...delta.map(Math.abs));
      worstNegative = Math.max(worstNegative, ...delta.map((value) => (Number.isFinite(value) ? -value / largest : Infinity)));
    }
  }
  const smallestRelative = -worstNegative;
  const shapesText = perShape.map((entry) => `${shapeLabel(entry.shape)}: median ratio ${formatNumber(entry.medianRatio)} (first order ${formatNumber(entry.medianFirstOrderRatio)})`).join("; ");
  const common = `Medians over ${settings.seeds.length} data seeds; largest share of int L accrued in the second half of a run: ${formatNumber(Math.max(...perShape.map((entry) => entry.lateShare)))}; diverged: ${perShape.some((entry) => entry.diverged)}.`;
  return [
    judgedClaim(config, "ratio-about-n", {
      ourValue: shapesText,
      judgement: judgeThreshold(declaredRule(config, "ratio-about-n", ["threshold"]), Math.max(...perShape.map((entry) => entry.ratioFactor))),
      details: `Ratio ||Delta_1-SAM||_1 / ||Delta_n-SAM||_1 at the same ascent radius ${settings.rho}, compared with n as a factor max(R/n, n/R). ${common}`,
    }),
    judgedClaim(config, "ratio-grows-like-n", {
      ourValue: `log-log slope of the median ratio against n at d = ${settings.slopeDimension}: ${formatNumber(slope)}`,
      judgement: judgeThreshold(declaredRule(config, "ratio-grows-like-n", ["threshold"]), Math.abs(slope - 1)),
      details: `Shapes ${slopeShapes.map((entry) => shapeLabel(entry.shape)).join(", ")}; |slope - 1| is judged. ${common}`,
    }),
    judgedClaim(config, "one-sam-delta-about-d-integrated-loss", {
      ourValue: perShape.map((entry) => `${shapeLabel(entry.shape)}: ||Delta_1||_1 / (d int L) = ${formatNumber(entry.medianConstant)}, ||Delta_n||_1 / ((d/n) int L) = ${formatNumber(entry.medianNSamConstant)}`).join("; "),
      judgement: judgeThreshold(
        declaredRule(config, "one-sam-delta-about-d-integrated-loss", ["threshold"]),
        Math.max(...perShape.map((entry) => factorFrom(entry.medianConstant, settings.firstOrderConstant))),
      ),
      details: `int L ds = gamma sum_{t<T} L(beta_t) along the 1-SAM run; the ratio is compared, as a factor, with the first-order constant ${settings.firstOrderConstant} of the u*v parametrization (the paper's "~" leaves the constant open). ${common}`,
    }),
    judgedClaim(config, "delta-nonnegative", {
      ourValue: `smallest Delta_j / max_j |Delta_j| over all runs: ${formatNumber(smallestRelative)}`,
      judgement: judgeThreshold(declaredRule(config, "delta-nonnegative", ["threshold"]), smallestRelative),
      details: `Every coordinate of Delta_n-SAM and Delta_1-SAM, every shape and seed. ${common}`,
    }),
  ];
}

/** The settings of one profile of experiments/theorem1-magnitudes.json (the JSON Schema generator reads it too). */
export { settingsSchema as theorem1SettingsSchema };
