/**
 * Figure deep-net-training-convergence (issue 5 part 3, SPEC 2.4 / 3.8 / 5.B5): training loss and training error
 * of ERM, SAM and m-SAM over epochs on a PreAct ResNet. The convergence theorem says SAM reaches a critical point
 * with stochastic gradients; in practice its training loss and error go to about 0, like ERM's. A candidate for the
 * paper's Fig. 11, whose content is unknown.
 */
import { z } from "zod";
import { declaredRule, formatSignificant, judgeThreshold, judgedClaim, loadExperiment, percent, summarize, type ExperimentConfig, type Profile } from "@sam-repro/runner";
import { DASHES, notRunFigure, type ClaimResult, type Curve, type FigureOutput } from "@sam-repro/figures";
import { missingDataReason } from "../data/cifar-files.js";
import { samSettingsSchema } from "../training/config.js";
import type { RunResult } from "../training/run-store.js";
import { figureOutput, scaleContext } from "./common.js";
import { runRecord, trainingBaseSchema } from "./convergence-shared.js";
import { EPOCH_BATCHES, FULL_TRAINING_SET, METHOD_COLORS, trainingConvergenceSpec, type TrainingCurveRow } from "./convergence-specs.js";
import { finalPoint, firstEpochAtOrBelow, metricSeries, seedBand, type NumericMetric } from "./curves.js";
import { runJobs, type TrainJob } from "./jobs.js";
import { figureBasics, sharedJob } from "./shared-runs.js";

export const TRAINING_CONVERGENCE_ID = "deep-net-training-convergence";

const methodSchema = z.strictObject({
  /** Part of the run names: lower-case words joined by "-". */
  key: z.string().regex(/^[a-z0-9-]+$/, "method keys are lower-case words joined by '-'"),
  label: z.string().min(1),
  /** The weight perturbation (deep-nets' sam settings: variant, rho, m, ...). */
  sam: samSettingsSchema,
});

export const trainingConvergenceSettingsSchema = z
  .strictObject({
    ...figureBasics,
    base: trainingBaseSchema,
    methods: z.array(methodSchema).min(1),
    criteria: z.strictObject({
      /** "Near zero" training error: the final error on the training set is at most this (fraction). */
      maxTrainError: z.number().min(0).max(1),
      /** "Near zero" training loss: the final cross-entropy on the training set is at most this. */
      maxTrainLoss: z.number().positive(),
    }),
  })
  .superRefine((settings, context) => {
    if (settings.base.evalTrainSize === 0) context.addIssue({ code: "custom", path: ["base", "evalTrainSize"], message: "must be > 0: the figure plots the training error" });
    const keys = settings.methods.map((method) => method.key);
    settings.methods.forEach((method, index) => {
      if (keys.indexOf(method.key) !== index) context.addIssue({ code: "custom", path: ["methods", index, "key"], message: `duplicate method key "${method.key}"` });
      const m = method.sam.m;
      if (m !== undefined && settings.base.batchSize % m !== 0) {
        context.addIssue({ code: "custom", path: ["methods", index, "sam", "m"], message: `m = ${m} does not divide the batch size ${settings.base.batchSize}` });
      }
    });
  });
export type TrainingConvergenceSettings = z.infer<typeof trainingConvergenceSettingsSchema>;
type Method = TrainingConvergenceSettings["methods"][number];
type ConvergenceJob = TrainJob & { method: Method; seed: number };

/** One run per method and seed, from scratch, named by its config (so the deep-net figures that train the same run share it). */
export function trainingConvergenceJobs(settings: TrainingConvergenceSettings): ConvergenceJob[] {
  return settings.seeds.flatMap((seed) => settings.methods.map((method) => ({ method, seed, ...sharedJob(settings.base, { seed, sam: method.sam }) })));
}

/** Per method: the final training error and loss of each seed and the epoch its error first reached the criterion. */
export interface MethodOutcome {
  method: Method;
  finalErrors: number[];
  finalLosses: number[];
  epochsToCriterion: Array<number | null>;
  diverged: number;
  missing: number;
}

/**
 * Trains (or reuses) the runs of every method and seed, then writes reports/deep-net-training-convergence/ with the
 * training loss / error curves and the claims of SPEC 5.B5; every claim "not run" when CIFAR-10 is missing.
 */
export async function reproduceTrainingConvergence(profile: Profile): Promise<FigureOutput> {
  const started = performance.now();
  const config = loadExperiment(TRAINING_CONVERGENCE_ID, profile, trainingConvergenceSettingsSchema);
  const settings = config.settings;
  const missing = missingDataReason(settings.base.dataset);
  if (missing) return notRunFigure(config, missing, started, config.paperFigure);

  const jobs = trainingConvergenceJobs(settings);
  const results = await runJobs(jobs, profile, TRAINING_CONVERGENCE_ID);
  const runsOf = (method: Method) => jobs.filter((job) => job.method.key === method.key).map((job) => results.get(job.name));

  const rows: TrainingCurveRow[] = [];
  const curves: Curve[] = settings.methods.map((method, index) => ({ label: method.label, color: METHOD_COLORS[index % METHOD_COLORS.length]!, dash: DASHES.solid }));
  const measures: Array<{ quantity: "loss" | "error"; measure: TrainingCurveRow["measure"]; metric: NumericMetric; scale: number }> = [
    { quantity: "loss", measure: FULL_TRAINING_SET, metric: "trainEvalLoss", scale: 1 },
    { quantity: "loss", measure: EPOCH_BATCHES, metric: "trainLoss", scale: 1 },
    { quantity: "error", measure: FULL_TRAINING_SET, metric: "trainEvalError", scale: 100 },
    { quantity: "error", measure: EPOCH_BATCHES, metric: "trainBatchError", scale: 100 },
  ];
  for (const method of settings.methods) {
    const runs = runsOf(method);
    for (const { quantity, measure, metric, scale } of measures) {
      for (const point of seedBand(runs.map((run) => metricSeries(run?.metrics ?? [], metric)))) {
        rows.push({ quantity, method: method.label, measure, epoch: point.epoch, value: scale * point.mean, lower: scale * point.min, upper: scale * point.max });
      }
    }
  }

  const outcomes = methodOutcomes(settings, runsOf);
  const claims = trainingConvergenceClaims(config, settings, outcomes);

  const context = scaleContext(settings.base, settings.seeds);
  const spec = trainingConvergenceSpec({
    rows,
    methods: curves,
    title: "Convergence in practice: training loss and error of ERM, SAM and m-SAM",
    subtitle: [
      `profile ${profile}: ${context}`,
      `training set measured on ${Math.min(settings.base.evalTrainSize, settings.base.trainSize ?? 45_000)} images; mean over seeds, band = min..max. No paper figure (candidate for Fig. 11).`,
    ],
  });
  return figureOutput(config, {
    setup: settings,
    scaledDown: `${context} (paper profile: PreAct ResNet-18 width 64 on 45k CIFAR-10 images, 200 epochs, batch 128, augmentation).`,
    data: {
      rows,
      runs: jobs.map((job) => ({ method: job.method.key, seed: job.seed, ...runRecord(job, results.get(job.name), profile) })),
    },
    spec,
    claims,
    started,
    results: results.values(),
  });
}

/** The outcome of every method from its runs (in seed order; undefined = missing). Pure: rejudge reuses it on data.json. */
export function methodOutcomes(settings: TrainingConvergenceSettings, runsOf: (method: Method) => Array<Pick<RunResult, "status" | "metrics"> | undefined>): MethodOutcome[] {
  return settings.methods.map((method) => {
    const runs = runsOf(method);
    const finished = runs.filter((run): run is Pick<RunResult, "status" | "metrics"> => run?.status === "completed");
    const finalOf = (run: Pick<RunResult, "metrics">, metric: NumericMetric) => finalPoint(metricSeries(run.metrics, metric))?.value ?? Number.NaN;
    return {
      method,
      finalErrors: finished.map((run) => finalOf(run, "trainEvalError")),
      finalLosses: finished.map((run) => finalOf(run, "trainEvalLoss")),
      epochsToCriterion: finished.map((run) => firstEpochAtOrBelow(metricSeries(run.metrics, "trainEvalError"), settings.criteria.maxTrainError)),
      diverged: runs.filter((run) => run?.status === "diverged").length,
      missing: runs.filter((run) => run === undefined).length,
    };
  });
}

/**
 * SPEC 5.B5: the training error and loss of every method reach about 0, each judged by the config's threshold on
 * the largest final value over methods and seeds (a run that did not finish counts as +Infinity).
 */
export function trainingConvergenceClaims(config: ExperimentConfig<unknown>, settings: TrainingConvergenceSettings, outcomes: MethodOutcome[]): ClaimResult[] {
  const context = scaleContext(settings.base, settings.seeds);
  const incomplete = outcomes.filter((outcome) => outcome.diverged + outcome.missing > 0);
  const incompleteNote = incomplete.length
    ? ` Runs that did not finish (counted as not converged): ${incomplete.map((o) => `${o.method.label}: ${o.diverged} diverged, ${o.missing} missing`).join("; ")}.`
    : "";
  const perMethod = (values: (outcome: MethodOutcome) => number[], format: (value: number) => string) =>
    outcomes
      .map((outcome) => {
        const summary = summarize(values(outcome));
        return `${outcome.method.label}: ${format(summary.mean)} (max ${format(summary.max)})`;
      })
      .join("; ");
  const largest = (values: (outcome: MethodOutcome) => number[]) => (incomplete.length ? Number.POSITIVE_INFINITY : Math.max(...outcomes.flatMap(values)));
  const reached = outcomes
    .map((outcome) => {
      const epochs = outcome.epochsToCriterion;
      const text = epochs.map((epoch) => (epoch === null ? "never" : String(epoch))).join(", ");
      return `${outcome.method.label}: ${text}`;
    })
    .join("; ");
  const { maxTrainError } = settings.criteria;
  return [
    judgedClaim(config, "train-error-near-zero", {
      ourValue: `final training error ${perMethod((o) => o.finalErrors, percent)}`,
      judgement: judgeThreshold(declaredRule(config, "train-error-near-zero", ["threshold"]), largest((o) => o.finalErrors), settings, percent),
      details:
        `Training error in eval mode on the unaugmented training images, as trained on. ` +
        `Epoch at which the training error first reached ${percent(maxTrainError)}, per seed: ${reached}.${incompleteNote} ${context}.`,
    }),
    judgedClaim(config, "train-loss-near-zero", {
      ourValue: `final training loss ${perMethod((o) => o.finalLosses, formatSignificant)}`,
      judgement: judgeThreshold(declaredRule(config, "train-loss-near-zero", ["threshold"]), largest((o) => o.finalLosses), settings, formatSignificant),
      details:
        `Training cross-entropy without the weight-decay term (the initial loss is about ln ${settings.base.dataset === "cifar100" ? 100 : 10} = ${formatSignificant(Math.log(settings.base.dataset === "cifar100" ? 100 : 10))}).${incompleteNote} ${context}.`,
    }),
  ];
}
