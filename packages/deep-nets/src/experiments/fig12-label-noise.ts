/**
 * Figure fig12-label-noise (issue 5 part 3, SPEC 3.9 / 5.B4, the paper's Fig. 12): ERM and SAM trained with 60%
 * symmetric label noise. Over epochs: the test error (clean test set) and the train error on the noisy samples
 * (error w.r.t. the noisy labels on the corrupted training points: 100% = nothing memorized, 0% = all memorized).
 * The paper: SAM's early-stopped test error is far below ERM's; both eventually fit the noisy labels, SAM later;
 * the test error rises as they do. Consequence of the convergence theory (SPEC 2.4): SAM converges, so it memorizes.
 */
import { z } from "zod";
import { declaredRule, describeErrors, judgeAll, judgePaired, judgeThreshold, judgedClaim, loadExperiment, pairedDifferences, percent, percentagePoints, summarize, type ExperimentConfig, type Judgement, type Profile } from "@sam-repro/runner";
import { CURVES, DASHES, notRunFigure, type ClaimResult, type Curve, type FigureOutput } from "@sam-repro/figures";
import { missingDataReason } from "../data/cifar-files.js";
import type { RunResult } from "../training/run-store.js";
import { figureOutput, finalTestError, scaleContext } from "./common.js";
import { runRecord, trainingBaseSchema } from "./convergence-shared.js";
import { labelNoiseSpec, type LabelNoiseRow } from "./convergence-specs.js";
import { bestPoint, finalPoint, firstEpochAtOrBelow, metricSeries, seedBand } from "./curves.js";
import { runJobs, type TrainJob } from "./jobs.js";
import { figureBasics, sharedJob } from "./shared-runs.js";

export const LABEL_NOISE_ID = "fig12-label-noise";

const CURVE_KEYS = ["test-erm", "noisy-erm", "test-sam", "noisy-sam"] as const;
type CurveKey = (typeof CURVE_KEYS)[number];

/** The paper's four curves (SPEC 3.9): ERM red, SAM blue; test error solid, train error on noisy samples dashed. */
export const LABEL_NOISE_CURVES: Record<CurveKey, Curve> = {
  "test-erm": { label: "Test error, ERM", color: CURVES.ermRed.color, dash: DASHES.solid },
  "noisy-erm": { label: "Train error on noisy samples, ERM", color: CURVES.ermRed.color, dash: DASHES.dashed },
  "test-sam": { label: "Test error, SAM", color: CURVES.sam.color, dash: DASHES.solid },
  "noisy-sam": { label: "Train error on noisy samples, SAM", color: CURVES.sam.color, dash: DASHES.dashed },
};

const panelSchema = z
  .strictObject({
    /** Panel title, e.g. "ResNet-18 on CIFAR-10". */
    label: z.string().min(1),
    base: trainingBaseSchema,
    /** rho of the SAM runs (the paper's value is unspecified, SPEC 5.C). */
    samRho: z.number().positive(),
    /** Paper readings (SPEC 3.9), drawn as hollow diamonds: error in percent at an epoch. */
    reference: z.array(z.strictObject({ curve: z.enum(CURVE_KEYS), epoch: z.number().min(0), error: z.number().min(0).max(100) })).default([]),
  })
  .superRefine((panel, context) => {
    if (!panel.base.labelNoise || panel.base.labelNoise.fraction <= 0) context.addIssue({ code: "custom", path: ["base", "labelNoise"], message: "Fig. 12 needs label noise (fraction > 0)" });
    if (panel.base.evalNoisySize === 0) context.addIssue({ code: "custom", path: ["base", "evalNoisySize"], message: "must be > 0: the figure plots the train error on the noisy samples" });
  });

export const labelNoiseSettingsSchema = z.strictObject({
  seeds: figureBasics.seeds,
  estimatedMinutes: figureBasics.estimatedMinutes,
  panels: z.array(panelSchema).min(1),
  criteria: z.strictObject({
    /** The noisy labels count as fitted when the final train error on the noisy samples is at most this. */
    fittedNoisyError: z.number().min(0).max(1),
    /** The memorization epoch: the first evaluation with a train error on the noisy samples at most this. */
    memorizationLevel: z.number().gt(0).lt(1),
  }),
});
export type LabelNoiseSettings = z.infer<typeof labelNoiseSettingsSchema>;
type Panel = LabelNoiseSettings["panels"][number];
type Method = "erm" | "sam";
type LabelNoiseJob = TrainJob & { panel: number; method: Method; seed: number };

/** ERM and SAM for every panel and seed. */
export function labelNoiseJobs(settings: LabelNoiseSettings): LabelNoiseJob[] {
  return settings.panels.flatMap((panel, index) =>
    settings.seeds.flatMap((seed) => [
      // Runs are named by their config (runName), so the figures that train the same run share it.
      { panel: index, method: "erm" as const, seed, ...sharedJob(panel.base, { seed, sam: { variant: "sgd" } }) },
      { panel: index, method: "sam" as const, seed, ...sharedJob(panel.base, { seed, sam: { variant: "sam", rho: panel.samRho } }) },
    ]),
  );
}

/** What one run of Fig. 12 shows: its best and final test error, its final noisy-train error, when it memorized. */
export interface RunOutcome {
  seed: number;
  status: RunResult["status"] | "missing";
  bestTestError: number;
  bestEpoch: number | null;
  finalTestError: number;
  finalNoisyError: number;
  /** First evaluation with noisy-train error <= the memorization level (null: never). */
  memorizationEpoch: number | null;
  /**
   * The final error on (up to evalTrainSize) training points w.r.t. the labels trained on, noisy ones included,
   * unaugmented (the official train_err): 0 only when the noisy labels are fitted too. NaN when not measured.
   */
  finalTrainError: number;
}

/** The outcome of one run; a run that diverged (or is missing) has no final values (NaN). */
export function runOutcome(seed: number, result: RunResult | undefined, memorizationLevel: number): RunOutcome {
  const test = metricSeries(result?.metrics ?? [], "testError");
  const noisy = metricSeries(result?.metrics ?? [], "noisyTrainError");
  const best = bestPoint(test);
  const complete = result?.status === "completed";
  return {
    seed,
    status: result?.status ?? "missing",
    bestTestError: best?.value ?? Number.NaN,
    bestEpoch: best?.epoch ?? null,
    // A diverged run has no end of training: its final test error is the one rule of common.ts (chance level);
    // its other final values stay NaN (a diverged run neither memorized nor fitted).
    finalTestError: complete ? (finalPoint(test)?.value ?? Number.NaN) : result?.status === "diverged" ? (finalTestError(result) ?? Number.NaN) : Number.NaN,
    finalNoisyError: complete ? (finalPoint(noisy)?.value ?? Number.NaN) : Number.NaN,
    memorizationEpoch: firstEpochAtOrBelow(noisy, memorizationLevel),
    finalTrainError: complete ? (finalPoint(metricSeries(result?.metrics ?? [], "trainEvalError"))?.value ?? Number.NaN) : Number.NaN,
  };
}

export interface PanelOutcome {
  panel: Panel;
  erm: RunOutcome[];
  sam: RunOutcome[];
}

/**
 * Trains (or reuses) ERM and SAM for every panel and seed, then writes reports/fig12-label-noise/ with the test
 * error and noisy-train error curves and the claims of SPEC 5.B4 (SPEC 3.9 readings as reference).
 */
export async function reproduceLabelNoise(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const config = loadExperiment(LABEL_NOISE_ID, profile, labelNoiseSettingsSchema);
  const settings = config.settings;
  // Panels whose dataset is missing are left out (e.g. CIFAR-100 at the paper profile); none left: "not run".
  const skipped = settings.panels.flatMap((panel) => {
    const reason = missingDataReason(panel.base.dataset);
    return reason ? [{ label: panel.label, reason }] : [];
  });
  const runnable = settings.panels.map((panel, index) => ({ panel, index })).filter(({ panel }) => !skipped.some((s) => s.label === panel.label));
  if (runnable.length === 0) return notRunFigure(config, skipped.map((s) => `${s.label}: ${s.reason}`).join("; "), started, config.paperFigure);

  const jobs = labelNoiseJobs(settings).filter((job) => runnable.some(({ index }) => index === job.panel));
  const results = await runJobs(jobs, profile, LABEL_NOISE_ID);
  const runsOf = (panel: number, method: Method) => jobs.filter((job) => job.panel === panel && job.method === method);

  const rows: LabelNoiseRow[] = [];
  const referenceRows: LabelNoiseRow[] = [];
  const outcomes: PanelOutcome[] = [];
  for (const { panel, index } of runnable) {
    for (const method of ["erm", "sam"] as const) {
      const runs = runsOf(index, method).map((job) => results.get(job.name));
      for (const [metric, key] of [["testError", `test-${method}`], ["noisyTrainError", `noisy-${method}`]] as const) {
        for (const point of seedBand(runs.map((run) => metricSeries(run?.metrics ?? [], metric)))) {
          rows.push({ panel: panel.label, curve: LABEL_NOISE_CURVES[key].label, epoch: point.epoch, error: 100 * point.mean, lower: 100 * point.min, upper: 100 * point.max });
        }
      }
    }
    for (const reading of panel.reference) {
      referenceRows.push({ panel: panel.label, curve: LABEL_NOISE_CURVES[reading.curve].label, epoch: reading.epoch, error: reading.error, lower: reading.error, upper: reading.error });
    }
    const outcomesOf = (method: Method) => runsOf(index, method).map((job) => runOutcome(job.seed, results.get(job.name), settings.criteria.memorizationLevel));
    outcomes.push({ panel, erm: outcomesOf("erm"), sam: outcomesOf("sam") });
  }
  const claims = labelNoiseClaims(config, settings, outcomes, skipped);

  const first = runnable[0]!.panel.base;
  const drops = first.schedule === "piecewise" ? `LR ${first.learningRate}, ÷10 at epoch ${first.epochs / 2} and ÷100 at ${(3 * first.epochs) / 4}` : `${first.schedule} LR ${first.learningRate}`;
  const spec = labelNoiseSpec({
    rows,
    curves: CURVE_KEYS.map((key) => LABEL_NOISE_CURVES[key]),
    referenceRows,
    panelCount: runnable.length,
    title: "Fig. 12: ERM and SAM with 60% label noise: test error and train error on the noisy samples",
    subtitle: [
      `profile ${profile}: ${runnable.map(({ panel }) => `${panel.label}: ${scaleContext(panel.base, settings.seeds)}, SAM ρ = ${panel.samRho}`).join(" | ")}`,
      `${drops}; mean over seeds, band = min..max${referenceRows.length ? "; diamonds: the paper's Fig. 12 read off (SPEC 3.9)" : ""}.`,
    ],
  });
  return figureOutput(config, {
    setup: { ...settings, ...(skipped.length ? { skippedPanels: skipped } : {}) },
    scaledDown: `${runnable.map(({ panel }) => `${panel.label}: ${scaleContext(panel.base, settings.seeds)}`).join("; ")} (paper: PreAct ResNet-18 / ResNet-34 on 45k CIFAR-10 / CIFAR-100 images, 1000 epochs, LR drops at 500 and 750, batch 128, augmentation).`,
    data: {
      rows,
      referenceRows,
      outcomes: outcomes.map((outcome) => ({ panel: outcome.panel.label, samRho: outcome.panel.samRho, erm: outcome.erm, sam: outcome.sam })),
      runs: jobs.map((job) => ({ panel: settings.panels[job.panel]!.label, method: job.method, seed: job.seed, ...runRecord(job, results.get(job.name), profile) })),
    },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

/**
 * SPEC 5.B4's claims, checked in every panel that ran (a claim holds when it holds in each panel), each by the rule
 * its config declares. Pure: `rejudge` re-applies it to a committed data.json. Comparisons of test errors are paired
 * by seed (the ERM and SAM runs of a seed share data, label noise and initialization).
 */
export function labelNoiseClaims(
  config: ExperimentConfig<unknown>,
  settings: LabelNoiseSettings,
  outcomes: PanelOutcome[],
  skipped: Array<{ label: string; reason: string }>,
): ClaimResult[] {
  const { memorizationLevel } = settings.criteria;
  const skippedNote = skipped.length ? ` Not run: ${skipped.map((s) => `${s.label} (${s.reason})`).join("; ")}.` : "";
  const contextOf = (outcome: PanelOutcome) => `${outcome.panel.label}: ${scaleContext(outcome.panel.base, settings.seeds)}, SAM rho ${outcome.panel.samRho}`;
  const context = outcomes.map(contextOf).join(" | ") + "." + skippedNote;
  type Field = "bestTestError" | "finalTestError" | "finalNoisyError" | "finalTrainError";
  const values = (runs: RunOutcome[], field: Field) => runs.map((run) => run[field]);
  const bySeed = (runs: RunOutcome[], field: Field) => settings.seeds.map((seed) => runs.find((run) => run.seed === seed)?.[field] ?? null);
  const perSeed = (runs: RunOutcome[], format: (run: RunOutcome) => string) => runs.map((run) => `s${run.seed} ${format(run)}`).join(", ");
  const epochText = (epoch: number | null) => (epoch === null ? "never" : `epoch ${epoch}`);
  const paired = (claimId: string, parts: Array<{ label: string; baseline: Array<number | null>; candidate: Array<number | null> }>): Judgement => {
    const rule = declaredRule(config, claimId, ["paired-t-improves", "paired-t-no-gain", "paired-tost-equivalent"]);
    return judgeAll(
      rule,
      parts.map((part) => ({ label: part.label, judgement: judgePaired(rule, [{ differences: pairedDifferences(part.baseline, part.candidate) }], (v) => percentagePoints(v)) })),
    );
  };
  const samVersusErm = (field: Field) => outcomes.map((outcome) => ({ label: outcome.panel.label, baseline: bySeed(outcome.erm, field), candidate: bySeed(outcome.sam, field) }));
  // A run that never finished counts as not fitted (+Infinity); so does a seed whose SAM run memorized no later than ERM.
  const worstNoisy = Math.max(...outcomes.flatMap((outcome) => [...outcome.erm, ...outcome.sam].map((run) => (Number.isNaN(run.finalNoisyError) ? Number.POSITIVE_INFINITY : run.finalNoisyError))));
  const notLater = outcomes.flatMap((outcome) =>
    outcome.erm.filter((erm) => {
      const sam = outcome.sam.find((run) => run.seed === erm.seed);
      return !(erm.memorizationEpoch !== null && sam !== undefined && (sam.memorizationEpoch === null || sam.memorizationEpoch > erm.memorizationEpoch));
    }),
  ).length;
  const riseParts = outcomes.flatMap((outcome) =>
    (["erm", "sam"] as const).map((method) => ({ label: `${outcome.panel.label}, ${method.toUpperCase()}`, baseline: bySeed(outcome[method], "finalTestError"), candidate: bySeed(outcome[method], "bestTestError") })),
  );
  const pairText = (field: Field) =>
    outcomes.map((outcome) => `${outcome.panel.label}: SAM ${describeErrors(summarize(values(outcome.sam, field)))} vs ERM ${describeErrors(summarize(values(outcome.erm, field)))}`).join(" | ");

  return [
    judgedClaim(config, "sam-best-test-error-below-erm", {
      ourValue: pairText("bestTestError"),
      judgement: paired("sam-best-test-error-below-erm", samVersusErm("bestTestError")),
      details:
        `Best test error over the evaluations (early stopping selected on the test set, as the official "Min values"); d_s = ERM - SAM per seed. ` +
        outcomes.map((outcome) => `${outcome.panel.label}: ERM ${perSeed(outcome.erm, (run) => `${percent(run.bestTestError)} at ${epochText(run.bestEpoch)}`)}; SAM ${perSeed(outcome.sam, (run) => `${percent(run.bestTestError)} at ${epochText(run.bestEpoch)}`)}`).join(" | ") +
        `. ${context}`,
    }),
    judgedClaim(config, "both-fit-noisy-labels", {
      ourValue: outcomes
        .map((outcome) => `${outcome.panel.label}: final noisy-train error ERM ${describeErrors(summarize(values(outcome.erm, "finalNoisyError")))}, SAM ${describeErrors(summarize(values(outcome.sam, "finalNoisyError")))}`)
        .join(" | "),
      judgement: judgeThreshold(declaredRule(config, "both-fit-noisy-labels", ["threshold"]), worstNoisy, settings, percent),
      details:
        `For comparison, the final error on the training points w.r.t. the labels trained on (noisy included, unaugmented, the official train_err): ` +
        outcomes.map((outcome) => `${outcome.panel.label}: ERM ${perSeed(outcome.erm, (run) => percent(run.finalTrainError))}; SAM ${perSeed(outcome.sam, (run) => percent(run.finalTrainError))}`).join(" | ") +
        `. ${context}`,
    }),
    judgedClaim(config, "sam-memorizes-later", {
      ourValue: outcomes
        .map((outcome) => `${outcome.panel.label}: first epoch with noisy-train error <= ${percent(memorizationLevel)}: ERM ${perSeed(outcome.erm, (run) => epochText(run.memorizationEpoch))}; SAM ${perSeed(outcome.sam, (run) => epochText(run.memorizationEpoch))}`)
        .join(" | "),
      judgement: judgeThreshold(declaredRule(config, "sam-memorizes-later", ["threshold"]), notLater, settings),
      details: `A seed counts against the claim when ERM never reaches a noisy-train error <= ${percent(memorizationLevel)} or SAM reaches it no later than ERM. ${context}`,
    }),
    judgedClaim(config, "test-error-rises-with-memorization", {
      ourValue: outcomes
        .map((outcome) => `${outcome.panel.label}: ERM best ${percent(summarize(values(outcome.erm, "bestTestError")).mean)} -> final ${percent(summarize(values(outcome.erm, "finalTestError")).mean)}; SAM best ${percent(summarize(values(outcome.sam, "bestTestError")).mean)} -> final ${percent(summarize(values(outcome.sam, "finalTestError")).mean)}`)
        .join(" | "),
      judgement: paired("test-error-rises-with-memorization", riseParts),
      details: `d_s = final - best test error per seed, for ERM and for SAM separately. ${context}`,
    }),
    judgedClaim(config, "sam-final-test-error-below-erm", {
      ourValue: pairText("finalTestError"),
      judgement: paired("sam-final-test-error-below-erm", samVersusErm("finalTestError")),
      details: `d_s = ERM - SAM final test error per seed. ${context}`,
    }),
  ];
}
