import { z } from "zod";
import { CURVES, DASHES, PALETTE, curveScales, lineChart, type ClaimResult, type Curve, type FigureOutput } from "@sam-repro/figures";
import { createProgress, loadExperiment, type ExperimentConfig, type Profile } from "@sam-repro/runner";
import { DiagNetTrainer, initialState, type DiagNetRun, type DiagNetState, type LossCurve } from "../diag-net.js";
import type { RegressionProblem } from "../problem.js";
import {
  bandOverSeeds,
  describeStatistics,
  drawsClaim,
  formatNumber,
  gammaTimesDSchema,
  notebookProblem,
  problemsForSeeds,
  ratioStatistics,
  experimentFigureOutput,
  seedsSchema,
  sparseProblemSchema,
} from "./shared.js";

export const FINETUNING_ID = "diag-net-finetuning";

/** SPEC 3.5 D5: ERM -> 1-SAM (large rho) and 1-SAM -> ERM, each phase `phaseIterations` steps at gamma = gammaTimesD / d. */
export const switchingSchema = z.strictObject({
  problem: sparseProblemSchema,
  seeds: seedsSchema,
  alpha: z.number().positive(),
  gammaTimesD: gammaTimesDSchema,
  phaseIterations: z.number().int().min(1),
  ermToSamRho: z.number().positive(),
  samToErmRho: z.number().positive(),
  recordEvery: z.number().int().min(1),
});

const finetuningSchema = switchingSchema.extend({
  /** Extra ERM -> 1-SAM runs at these rho (context for the notebook's rho = 10: where the switch is stable on our data). */
  ermToSamRhoSweep: z.array(z.number().positive()),
  /** Per-draw events of the claims (each claim's verdict: the fraction of draws, claims[].rule). */
  criteria: z.strictObject({
    /** "Orders of magnitude": ERM / (ERM -> 1-SAM) final test loss at least this on a draw. */
    minImprovement: z.number().positive(),
    /** "About the level of 1-SAM from the start": (ERM -> 1-SAM) / 1-SAM ratio within this band. */
    oneSamLevelBand: z.tuple([z.number().positive(), z.number().positive()]),
    /** "Keeps": final 1-SAM -> ERM test loss at most this factor times the loss at the switch (and below continued ERM). */
    keepFactor: z.number().positive(),
  }),
});


type SwitchingSettings = z.infer<typeof switchingSchema>;

/** The six runs behind D5/D6 for one data seed: two phases from each of ERM and 1-SAM. */
export interface SwitchingRuns {
  ermPhase1: DiagNetRun;
  ermContinued: DiagNetRun;
  ermToOneSam: DiagNetRun;
  oneSamPhase1: DiagNetRun;
  oneSamContinued: DiagNetRun;
  oneSamToErm: DiagNetRun;
}

/** Runs ERM and 1-SAM (rho = samToErmRho) for one phase, then continues each with itself and with the other method. */
export function runSwitching(problem: RegressionProblem, settings: SwitchingSettings): SwitchingRuns {
  const trainer = new DiagNetTrainer(problem);
  const gamma = settings.gammaTimesD / problem.d;
  const iterations = settings.phaseIterations;
  const recordAt: number[] = [];
  for (let step = 0; step <= iterations; step += settings.recordEvery) recordAt.push(step);
  if (recordAt[recordAt.length - 1] !== iterations) recordAt.push(iterations);
  const from = (run: DiagNetRun): DiagNetState => ({ u: run.u, v: run.v });
  const options = { gamma, iterations, recordAt };
  const ermPhase1 = trainer.run(initialState(problem.d, settings.alpha), { ...options, method: "gd" });
  const oneSamPhase1 = trainer.run(initialState(problem.d, settings.alpha), { ...options, method: "1sam", rho: settings.samToErmRho });
  return {
    ermPhase1,
    ermContinued: trainer.run(from(ermPhase1), { ...options, method: "gd" }),
    ermToOneSam: trainer.run(from(ermPhase1), { ...options, method: "1sam", rho: settings.ermToSamRho }),
    oneSamPhase1,
    oneSamContinued: trainer.run(from(oneSamPhase1), { ...options, method: "1sam", rho: settings.samToErmRho }),
    oneSamToErm: trainer.run(from(oneSamPhase1), { ...options, method: "gd" }),
  };
}

/** Two phases as one curve, the second shifted by the first's length (its step 0 duplicates the switch point). */
function joinCurves(first: DiagNetRun, second: DiagNetRun): LossCurve {
  const skip = second.curve.step[0] === 0 ? 1 : 0;
  return {
    step: [...first.curve.step, ...second.curve.step.slice(skip).map((step) => step + first.steps)],
    trainLoss: [...first.curve.trainLoss, ...second.curve.trainLoss.slice(skip)],
    testLoss: [...first.curve.testLoss, ...second.curve.testLoss.slice(skip)],
  };
}

/** The switching runs on every generated draw, and on the notebook's data when the profile uses its sizes. */
export function runAllSeeds(
  id: string,
  settings: SwitchingSettings,
): { problems: RegressionProblem[]; runs: SwitchingRuns[]; notebook: { problem: RegressionProblem; runs: SwitchingRuns } | null } {
  const problems = problemsForSeeds(settings.problem, settings.seeds);
  const notebookData = notebookProblem(settings.problem);
  const progress = createProgress(id, problems.length + (notebookData ? 1 : 0));
  const runs = problems.map((problem, index) => {
    const result = runSwitching(problem, settings);
    progress.update(index + 1, { draw: `seed ${settings.seeds[index]!}` });
    return result;
  });
  const notebook = notebookData ? { problem: notebookData, runs: runSwitching(notebookData, settings) } : null;
  if (notebook) progress.update(problems.length + 1, { draw: "notebook" });
  progress.stop();
  return { problems, runs, notebook };
}

/** A final test loss with a diverged run counted as +Infinity. */
function finalTest(run: DiagNetRun): number {
  return run.diverged || Number.isNaN(run.testLoss) ? Number.POSITIVE_INFINITY : run.testLoss;
}

const SWITCH_CURVES = {
  erm: { ...CURVES.ermRed, label: "ERM" },
  ermToOneSam: { ...CURVES.ermToSam, label: "ERM → 1-SAM" },
  oneSam: { label: "1-SAM", color: PALETTE.blue, dash: DASHES.solid },
  oneSamToErm: { ...CURVES.samToErm, label: "1-SAM → ERM" },
} as const satisfies Record<string, Curve>;

/** ERM -> 1-SAM and 1-SAM -> ERM in the diagonal net (SPEC 3.5 D5, 5.A3). */
export async function reproduceFinetuning(profile: Profile): Promise<FigureOutput> {
  const config = loadExperiment(FINETUNING_ID, profile, finetuningSchema);
  const settings = config.settings;
  const started = performance.now();
  const { problems, runs, notebook } = runAllSeeds(FINETUNING_ID, settings);
  const sweep = settings.ermToSamRhoSweep.map((rho) => {
    const finals = problems.map((problem, index) => {
      const trainer = new DiagNetTrainer(problem);
      const phase1 = runs[index]!.ermPhase1;
      const run = trainer.run(
        { u: phase1.u, v: phase1.v },
        { method: "1sam", gamma: settings.gammaTimesD / problem.d, rho, iterations: settings.phaseIterations },
      );
      return finalOf(run);
    });
    return { rho, finals, improvement: ratioStatistics(runs.map((run) => run.ermContinued.testLoss), finals.map((final) => final.testLoss)) };
  });
  const joined = {
    erm: runs.map((run) => joinCurves(run.ermPhase1, run.ermContinued)),
    ermToOneSam: runs.map((run) => joinCurves(run.ermPhase1, run.ermToOneSam)),
    oneSam: runs.map((run) => joinCurves(run.oneSamPhase1, run.oneSamContinued)),
    oneSamToErm: runs.map((run) => joinCurves(run.oneSamPhase1, run.oneSamToErm)),
  };
  const claims = finetuningClaims(config, runs, notebook?.runs ?? null, sweep);
  const divergedSwitches = runs.filter((run) => run.ermToOneSam.diverged).length;
  const rows = (Object.keys(joined) as Array<keyof typeof joined>).flatMap((key) =>
    (["test", "train"] as const).flatMap((kind) =>
      bandOverSeeds(joined[key].map((curve) => ({ step: curve.step, values: kind === "test" ? curve.testLoss : curve.trainLoss }))).map(
        (row) => ({ ...row, method: SWITCH_CURVES[key].label, panel: kind === "test" ? "Test loss" : "Train loss" }),
      ),
    ),
  );
  const scales = curveScales(Object.values(SWITCH_CURVES));
  const spec = lineChart({
    title:
      "Diagonal linear network: switching between ERM and 1-SAM" +
      (divergedSwitches ? ` (ERM → 1-SAM diverged on ${divergedSwitches}/${settings.seeds.length} seeds)` : ""),
    subtitle: `α=${settings.alpha}, γ=${settings.gammaTimesD}/d, ρ: ERM → 1-SAM ${settings.ermToSamRho}, 1-SAM ${settings.samToErmRho}; median of ${settings.seeds.length} seeds, band min-max`,
    data: rows,
    x: { field: "step", title: "Iteration" },
    y: { field: "median", title: "Loss", scale: "log" },
    color: { field: "method", title: "Method", ...scales.color },
    strokeDash: { field: "method", ...scales.strokeDash },
    band: { lower: "lower", upper: "upper" },
    facet: { field: "panel", columns: 2, independentY: true },
    ruleX: settings.phaseIterations,
  });
  return experimentFigureOutput(config, started, {
    setup: settings,
    scaledDown: profile === "smoke" ? `${settings.phaseIterations} steps per phase instead of 10,001 (smoke test).` : undefined,
    data: {
      seeds: settings.seeds,
      final: runs.map((run, index) => ({
        seed: settings.seeds[index],
        atSwitch: { erm: finalOf(run.ermPhase1), oneSam: finalOf(run.oneSamPhase1) },
        erm: finalOf(run.ermContinued),
        ermToOneSam: finalOf(run.ermToOneSam),
        oneSam: finalOf(run.oneSamContinued),
        oneSamToErm: finalOf(run.oneSamToErm),
      })),
      curves: Object.fromEntries(
        (Object.keys(joined) as Array<keyof typeof joined>).map((key) => [
          SWITCH_CURVES[key].label,
          joined[key].map((curve, index) => ({ seed: settings.seeds[index], ...curve })),
        ]),
      ),
      ermToSamRhoSweep: sweep,
      notebook: notebook
        ? { erm: finalOf(notebook.runs.ermContinued), ermToOneSam: finalOf(notebook.runs.ermToOneSam), oneSam: finalOf(notebook.runs.oneSamContinued), oneSamToErm: finalOf(notebook.runs.oneSamToErm) }
        : null,
      rows,
    },
    spec,
    claims,
  });
}

function finalOf(run: DiagNetRun) {
  return { trainLoss: run.trainLoss, testLoss: run.testLoss, diverged: run.diverged, steps: run.steps };
}

/** The three claims of the switch, each an event per data draw (fraction of draws) with the notebook's data beside. */
function finetuningClaims(
  config: ExperimentConfig<z.infer<typeof finetuningSchema>>,
  runs: SwitchingRuns[],
  notebook: SwitchingRuns | null,
  sweep: Array<{ rho: number; finals: Array<{ diverged: boolean }>; improvement: ReturnType<typeof ratioStatistics> }>,
): ClaimResult[] {
  const { criteria } = config.settings;
  const seeds = config.settings.seeds;
  const test = (pick: (run: SwitchingRuns) => DiagNetRun) => runs.map((run) => pick(run).testLoss);
  const improvement = ratioStatistics(test((run) => run.ermContinued), test((run) => run.ermToOneSam));
  const level = ratioStatistics(test((run) => run.ermToOneSam), test((run) => run.oneSamContinued));
  const keep = ratioStatistics(test((run) => run.oneSamToErm), test((run) => run.oneSamPhase1));
  const keepVsErm = ratioStatistics(test((run) => run.ermContinued), test((run) => run.oneSamToErm));
  const divergedSwitches = runs.filter((run) => run.ermToOneSam.diverged).length;
  const divergedNote = divergedSwitches ? `ERM → 1-SAM diverged (NaN/Inf) on ${divergedSwitches} of ${seeds.length} draws, counted as infinite loss; ` : "";
  // With every switched run diverged the ratios are all 0 or infinite: say so instead of printing "median 0x".
  const switchedRatio = (stats: ReturnType<typeof ratioStatistics>) =>
    divergedSwitches === runs.length ? "no finite ratio (every ERM → 1-SAM run diverged)" : describeStatistics(stats, "x");
  const ratio = (run: SwitchingRuns, top: keyof SwitchingRuns, bottom: keyof SwitchingRuns) => finalTest(run[top]) / finalTest(run[bottom]);
  const check = (event: (run: SwitchingRuns) => boolean, value: (run: SwitchingRuns) => string) => ({
    heldPerDraw: runs.map(event),
    notebook: notebook ? { held: event(notebook), value: value(notebook) } : null,
  });
  return [
    drawsClaim(config, "erm-to-1sam-improves", {
      ...check((run) => ratio(run, "ermContinued", "ermToOneSam") >= criteria.minImprovement, (run) => `${formatNumber(ratio(run, "ermContinued", "ermToOneSam"))}x`),
      ourValue: `${divergedNote}continued ERM / ERM → 1-SAM final test loss: ${switchedRatio(improvement)}`,
      details:
        `A draw counts when continued ERM's final test loss is at least ${criteria.minImprovement}x that of ERM → 1-SAM ("orders of magnitude"); a diverged run counts as an infinite loss. ` +
        `Other rho for the switch (context): ${sweep
          .map((entry) => `rho ${entry.rho}: ${describeStatistics(entry.improvement, "x")}, diverged on ${entry.finals.filter((final) => final.diverged).length}`)
          .join("; ")}.`,
    }),
    drawsClaim(config, "erm-to-1sam-reaches-1sam-level", {
      ...check(
        (run) => ratio(run, "ermToOneSam", "oneSamContinued") >= criteria.oneSamLevelBand[0] && ratio(run, "ermToOneSam", "oneSamContinued") <= criteria.oneSamLevelBand[1],
        (run) => `${formatNumber(ratio(run, "ermToOneSam", "oneSamContinued"))}x`,
      ),
      ourValue: `${divergedNote}ERM → 1-SAM / 1-SAM-from-start final test loss: ${switchedRatio(level)}`,
      details: `A draw counts when the ratio lies in [${criteria.oneSamLevelBand.join(", ")}]. 1-SAM from the start: rho = ${config.settings.samToErmRho}, two phases.`,
    }),
    drawsClaim(config, "1sam-to-erm-keeps", {
      ...check(
        (run) => ratio(run, "oneSamToErm", "oneSamPhase1") <= criteria.keepFactor && ratio(run, "ermContinued", "oneSamToErm") > 1,
        (run) => `final / at switch ${formatNumber(ratio(run, "oneSamToErm", "oneSamPhase1"))}x, continued ERM / 1-SAM → ERM ${formatNumber(ratio(run, "ermContinued", "oneSamToErm"))}x`,
      ),
      ourValue: `1-SAM → ERM final / at-switch test loss: ${describeStatistics(keep, "x")}; continued ERM / 1-SAM → ERM: ${describeStatistics(keepVsErm, "x")}`,
      details: `A draw counts when the final test loss is at most ${criteria.keepFactor}x the loss at the switch and below continued ERM's.`,
    }),
  ];
}

/** The settings of one profile of experiments/diag-net-finetuning.json (the JSON Schema generator reads it too). */
export { finetuningSchema as finetuningSettingsSchema };
