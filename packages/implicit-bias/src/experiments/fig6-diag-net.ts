import { z } from "zod";
import { CURVES, curveScales, lineChart, type ClaimResult, type FigureOutput } from "@sam-repro/figures";
import { createProgress, loadExperiment, type Profile } from "@sam-repro/runner";
import { DiagNetTrainer, initialState, recordSchedule, type DiagNetMethod, type DiagNetRun } from "../diag-net.js";
import type { RegressionProblem } from "../problem.js";
import {
  bandOverSeeds,
  describeStatistics,
  drawsClaim,
  formatNumber,
  gammaTimesDSchema,
  notebookProblem,
  seedStatistics,
  problemsForSeeds,
  ratioStatistics,
  experimentFigureOutput,
  seedsSchema,
  sparseProblemSchema,
} from "./shared.js";

export const FIG6_ID = "fig6-diag-net";

const settingsSchema = z.strictObject({
  problem: sparseProblemSchema,
  seeds: seedsSchema,
  alpha: z.number().positive(),
  /** gamma = gammaTimesD / d for all three methods. */
  gammaTimesD: gammaTimesDSchema,
  iterations: z.number().int().min(1),
  nSamRho: z.number().min(0),
  oneSamRho: z.number().min(0),
  /** Number of log-spaced record points (plus steps 1..denseSteps). */
  recordPoints: z.number().int().min(2),
  denseSteps: z.number().int().min(0),
  /** Per-draw thresholds of the claims, declared in the config so they are fixed before the run. */
  criteria: z.strictObject({
    /** "much lower": ERM / 1-SAM (and n-SAM / 1-SAM) final test loss at least this on a draw. */
    minErmOverOneSam: z.number().positive(),
    /** "coincides": n-SAM / ERM final test loss inside this band on a draw. */
    nSamOverErmBand: z.tuple([z.number().positive(), z.number().positive()]),
  }),
});

const METHODS: ReadonlyArray<{ method: DiagNetMethod; curve: (typeof CURVES)[keyof typeof CURVES] }> = [
  { method: "gd", curve: CURVES.ermBlue },
  { method: "nsam", curve: CURVES.nSamRedDotted },
  { method: "1sam", curve: CURVES.oneSamYellowDotted },
];

/** Fig. 6 (SPEC 3.4, 5.A1): test and train loss vs iterations for ERM, n-SAM and 1-SAM, over several data seeds. */
export async function reproduceFig6(profile: Profile): Promise<FigureOutput> {
  const config = loadExperiment(FIG6_ID, profile, settingsSchema);
  const settings = config.settings;
  const started = performance.now();
  // The generated draws, then the notebook's own data (when the profile uses the notebook's sizes).
  const notebook = notebookProblem(settings.problem);
  const problems: RegressionProblem[] = [...problemsForSeeds(settings.problem, settings.seeds), ...(notebook ? [notebook] : [])];
  const gamma = settings.gammaTimesD / settings.problem.d;
  const recordAt = recordSchedule(settings.iterations, settings.recordPoints, settings.denseSteps);
  const progress = createProgress(FIG6_ID, problems.length * METHODS.length);
  const allRuns: Record<DiagNetMethod, DiagNetRun[]> = { gd: [], sgd: [], nsam: [], "1sam": [] };
  problems.forEach((problem, problemIndex) => {
    const trainer = new DiagNetTrainer(problem);
    METHODS.forEach(({ method }, methodIndex) => {
      const rho = method === "nsam" ? settings.nSamRho : method === "1sam" ? settings.oneSamRho : 0;
      allRuns[method].push(trainer.run(initialState(problem.d, settings.alpha), { method, gamma, rho, iterations: settings.iterations, recordAt }));
      progress.update(problemIndex * METHODS.length + methodIndex + 1, { draw: problemIndex < settings.seeds.length ? `seed ${settings.seeds[problemIndex]}` : "notebook", method });
    });
  });
  progress.stop();
  const drawCount = settings.seeds.length;
  const runs = Object.fromEntries(Object.entries(allRuns).map(([method, list]) => [method, list.slice(0, drawCount)])) as Record<DiagNetMethod, DiagNetRun[]>;
  const notebookRuns = notebook ? (Object.fromEntries(Object.entries(allRuns).map(([method, list]) => [method, list[drawCount]])) as Record<DiagNetMethod, DiagNetRun>) : null;

  const outcomes = runs.gd.map((_, index) => fig6Outcome({ gd: runs.gd[index]!, nsam: runs.nsam[index]!, oneSam: runs["1sam"][index]! }));
  const notebookOutcome = notebookRuns ? fig6Outcome({ gd: notebookRuns.gd, nsam: notebookRuns.nsam, oneSam: notebookRuns["1sam"] }) : null;
  const finalTest = (method: DiagNetMethod) => runs[method].map((run) => run.testLoss);
  const finalTrain = (method: DiagNetMethod) => runs[method].map((run) => run.trainLoss);
  const ermOverOneSam = ratioStatistics(finalTest("gd"), finalTest("1sam"));
  const nSamOverErm = ratioStatistics(finalTest("nsam"), finalTest("gd"));
  const nSamOverOneSam = ratioStatistics(finalTest("nsam"), finalTest("1sam"));
  const oneSamTrainOverErm = ratioStatistics(finalTrain("1sam"), finalTrain("gd"));
  const slopes = (key: "gd" | "oneSam") => describeStatistics(seedStatistics(outcomes.map((o) => o.trainSlope[key])));
  const { minErmOverOneSam, nSamOverErmBand } = settings.criteria;
  const seeds = settings.seeds;
  const anyDiverged = METHODS.some(({ method }) => allRuns[method].some((run) => run.diverged));
  // One per-draw event, evaluated on every generated draw and on the notebook's data.
  const check = (held: (o: Fig6Outcome) => boolean, value: (o: Fig6Outcome) => string) => ({
    heldPerDraw: outcomes.map(held),
    notebook: notebookOutcome ? { held: held(notebookOutcome), value: value(notebookOutcome) } : null,
  });
  const inBand = (ratio: number) => ratio >= nSamOverErmBand[0] && ratio <= nSamOverErmBand[1];
  const claims: ClaimResult[] = [
    drawsClaim(config, "one-sam-test-loss-below-erm", {
      ...check((o) => o.ermOverOneSam >= minErmOverOneSam, (o) => `ERM / 1-SAM ${formatNumber(o.ermOverOneSam)}x`),
      ourValue: `ERM / 1-SAM final test loss: ${describeStatistics(ermOverOneSam, "x")}`,
      details: `A draw counts when ERM's final test loss is at least ${minErmOverOneSam}x 1-SAM's at ${settings.iterations} iterations.`,
    }),
    drawsClaim(config, "nsam-test-loss-near-erm", {
      ...check((o) => inBand(o.nSamOverErm), (o) => `n-SAM / ERM ${formatNumber(o.nSamOverErm)}x`),
      ourValue: `n-SAM / ERM final test loss: ${describeStatistics(nSamOverErm, "x")}`,
      details: `A draw counts when n-SAM / ERM final test loss lies in [${nSamOverErmBand.join(", ")}].`,
    }),
    drawsClaim(config, "one-sam-beats-nsam", {
      ...check((o) => o.nSamOverOneSam >= minErmOverOneSam, (o) => `n-SAM / 1-SAM ${formatNumber(o.nSamOverOneSam)}x`),
      ourValue: `n-SAM / 1-SAM final test loss: ${describeStatistics(nSamOverOneSam, "x")}`,
      details: `A draw counts when n-SAM's final test loss is at least ${minErmOverOneSam}x 1-SAM's (the same margin as against ERM).`,
    }),
    drawsClaim(config, "one-sam-train-converges-slower", {
      ...check((o) => o.trainSlope.oneSam > o.trainSlope.gd, (o) => `slopes 1-SAM ${formatNumber(o.trainSlope.oneSam)}, ERM ${formatNumber(o.trainSlope.gd)}`),
      ourValue: `log-log slope of the train loss over the last decade of iterations: ERM ${slopes("gd")}; 1-SAM ${slopes("oneSam")}; final 1-SAM / ERM train loss ${describeStatistics(oneSamTrainOverErm, "x")}`,
      details:
        `Rates, not end points: a draw counts when 1-SAM's train loss falls more slowly than ERM's over the last decade, i.e. its slope ` +
        `d log L / d log t between t = ${settings.iterations / 10} and ${settings.iterations} is larger (less negative); a diverged run never counts.` +
        (anyDiverged ? " Some runs diverged (see data.json)." : ""),
    }),
  ];

  const rows = METHODS.flatMap(({ method, curve }) =>
    (["test", "train"] as const).flatMap((kind) =>
      bandOverSeeds(
        runs[method].map((run) => ({ step: run.curve.step, values: kind === "test" ? run.curve.testLoss : run.curve.trainLoss })),
      ).map((row) => ({ ...row, method: curve.label, panel: kind === "test" ? "Test loss" : "Train loss" })),
    ),
  );
  const scales = curveScales(METHODS.map(({ curve }) => curve));
  const spec = lineChart({
    title: "Diagonal linear network, sparse regression: ERM vs n-SAM vs 1-SAM",
    subtitle: `median over ${seeds.length} data draws (band: min-max); n=${settings.problem.n}, d=${settings.problem.d}, r=${settings.problem.r}, alpha=${settings.alpha}, gamma=${settings.gammaTimesD}/d, rho: n-SAM ${settings.nSamRho}, 1-SAM ${settings.oneSamRho}`,
    data: rows,
    x: { field: "step", title: "Number of iterations", scale: "log" },
    y: { field: "median", title: "Loss", scale: "log" },
    color: { field: "method", title: "Method", ...scales.color },
    strokeDash: { field: "method", ...scales.strokeDash },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "panel", columns: 2, independentY: true },
  });
  return experimentFigureOutput(config, started, {
    setup: { ...settings, gamma },
    scaledDown:
      profile === "paper"
        ? undefined
        : settings.iterations < 1_000_000
          ? `${settings.iterations} iterations instead of the paper figure's 10^6 horizon${profile === "smoke" ? " (smoke test)" : ""}.`
          : undefined,
    data: {
      seeds,
      outcomes: outcomes.map((outcome, index) => ({ seed: seeds[index], ...outcome })),
      notebook: notebookRuns
        ? { outcome: notebookOutcome, final: Object.fromEntries(METHODS.map(({ method, curve }) => [curve.label, { trainLoss: notebookRuns[method].trainLoss, testLoss: notebookRuns[method].testLoss, diverged: notebookRuns[method].diverged }])) }
        : null,
      final: Object.fromEntries(
        METHODS.map(({ method, curve }) => [
          curve.label,
          runs[method].map((run, index) => ({
            seed: seeds[index],
            trainLoss: run.trainLoss,
            testLoss: run.testLoss,
            diverged: run.diverged,
            steps: run.steps,
          })),
        ]),
      ),
      ratios: { ermOverOneSam, nSamOverErm, nSamOverOneSam, oneSamTrainOverErm },
      curves: Object.fromEntries(
        METHODS.map(({ method, curve }) => [curve.label, runs[method].map((run, index) => ({ seed: seeds[index], ...run.curve }))]),
      ),
      rows,
    },
    spec,
    claims,
  });
}

/** What one data draw shows: the final test-loss ratios and the late log-log slopes of the train loss. */
export interface Fig6Outcome {
  ermOverOneSam: number;
  nSamOverErm: number;
  nSamOverOneSam: number;
  /** d log L_train / d log t over the last decade of recorded steps (NaN for a diverged run). */
  trainSlope: { gd: number; nsam: number; oneSam: number };
}

/**
 * The log-log slope of a recorded loss curve between the recorded step nearest T/10 and the last one:
 * (log L(t2) - log L(t1)) / (log t2 - log t1). NaN when the run diverged or a loss is not positive.
 */
export function lateLogLogSlope(run: DiagNetRun): number {
  const { step, trainLoss } = run.curve;
  if (run.diverged || step.length < 2) return Number.NaN;
  const last = step.length - 1;
  const target = step[last]! / 10;
  const distance = (i: number) => Math.abs(Math.log(Math.max(step[i]!, 1) / target));
  let first = 0;
  for (let i = 1; i < last; i++) if (distance(i) < distance(first)) first = i;
  const [t1, t2, l1, l2] = [Math.max(step[first]!, 1), step[last]!, trainLoss[first]!, trainLoss[last]!];
  return l1 > 0 && l2 > 0 && t2 > t1 ? (Math.log(l2) - Math.log(l1)) / (Math.log(t2) - Math.log(t1)) : Number.NaN;
}

/** The outcome of one draw from its three runs. */
function fig6Outcome(runs: { gd: DiagNetRun; nsam: DiagNetRun; oneSam: DiagNetRun }): Fig6Outcome {
  // A diverged run's loss (NaN) ranks worst, as in ratioStatistics.
  const loss = (run: DiagNetRun) => (run.diverged || Number.isNaN(run.testLoss) ? Number.POSITIVE_INFINITY : run.testLoss);
  return {
    ermOverOneSam: loss(runs.gd) / loss(runs.oneSam),
    nSamOverErm: loss(runs.nsam) / loss(runs.gd),
    nSamOverOneSam: loss(runs.nsam) / loss(runs.oneSam),
    trainSlope: { gd: lateLogLogSlope(runs.gd), nsam: lateLogLogSlope(runs.nsam), oneSam: lateLogLogSlope(runs.oneSam) },
  };
}

/** The settings of one profile of experiments/fig6-diag-net.json (the JSON Schema generator reads it too). */
export { settingsSchema as fig6SettingsSchema };
