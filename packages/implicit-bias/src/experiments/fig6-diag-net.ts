import { z } from "zod";
import { CURVES, curveScales, lineChart, type ClaimResult } from "@sam-repro/figures";
import { createProgress, loadExperiment, type Profile } from "@sam-repro/runner";
import { DiagNetTrainer, initialState, recordSchedule, type DiagNetMethod, type DiagNetRun } from "../diag-net.js";
import {
  bandOverSeeds,
  checkedClaim,
  describeStatistics,
  gammaTimesDSchema,
  perSeedText,
  problemsForSeeds,
  ratioStatistics,
  remainingClaims,
  writeExperimentFigure,
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
  /** Claim thresholds, declared in the config so they are fixed before the run. */
  criteria: z.strictObject({
    minMedianErmOverOneSam: z.number().positive(),
    nSamOverErmBand: z.tuple([z.number().positive(), z.number().positive()]),
  }),
});

const METHODS: ReadonlyArray<{ method: DiagNetMethod; curve: (typeof CURVES)[keyof typeof CURVES] }> = [
  { method: "gd", curve: CURVES.ermBlue },
  { method: "nsam", curve: CURVES.nSamRedDotted },
  { method: "1sam", curve: CURVES.oneSamYellowDotted },
];

/** Fig. 6 (SPEC 3.4, 5.A1): test and train loss vs iterations for ERM, n-SAM and 1-SAM, over several data seeds. */
export async function reproduceFig6(profile: Profile): Promise<string> {
  const config = loadExperiment(FIG6_ID, profile, settingsSchema);
  const settings = config.settings;
  const started = performance.now();
  const problems = problemsForSeeds(settings.problem, settings.seeds);
  const gamma = settings.gammaTimesD / settings.problem.d;
  const recordAt = recordSchedule(settings.iterations, settings.recordPoints, settings.denseSteps);
  const progress = createProgress(FIG6_ID, problems.length * METHODS.length);
  const runs: Record<DiagNetMethod, DiagNetRun[]> = { gd: [], sgd: [], nsam: [], "1sam": [] };
  problems.forEach((problem, seedIndex) => {
    const trainer = new DiagNetTrainer(problem);
    METHODS.forEach(({ method }, methodIndex) => {
      const rho = method === "nsam" ? settings.nSamRho : method === "1sam" ? settings.oneSamRho : 0;
      runs[method].push(trainer.run(initialState(problem.d, settings.alpha), { method, gamma, rho, iterations: settings.iterations, recordAt }));
      progress.update(seedIndex * METHODS.length + methodIndex + 1, { seed: settings.seeds[seedIndex]!, method });
    });
  });
  progress.stop();

  const finalTest = (method: DiagNetMethod) => runs[method].map((run) => run.testLoss);
  const finalTrain = (method: DiagNetMethod) => runs[method].map((run) => run.trainLoss);
  const ermOverOneSam = ratioStatistics(finalTest("gd"), finalTest("1sam"));
  const nSamOverErm = ratioStatistics(finalTest("nsam"), finalTest("gd"));
  const nSamOverOneSam = ratioStatistics(finalTest("nsam"), finalTest("1sam"));
  const oneSamTrainOverErm = ratioStatistics(finalTrain("1sam"), finalTrain("gd"));
  const { minMedianErmOverOneSam, nSamOverErmBand } = settings.criteria;
  const seeds = settings.seeds;
  const anyDiverged = METHODS.some(({ method }) => runs[method].some((run) => run.diverged));
  const claims: ClaimResult[] = [
    checkedClaim(
      config,
      "one-sam-test-loss-below-erm",
      `ERM / 1-SAM test loss: ${describeStatistics(ermOverOneSam, "x")}`,
      ermOverOneSam.min > 1 && ermOverOneSam.median >= minMedianErmOverOneSam,
      `Criterion: ratio > 1 on every seed and median >= ${minMedianErmOverOneSam}. Final test losses: ERM ${perSeedText(seeds, finalTest("gd"))}; ` +
        `1-SAM ${perSeedText(seeds, finalTest("1sam"))}.`,
    ),
    checkedClaim(
      config,
      "nsam-test-loss-near-erm",
      `n-SAM / ERM test loss: ${describeStatistics(nSamOverErm, "x")}`,
      nSamOverErm.median >= nSamOverErmBand[0] && nSamOverErm.median <= nSamOverErmBand[1],
      `Criterion: median ratio within [${nSamOverErmBand[0]}, ${nSamOverErmBand[1]}]. n-SAM final test losses: ${perSeedText(seeds, finalTest("nsam"))}.`,
    ),
    checkedClaim(
      config,
      "one-sam-beats-nsam",
      `n-SAM / 1-SAM test loss: ${describeStatistics(nSamOverOneSam, "x")}`,
      nSamOverOneSam.min > 1 && nSamOverOneSam.median >= minMedianErmOverOneSam,
      `Criterion: ratio > 1 on every seed and median >= ${minMedianErmOverOneSam} (the same margin as against ERM).`,
    ),
    checkedClaim(
      config,
      "one-sam-train-converges-slower",
      `1-SAM / ERM final train loss: ${describeStatistics(oneSamTrainOverErm, "x")}`,
      oneSamTrainOverErm.min > 1,
      `Criterion: 1-SAM's final train loss above ERM's on every seed at ${settings.iterations} iterations. ` +
        `ERM ${perSeedText(seeds, finalTrain("gd"))}; 1-SAM ${perSeedText(seeds, finalTrain("1sam"))}.` +
        (anyDiverged ? " Some runs diverged (see data.json)." : ""),
    ),
  ];
  claims.push(...remainingClaims(config, claims, "not checked by this figure's code"));

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
    subtitle: `median over ${seeds.length} data seeds (band: min-max); n=${settings.problem.n}, d=${settings.problem.d}, r=${settings.problem.r}, alpha=${settings.alpha}, gamma=${settings.gammaTimesD}/d, rho: n-SAM ${settings.nSamRho}, 1-SAM ${settings.oneSamRho}`,
    data: rows,
    x: { field: "step", title: "Number of iterations", scale: "log" },
    y: { field: "median", title: "Loss", scale: "log" },
    color: { field: "method", title: "Method", ...scales.color },
    strokeDash: { field: "method", ...scales.strokeDash },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "panel", columns: 2, independentY: true },
  });
  return writeExperimentFigure(config, started, {
    setup: { ...settings, gamma },
    scaledDown:
      profile === "paper"
        ? undefined
        : `${settings.iterations} iterations instead of the paper figure's 10^6 horizon${profile === "smoke" ? " (smoke test)" : ""}.`,
    data: {
      seeds,
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
