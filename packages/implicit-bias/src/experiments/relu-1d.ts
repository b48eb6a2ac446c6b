import { z } from "zod";
import { CURVES, DASHES, PALETTE, curveScales, lineChart, type ClaimResult, type Curve, type FigureOutput } from "@sam-repro/figures";
import { createProgress, loadExperiment, type Profile } from "@sam-repro/runner";
import { evaluateReluNet, initReluNet, kinkSummary, maennelData, trainReluNet, type ReluTrainingResult } from "../relu-1d.js";
import { describeStatistics, drawsClaim, formatNumber, ratioStatistics, seedsSchema, experimentFigureOutput } from "./shared.js";

export const RELU_ID = "relu-1d";

const settingsSchema = z.strictObject({
  seeds: seedsSchema,
  width: z.number().int().min(1),
  initScale: z.number().positive(),
  learningRate: z.number().positive(),
  rho: z.number().positive(),
  /** Steps run while step < maxIterations + 1 and the checked loss > lossTarget (notebook: 10^6, 1e-5). */
  maxIterations: z.number().int().min(1),
  lossTarget: z.number().min(0),
  /** SAM's descent LR decays linearly to 0 at this step (the notebook: its iteration budget, 10^6). */
  decayHorizon: z.number().int().min(1),
  gridStep: z.number().positive(),
  /** A kink counts when its slope change exceeds this; kinks closer than kinkMerge are one. */
  kinkThreshold: z.number().positive(),
  kinkMerge: z.number().min(0),
  /** Per-seed events of the claims (each claim's verdict: the fraction of seeds, claims[].rule). */
  criteria: z.strictObject({
    /** "Fits the data" relative to GD: SAM's final loss at most this factor times GD's final loss on the same seed. */
    fitFactorOverGd: z.number().min(1),
  }),
  /** How many seeds the figure draws (all seeds are in data.json and the claims). */
  plottedSeeds: z.number().int().min(1).default(5),
});

const RELU_CURVES: Record<"gd" | "gdMatched" | "sam", Curve> = {
  gd: { ...CURVES.ermBlue, label: "GD" },
  gdMatched: { ...CURVES.ermBlue, label: "GD stopped at SAM's training loss", dash: DASHES.dashed },
  sam: { ...CURVES.sam, label: "SAM (ρ = 0.3)", color: PALETTE.orange },
};

/** The 1-D ReLU network of SPEC 1.6 / 5.A6: learned functions of GD and SAM over seeds, and their kinks. */
export async function reproduceRelu1d(profile: Profile): Promise<FigureOutput> {
  const config = loadExperiment(RELU_ID, profile, settingsSchema);
  const settings = config.settings;
  const started = performance.now();
  const data = maennelData();
  const xMin = Math.min(...data.x);
  const xMax = Math.max(...data.x);
  const grid: number[] = [];
  for (let x = xMin - 5 * settings.gridStep; x < xMax + 5 * settings.gridStep; x += settings.gridStep) grid.push(x);
  const progress = createProgress(RELU_ID, settings.seeds.length * 2 * settings.maxIterations);
  let finishedSteps = 0;
  const results = settings.seeds.map((seed) => {
    const start = initReluNet(settings.width, seed, settings.initScale);
    const train = (rho: number): ReluTrainingResult => {
      const result = trainReluNet(data, start, {
        learningRate: settings.learningRate,
        rho,
        maxIterations: settings.maxIterations,
        lossTarget: settings.lossTarget,
        decayHorizon: settings.decayHorizon,
        onProgress: (step, loss) => progress.update(finishedSteps + step, { seed, method: rho > 0 ? "SAM" : "GD", loss }),
        progressEvery: 20000,
      });
      finishedSteps += settings.maxIterations;
      return result;
    };
    const gd = train(0);
    const sam = train(settings.rho);
    // GD from the same start, stopped at the first step whose loss is <= SAM's final loss: the two functions are
    // compared at a matched training loss (normalized SAM with constant rho does not interpolate, so comparing it
    // with an interpolating GD would credit SAM with simplicity that is only under-fitting).
    const gdMatched = trainReluNet(data, start, { learningRate: settings.learningRate, rho: 0, maxIterations: settings.maxIterations, lossTarget: sam.finalLoss, decayHorizon: settings.decayHorizon });
    const summarize = (result: ReluTrainingResult) => ({
      steps: result.steps,
      finalLoss: result.finalLoss,
      diverged: result.diverged,
      ...kinkSummary(result.net, xMin, xMax, settings.kinkThreshold, settings.kinkMerge),
      values: Array.from(evaluateReluNet(result.net, grid)),
    });
    return { seed, gd: summarize(gd), gdMatched: summarize(gdMatched), sam: summarize(sam) };
  });
  progress.stop();

  const variation = ratioStatistics(
    results.map((result) => result.sam.slopeVariation),
    results.map((result) => result.gdMatched.slopeVariation),
  );
  const kinks = ratioStatistics(
    results.map((result) => result.sam.kinks),
    results.map((result) => result.gdMatched.kinks),
  );
  const fitRatio = ratioStatistics(
    results.map((result) => result.sam.finalLoss),
    results.map((result) => result.gd.finalLoss),
  );
  // A seed where GD never came down to SAM's loss has no matched comparison: it does not count for the claim.
  const matched = (result: (typeof results)[number]) => !result.gdMatched.diverged && result.gdMatched.finalLoss <= result.sam.finalLoss;
  const claims: ClaimResult[] = [
    drawsClaim(config, "sam-simpler-interpolant", {
      heldPerDraw: results.map((result) => matched(result) && result.sam.slopeVariation < result.gdMatched.slopeVariation && result.sam.kinks < result.gdMatched.kinks),
      notebook: { note: "the draws are initializations on the notebook's own 12 points" },
      ourValue: `at matched training loss, SAM / GD total slope variation: ${describeStatistics(variation, "x")}; kink count ratio: ${describeStatistics(kinks, "x")}`,
      details:
        `A seed counts when, against GD stopped at SAM's final training loss (same start), SAM's total slope variation (integral of |f''| over [${xMin}, ${xMax}]) is lower ` +
        `and it has fewer kinks (slope change > ${settings.kinkThreshold}, merged within ${settings.kinkMerge}). ` +
        results.map((result) => `seed ${result.seed}: loss ${formatNumber(result.sam.finalLoss)} (GD matched ${formatNumber(result.gdMatched.finalLoss)} at step ${result.gdMatched.steps}), variation SAM ${formatNumber(result.sam.slopeVariation)} vs GD ${formatNumber(result.gdMatched.slopeVariation)}, kinks ${result.sam.kinks} vs ${result.gdMatched.kinks}`).join("; ") +
        `. The data set is the notebook's own (12 points); the draws are initializations.`,
    }),
    drawsClaim(config, "both-interpolate", {
      heldPerDraw: results.map((result) => !result.sam.diverged && !result.gd.diverged && result.sam.finalLoss <= settings.criteria.fitFactorOverGd * result.gd.finalLoss),
      notebook: { note: "the draws are initializations on the notebook's own 12 points" },
      ourValue: `SAM / GD final training loss: ${describeStatistics(fitRatio, "x")}`,
      details:
        `Relative to GD (which stops at loss <= ${settings.lossTarget}, as in the notebook): a seed counts when SAM's final loss is at most ${settings.criteria.fitFactorOverGd}x GD's. ` +
        `Steps: GD ${results.map((result) => result.gd.steps).join(", ")}; SAM ${results.map((result) => result.sam.steps).join(", ")}.`,
    }),
  ];

  const plotted = results.slice(0, settings.plottedSeeds);
  const rows = plotted.flatMap((result) =>
    (["gd", "gdMatched", "sam"] as const).flatMap((method) =>
      grid.map((x, index) => ({ seed: `seed ${result.seed}`, method: RELU_CURVES[method].label, x, y: result[method].values[index] })),
    ),
  );
  const scales = curveScales([RELU_CURVES.gd, RELU_CURVES.gdMatched, RELU_CURVES.sam]);
  const spec = lineChart({
    title: "One-hidden-layer ReLU network (100 units) on 12 points: GD vs SAM",
    subtitle: `lr ${settings.learningRate}, up to ${settings.maxIterations} steps, SAM ρ=${settings.rho} (normalized ascent, linearly decaying LR); dashed: GD from the same start stopped at SAM's final training loss; dots: training points; first ${plotted.length} of ${settings.seeds.length} seeds`,
    data: rows,
    x: { field: "x", title: "x" },
    y: { field: "y", title: "f(x)" },
    color: { field: "method", title: "Method", ...scales.color },
    strokeDash: { field: "method", ...scales.strokeDash },
    facet: { field: "seed", columns: 5 },
    width: 220,
    height: 180,
  });
  // The 12 training points in every panel.
  const values = (spec.data as { values: unknown[] }).values;
  for (const result of plotted) {
    data.x.forEach((x, index) => values.push({ seed: `seed ${result.seed}`, x, y: data.y[index], source: "data" }));
  }
  (spec.spec as { layer: Array<Record<string, unknown>> }).layer.push({
    transform: [{ filter: "datum.source === 'data'" }],
    mark: { type: "point", filled: true, color: PALETTE.black, size: 30 },
    encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
  });
  return experimentFigureOutput(config, started, {
    setup: settings,
    scaledDown:
      settings.maxIterations < 1_000_000
        ? `${settings.maxIterations} steps instead of the notebook's 10^6 (SAM's LR decays to 0 over this shorter horizon)${profile === "smoke" ? "; smoke test" : ""}.`
        : undefined,
    data: {
      trainingData: { x: Array.from(data.x), y: Array.from(data.y) },
      grid,
      perSeed: results,
      ratios: { slopeVariationAtMatchedLoss: variation, kinksAtMatchedLoss: kinks, samOverGdFinalLoss: fitRatio },
    },
    spec,
    claims,
  });
}

/** The settings of one profile of experiments/relu-1d.json (the JSON Schema generator reads it too). */
export { settingsSchema as relu1dSettingsSchema };
