import { z } from "zod";
import { CURVES, PALETTE, curveScales, lineChart, type ClaimResult, type Curve } from "@sam-repro/figures";
import { createProgress, loadExperiment, type Profile } from "@sam-repro/runner";
import { evaluateReluNet, initReluNet, kinkSummary, maennelData, trainReluNet, type ReluTrainingResult } from "../relu-1d.js";
import { checkedClaim, describeStatistics, perSeedText, ratioStatistics, remainingClaims, seedsSchema, writeExperimentFigure } from "./shared.js";

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
  criteria: z.strictObject({
    /** "Fits the data": final loss 0.5 sum (f(x_i) - y_i)^2 at most this for both methods on every seed. */
    fitLoss: z.number().positive(),
  }),
});

const RELU_CURVES: Record<"gd" | "sam", Curve> = {
  gd: { ...CURVES.ermBlue, label: "GD" },
  sam: { ...CURVES.sam, label: "SAM (ρ = 0.3)", color: PALETTE.orange },
};

/** The 1-D ReLU network of SPEC 1.6 / 5.A6: learned functions of GD and SAM over seeds, and their kinks. */
export async function reproduceRelu1d(profile: Profile): Promise<string> {
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
    const summarize = (result: ReluTrainingResult) => ({
      steps: result.steps,
      finalLoss: result.finalLoss,
      diverged: result.diverged,
      ...kinkSummary(result.net, xMin, xMax, settings.kinkThreshold, settings.kinkMerge),
      values: Array.from(evaluateReluNet(result.net, grid)),
    });
    return { seed, gd: summarize(gd), sam: summarize(sam) };
  });
  progress.stop();

  const seeds = settings.seeds;
  const variation = ratioStatistics(
    results.map((result) => result.sam.slopeVariation),
    results.map((result) => result.gd.slopeVariation),
  );
  const kinks = ratioStatistics(
    results.map((result) => result.sam.kinks),
    results.map((result) => result.gd.kinks),
  );
  const fits = results.every((result) => result.gd.finalLoss <= settings.criteria.fitLoss && result.sam.finalLoss <= settings.criteria.fitLoss);
  const claims: ClaimResult[] = [
    checkedClaim(
      config,
      "sam-simpler-interpolant",
      `SAM / GD total slope variation on the data range: ${describeStatistics(variation, "x")}; kink count ratio: ${describeStatistics(kinks, "x")}`,
      variation.max < 1 && kinks.median < 1,
      `Criterion: SAM's total slope variation (integral of |f''| over [${xMin}, ${xMax}]) below GD's on every seed, and the median kink-count ratio below 1 ` +
        `(kinks: slope change > ${settings.kinkThreshold}, merged within ${settings.kinkMerge}). ` +
        `Slope variation GD ${perSeedText(seeds, results.map((result) => result.gd.slopeVariation))}; SAM ${perSeedText(seeds, results.map((result) => result.sam.slopeVariation))}. ` +
        `Kinks GD ${results.map((result) => result.gd.kinks).join(", ")}; SAM ${results.map((result) => result.sam.kinks).join(", ")}.`,
    ),
    checkedClaim(
      config,
      "both-interpolate",
      `final loss GD ${perSeedText(seeds, results.map((result) => result.gd.finalLoss))}; SAM ${perSeedText(seeds, results.map((result) => result.sam.finalLoss))}`,
      fits,
      `Criterion: final loss 0.5 sum_i (f(x_i) - y_i)^2 <= ${settings.criteria.fitLoss} for both methods on every seed (the notebook stops GD at 1e-5). ` +
        `Steps: GD ${results.map((result) => result.gd.steps).join(", ")}; SAM ${results.map((result) => result.sam.steps).join(", ")}.`,
    ),
  ];
  claims.push(...remainingClaims(config, claims, "not checked by this figure's code"));

  const rows = results.flatMap((result) =>
    (["gd", "sam"] as const).flatMap((method) =>
      grid.map((x, index) => ({ seed: `seed ${result.seed}`, method: RELU_CURVES[method].label, x, y: result[method].values[index] })),
    ),
  );
  const scales = curveScales([RELU_CURVES.gd, RELU_CURVES.sam]);
  const spec = lineChart({
    title: "One-hidden-layer ReLU network (100 units) on 12 points: GD vs SAM",
    subtitle: `lr ${settings.learningRate}, up to ${settings.maxIterations} steps, SAM ρ=${settings.rho} (normalized ascent, linearly decaying LR); dots: training points`,
    data: rows,
    x: { field: "x", title: "x" },
    y: { field: "y", title: "f(x)" },
    color: { field: "method", title: "Method", ...scales.color },
    facet: { field: "seed", columns: 5 },
    width: 220,
    height: 180,
  });
  // The 12 training points in every panel.
  const values = (spec.data as { values: unknown[] }).values;
  for (const result of results) {
    data.x.forEach((x, index) => values.push({ seed: `seed ${result.seed}`, x, y: data.y[index], source: "data" }));
  }
  (spec.spec as { layer: Array<Record<string, unknown>> }).layer.push({
    transform: [{ filter: "datum.source === 'data'" }],
    mark: { type: "point", filled: true, color: PALETTE.black, size: 30 },
    encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
  });
  return writeExperimentFigure(config, started, {
    setup: settings,
    scaledDown:
      settings.maxIterations < 1_000_000
        ? `${settings.maxIterations} steps instead of the notebook's 10^6 (SAM's LR decays to 0 over this shorter horizon)${profile === "smoke" ? "; smoke test" : ""}.`
        : undefined,
    data: {
      trainingData: { x: Array.from(data.x), y: Array.from(data.y) },
      grid,
      perSeed: results,
      ratios: { slopeVariation: variation, kinks },
    },
    spec,
    claims,
  });
}
