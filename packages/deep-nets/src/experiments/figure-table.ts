/**
 * Every deep-net figure of this package: its settings schema, the training runs a profile expands to,
 * and the measurement time after training, so that a test can check every profile's declared
 * `estimatedMinutes` against the cost model of shared-runs.ts, `reproduce` can print the time the
 * missing runs will take before it starts, and shared runs are counted once.
 */
import { formatDuration, type FigureDefinition } from "@sam-repro/figures";
import { loadExperiment, type Profile } from "@sam-repro/runner";
import { ASCENT_GAP_ID, ascentGapJobs, ascentGapMeasurementSeconds, ascentGapSettingsSchema, reproduceAscentGap } from "./ascent-gap.js";
import { BOTH_CONVERGE_ID, bothConvergeJobs, bothConvergeSettingsSchema, reproduceBothConverge } from "./both-converge.js";
import { FIG1_ID, fig1Jobs, fig1SettingsSchema, reproduceFig1 } from "./fig1-perturbations.js";
import { FIG9_ID, fig9Jobs, finetuningSettingsSchema, reproduceFig9 } from "./fig9-finetuning.js";
import { FIG10_ID, fig10Jobs, fig10MeasurementSeconds, fig10SettingsSchema, reproduceFig10 } from "./fig10-interpolation.js";
import { LABEL_NOISE_ID, labelNoiseJobs, labelNoiseSettingsSchema, reproduceLabelNoise } from "./fig12-label-noise.js";
import { GHOST_BATCHNORM_ID, ghostBatchNormJobs, ghostBatchNormSettingsSchema, reproduceGhostBatchNorm } from "./ghost-batchnorm.js";
import { completedRun, type TrainJob } from "./jobs.js";
import { MSAM_ID, msamJobs, msamSettingsSchema, reproduceMsam } from "./msam-vs-m.js";
import { MULTISTEP_ID, multistepJobs, multistepSettingsSchema, reproduceMultistep } from "./multistep-vs-m.js";
import { NORMALIZATION_ID, normalizationJobs, normalizationSettingsSchema, reproduceNormalization } from "./normalized-vs-unnormalized.js";
import { distinctJobs, estimateMinutes, estimateRunSeconds } from "./shared-runs.js";
import { SWITCH_TIMING_ID, reproduceSwitchTiming, switchTimingJobs, switchTimingSettingsSchema } from "./switch-timing.js";
import { TRAINING_CONVERGENCE_ID, reproduceTrainingConvergence, trainingConvergenceJobs, trainingConvergenceSettingsSchema } from "./training-convergence.js";

/** A deep-net figure: the figure contract (id, settings schema, produce) plus what the estimate of the training left needs. */
export interface DeepNetFigure extends FigureDefinition {
  /** The training runs of a profile's settings (parsed by settingsSchema). */
  jobs: (settings: never, profile: Profile) => TrainJob[];
  /** Seconds of work after training (measurements on the trained models). */
  extraSeconds?: (settings: never, profile: Profile) => number;
  /** Whether the config declares estimatedMinutes (figures whose runs all belong to another figure do not). */
  declaresEstimate?: false;
  /** When CIFAR-10 can be neither found nor fetched, the figure is written with its claims "not run" instead of stopping `reproduce`. */
  notRunWithoutData?: true;
}

/** The figures in the order `reproduce` runs them (Fig. 10 reuses Fig. 9's runs; later figures reuse the headline runs of the first ones). */
export const DEEP_NET_FIGURES: readonly DeepNetFigure[] = [
  { id: FIG1_ID, produce: reproduceFig1, settingsSchema: fig1SettingsSchema, jobs: fig1Jobs },
  { id: MSAM_ID, produce: reproduceMsam, settingsSchema: msamSettingsSchema, jobs: msamJobs },
  { id: FIG9_ID, produce: reproduceFig9, settingsSchema: finetuningSettingsSchema, jobs: fig9Jobs },
  { id: FIG10_ID, produce: reproduceFig10, settingsSchema: fig10SettingsSchema, jobs: fig10Jobs, extraSeconds: fig10MeasurementSeconds, declaresEstimate: false },
  // Issue 13 parts 1-6: the m-sharpness hypotheses, switch timing, convergence, normalization (shared runs).
  { id: GHOST_BATCHNORM_ID, produce: reproduceGhostBatchNorm, settingsSchema: ghostBatchNormSettingsSchema, jobs: ghostBatchNormJobs },
  { id: ASCENT_GAP_ID, produce: reproduceAscentGap, settingsSchema: ascentGapSettingsSchema, jobs: ascentGapJobs, extraSeconds: ascentGapMeasurementSeconds },
  { id: MULTISTEP_ID, produce: reproduceMultistep, settingsSchema: multistepSettingsSchema, jobs: multistepJobs },
  { id: SWITCH_TIMING_ID, produce: reproduceSwitchTiming, settingsSchema: switchTimingSettingsSchema, jobs: switchTimingJobs },
  { id: BOTH_CONVERGE_ID, produce: reproduceBothConverge, settingsSchema: bothConvergeSettingsSchema, jobs: bothConvergeJobs },
  { id: NORMALIZATION_ID, produce: reproduceNormalization, settingsSchema: normalizationSettingsSchema, jobs: normalizationJobs },
  // Issue 5 part 3, convergence in practice: training convergence (candidate Fig. 11, its runs are Fig. 1's and m-SAM's) and Fig. 12.
  { id: TRAINING_CONVERGENCE_ID, produce: reproduceTrainingConvergence, settingsSchema: trainingConvergenceSettingsSchema, jobs: trainingConvergenceJobs, notRunWithoutData: true },
  { id: LABEL_NOISE_ID, produce: reproduceLabelNoise, settingsSchema: labelNoiseSettingsSchema, jobs: labelNoiseJobs, notRunWithoutData: true },
];

/** The training runs and the measurement seconds of a figure at a profile. */
export function figureWork(figure: DeepNetFigure, profile: Profile): { jobs: TrainJob[]; extraSeconds: number } {
  const settings = loadExperiment(figure.id, profile, figure.settingsSchema).settings as never;
  return { jobs: figure.jobs(settings, profile), extraSeconds: figure.extraSeconds?.(settings, profile) ?? 0 };
}

/** Estimated minutes of one figure at a profile, from its config (what `estimatedMinutes` must say). */
export function estimateFigureMinutes(figure: DeepNetFigure, profile: Profile): number {
  const { jobs, extraSeconds } = figureWork(figure, profile);
  return estimateMinutes(jobs, extraSeconds);
}

/** Estimated minutes of figures (default: all) at a profile when no run exists, each shared run counted once. */
export function estimateGroupMinutes(profile: Profile, figures: readonly DeepNetFigure[] = DEEP_NET_FIGURES): number {
  const work = figures.map((figure) => figureWork(figure, profile));
  return estimateMinutes(work.flatMap((w) => w.jobs), work.reduce((sum, w) => sum + w.extraSeconds, 0));
}

/**
 * What is left to do for figures at a profile: the distinct runs not yet complete in the run store and
 * the estimated minutes of training them plus every figure's measurements (printed before `reproduce` starts).
 */
export function remainingWork(profile: Profile, figures: readonly DeepNetFigure[] = DEEP_NET_FIGURES): { runs: number; missing: number; minutes: number } {
  const work = figures.map((figure) => figureWork(figure, profile));
  return remainingRuns(work.flatMap((w) => w.jobs), profile, work.reduce((sum, w) => sum + w.extraSeconds, 0));
}

/** The distinct runs of `jobs`, those not yet complete, and the estimated minutes of training them plus `extraSeconds`. */
export function remainingRuns(jobs: TrainJob[], profile: Profile, extraSeconds = 0): { runs: number; missing: number; minutes: number } {
  const distinct = distinctJobs(jobs);
  const missing = distinct.filter((job) => completedRun(job, profile) === null);
  const seconds = missing.reduce((sum, job) => sum + estimateRunSeconds(job.config), 0) + extraSeconds;
  return { runs: distinct.length, missing: missing.length, minutes: Math.round(seconds / 6) / 10 };
}

/** "deep-nets at the cpu profile: 3 of 60 training runs to do; estimated 42 min ..." (printed before a reproduce starts). */
export function describeRemaining(what: string, profile: Profile, left: { runs: number; missing: number; minutes: number }): string {
  return `${what} at the ${profile} profile: ${left.missing} of ${left.runs} training runs to do; estimated ${formatDuration(60 * left.minutes)} on a 2-core machine (the cost model of shared-runs.ts; runs already done are reused)`;
}
