/**
 * The loss along the line between ERM -> 1-SAM and ERM in (u, v) space (SPEC 3.5 D6, 5.A3), on the switching runs
 * of diag-net-finetuning, with the barrier measured relative to the endpoint losses.
 */
import { z } from "zod";
import { DASHES, PALETTE, curveScales, lineChart, type ClaimResult, type Curve, type FigureOutput } from "@sam-repro/figures";
import { loadExperiment, type Profile } from "@sam-repro/runner";
import { DiagNetTrainer, initialState, type DiagNetState } from "../diag-net.js";
import type { RegressionProblem } from "../problem.js";
import { runAllSeeds, switchingSchema, type SwitchingRuns } from "./diag-net-finetuning.js";
import { bandOverSeeds, describeStatistics, drawsClaim, formatNumber, seedStatistics, experimentFigureOutput } from "./shared.js";

export const INTERPOLATION_ID = "diag-net-interpolation";

const interpolationSchema = switchingSchema.extend({
  /** a in linspace(from, to, points); a = 0 is ERM -> 1-SAM, a = 1 is ERM (SPEC 3.5 D6). */
  interpolation: z.strictObject({ from: z.number(), to: z.number(), points: z.number().int().min(3), barrierPoints: z.number().int().min(3) }),
  criteria: z.strictObject({
    /**
     * No barrier on a draw: the train loss on a in [0, 1] rises above the larger endpoint loss by at most this fraction
     * of that endpoint loss (relative to the endpoints, not to the loss at initialization, which is orders larger).
     */
    barrierFractionOfEndpoint: z.number().min(0),
  }),
});

/** theta(a) = (1 - a) theta_0 + a theta_1 in (u, v) space. */
export function interpolateState(start: DiagNetState, end: DiagNetState, a: number): DiagNetState {
  return {
    u: start.u.map((value, j) => (1 - a) * value + a * end.u[j]!),
    v: start.v.map((value, j) => (1 - a) * value + a * end.v[j]!),
  };
}

/** Evenly spaced points from `from` to `to` inclusive (numpy linspace). */
export function linspace(from: number, to: number, points: number): number[] {
  return Array.from({ length: points }, (_, index) => from + ((to - from) * index) / (points - 1));
}

/** Loss along the line from ERM -> 1-SAM (a = 0) to ERM (a = 1) in (u, v) (SPEC 3.5 D6, 5.A3). */
export async function reproduceInterpolation(profile: Profile): Promise<FigureOutput> {
  const config = loadExperiment(INTERPOLATION_ID, profile, interpolationSchema);
  const settings = config.settings;
  const started = performance.now();
  const { problems, runs, notebook } = runAllSeeds(INTERPOLATION_ID, settings);
  const grid = linspace(settings.interpolation.from, settings.interpolation.to, settings.interpolation.points);
  const barrierGrid = linspace(0, 1, settings.interpolation.barrierPoints);
  const alongLine = (problem: RegressionProblem, switching: SwitchingRuns, seed: number | "notebook") => {
    const trainer = new DiagNetTrainer(problem);
    const start = switching.ermToOneSam;
    const end = switching.ermContinued;
    const along = grid.map((a) => {
      const state = interpolateState(start, end, a);
      return { a, trainLoss: trainer.trainLoss(state), testLoss: trainer.testLoss(state) };
    });
    const inside = barrierGrid.map((a) => trainer.trainLoss(interpolateState(start, end, a)));
    const endpoints = Math.max(inside[0]!, inside[inside.length - 1]!);
    const initialLoss = trainer.trainLoss(initialState(problem.d, settings.alpha));
    const barrier = Math.max(...inside) - endpoints;
    // A diverged endpoint (NaN) makes the relative barrier NaN: no draw passes with it.
    return { seed, along, maxInside: Math.max(...inside), endpoints, barrier, relativeBarrier: barrier / endpoints, initialLoss, testAt0: start.testLoss, testAt1: end.testLoss };
  };
  const perSeed = problems.map((problem, index) => alongLine(problem, runs[index]!, settings.seeds[index]!));
  const notebookLine = notebook ? alongLine(notebook.problem, notebook.runs, "notebook") : null;
  const relative = seedStatistics(perSeed.map((seed) => seed.relativeBarrier));
  const tolerance = settings.criteria.barrierFractionOfEndpoint;
  const noBarrier = (line: { relativeBarrier: number }) => line.relativeBarrier <= tolerance;
  const claims: ClaimResult[] = [
    drawsClaim(config, "no-train-loss-barrier", {
      heldPerDraw: perSeed.map(noBarrier),
      notebook: notebookLine ? { held: noBarrier(notebookLine), value: `rise ${formatNumber(notebookLine.relativeBarrier)}x the larger endpoint loss ${formatNumber(notebookLine.endpoints)}` } : null,
      ourValue: `(max train loss on [0, 1] - larger endpoint) / larger endpoint: ${describeStatistics(relative)}`,
      details:
        `A draw counts when the train loss on [0, 1] (${settings.interpolation.barrierPoints} points) exceeds the larger endpoint loss by at most ${tolerance} x that loss. ` +
        perSeed
          .map((seed) => `seed ${seed.seed}: max on [0,1] ${formatNumber(seed.maxInside)}, endpoints ${formatNumber(seed.endpoints)} (initial ${formatNumber(seed.initialLoss)})`)
          .join("; ") +
        ".",
    }),
  ];

  const rows = (["test", "train"] as const).flatMap((kind) =>
    bandOverSeeds(perSeed.map((seed) => ({ step: seed.along.map((point) => point.a), values: seed.along.map((point) => (kind === "test" ? point.testLoss : point.trainLoss)) }))).map(
      (row) => ({ a: row.step, median: row.median, lower: row.lower, upper: row.upper, loss: kind === "test" ? "Test loss" : "Train loss" }),
    ),
  );
  const lossCurves: Curve[] = [
    { label: "Test loss", color: PALETTE.blue, dash: DASHES.solid },
    { label: "Train loss", color: PALETTE.blue, dash: DASHES.dashed },
  ];
  const scales = curveScales(lossCurves);
  const spec = lineChart({
    title: "Diagonal linear network: loss between ERM → 1-SAM (a = 0) and ERM (a = 1)",
    subtitle: `theta(a) = (1 - a) theta_ERM→1-SAM + a theta_ERM in (u, v); median over ${settings.seeds.length} seeds, band: min-max`,
    data: rows,
    x: { field: "a", title: "Interpolation between model weights" },
    y: { field: "median", title: "Squared loss", scale: "log" },
    color: { field: "loss", title: "Loss", ...scales.color },
    strokeDash: { field: "loss", ...scales.strokeDash },
    band: { lower: "lower", upper: "upper" },
  });
  addEndpointMarks(spec, rows);
  return experimentFigureOutput(config, started, {
    setup: settings,
    scaledDown: profile === "smoke" ? `${settings.phaseIterations} steps per phase instead of 10,001 (smoke test).` : undefined,
    data: { seeds: settings.seeds, perSeed, notebook: notebookLine, relativeBarriers: relative, rows },
    spec,
    claims,
  });
}

/** Marks the two endpoints' test losses (star: ERM → 1-SAM at a = 0, dot: ERM at a = 1), as the notebook does. */
function addEndpointMarks(spec: Record<string, unknown>, rows: Array<{ a: number; median: number; loss: string }>): void {
  const marks = rows
    .filter((row) => row.loss === "Test loss" && (Math.abs(row.a) < 1e-9 || Math.abs(row.a - 1) < 1e-9))
    .map((row) => ({ a: row.a, median: row.median, endpoint: Math.abs(row.a) < 1e-9 ? "ERM → 1-SAM (a = 0)" : "ERM (a = 1)", source: "endpoint" }));
  (spec.data as { values: unknown[] }).values.push(...marks);
  (spec.layer as Array<Record<string, unknown>>).push({
    transform: [{ filter: "datum.source === 'endpoint'" }],
    mark: { type: "point", filled: true, size: 110, color: PALETTE.red },
    encoding: {
      x: { field: "a", type: "quantitative" },
      y: { field: "median", type: "quantitative", scale: { type: "log" } },
      shape: { field: "endpoint", type: "nominal", title: "Test loss at", scale: { domain: ["ERM → 1-SAM (a = 0)", "ERM (a = 1)"], range: ["diamond", "circle"] } },
    },
  });
}

/** The settings of one profile of experiments/diag-net-interpolation.json (the JSON Schema generator reads it too). */
export { interpolationSchema as interpolationSettingsSchema };
