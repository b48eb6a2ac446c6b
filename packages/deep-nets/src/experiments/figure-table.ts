/**
 * The figures of issue 13 parts 1-6 (SPEC-ADDENDUM F-a, F-b, Ghost BatchNorm, F-d, F-e, F-f): each with
 * its settings schema, the training runs a profile expands to, and measurement time after training, so
 * that a test can check every profile's declared `estimatedMinutes` against the cost model of
 * shared-runs.ts, and `estimateGroupMinutes` can count the runs the figures share once.
 */
import type { FigureOutput } from "@sam-repro/figures";
import { loadExperiment, type Profile } from "@sam-repro/runner";
import type { z } from "zod";
import { ASCENT_GAP_ID, ascentGapJobs, ascentGapMeasurementSeconds, ascentGapSettingsSchema, reproduceAscentGap } from "./ascent-gap.js";
import { BOTH_CONVERGE_ID, bothConvergeJobs, bothConvergeSettingsSchema, reproduceBothConverge } from "./both-converge.js";
import { GHOST_BATCHNORM_ID, ghostBatchNormJobs, ghostBatchNormSettingsSchema, reproduceGhostBatchNorm } from "./ghost-batchnorm.js";
import type { TrainJob } from "./jobs.js";
import { MULTISTEP_ID, multistepJobs, multistepSettingsSchema, reproduceMultistep } from "./multistep-vs-m.js";
import { NORMALIZATION_ID, normalizationJobs, normalizationSettingsSchema, reproduceNormalization } from "./normalized-vs-unnormalized.js";
import { estimateMinutes } from "./shared-runs.js";
import { SWITCH_TIMING_ID, reproduceSwitchTiming, switchTimingJobs, switchTimingSettingsSchema } from "./switch-timing.js";

export interface MsharpnessFigure {
  id: string;
  run: (profile: Profile) => Promise<FigureOutput>;
  settingsSchema: z.ZodType;
  /** The training runs of a profile's settings (parsed by settingsSchema). */
  jobs: (settings: never) => TrainJob[];
  /** Seconds of work after training (measurements on the trained models). */
  extraSeconds?: (settings: never) => number;
}

export const MSHARPNESS_FIGURES: readonly MsharpnessFigure[] = [
  { id: GHOST_BATCHNORM_ID, run: reproduceGhostBatchNorm, settingsSchema: ghostBatchNormSettingsSchema, jobs: ghostBatchNormJobs },
  { id: ASCENT_GAP_ID, run: reproduceAscentGap, settingsSchema: ascentGapSettingsSchema, jobs: ascentGapJobs, extraSeconds: ascentGapMeasurementSeconds },
  { id: MULTISTEP_ID, run: reproduceMultistep, settingsSchema: multistepSettingsSchema, jobs: multistepJobs },
  { id: SWITCH_TIMING_ID, run: reproduceSwitchTiming, settingsSchema: switchTimingSettingsSchema, jobs: switchTimingJobs },
  { id: BOTH_CONVERGE_ID, run: reproduceBothConverge, settingsSchema: bothConvergeSettingsSchema, jobs: bothConvergeJobs },
  { id: NORMALIZATION_ID, run: reproduceNormalization, settingsSchema: normalizationSettingsSchema, jobs: normalizationJobs },
];

/** Estimated minutes of one figure at a profile, from its config (what `estimatedMinutes` must say). */
export function estimateFigureMinutes(figure: MsharpnessFigure, profile: Profile): number {
  const settings = loadExperiment(figure.id, profile, figure.settingsSchema).settings as never;
  return estimateMinutes(figure.jobs(settings), figure.extraSeconds?.(settings) ?? 0);
}

/** Estimated minutes of all these figures at a profile when no run exists, each shared run counted once. */
export function estimateGroupMinutes(profile: Profile): number {
  const jobs: TrainJob[] = [];
  let extra = 0;
  for (const figure of MSHARPNESS_FIGURES) {
    const settings = loadExperiment(figure.id, profile, figure.settingsSchema).settings as never;
    jobs.push(...figure.jobs(settings));
    extra += figure.extraSeconds?.(settings) ?? 0;
  }
  return estimateMinutes(jobs, extra);
}
