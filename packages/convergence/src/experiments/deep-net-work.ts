/**
 * The training runs of this package's deep-net figures at a profile (for the estimate `reproduce` prints
 * before it starts). Loaded lazily: it pulls in @sam-repro/deep-nets and tfjs.
 */
import { loadExperiment as loadConfig, type Profile } from "@sam-repro/runner";
import { describeRemaining, remainingRuns, type TrainJob } from "@sam-repro/deep-nets";
import { LABEL_NOISE_ID, TRAINING_CONVERGENCE_ID } from "./deep-net-ids.js";
import { labelNoiseJobs, labelNoiseSettingsSchema } from "./fig12-label-noise.js";
import { trainingConvergenceJobs, trainingConvergenceSettingsSchema } from "./deep-net-training-convergence.js";

export { describeRemaining, remainingRuns };

/** The runs of figure `id` (one of this package's deep-net figures) at a profile. */
export function deepNetJobs(id: string, profile: Profile): TrainJob[] {
  if (id === LABEL_NOISE_ID) return labelNoiseJobs(loadConfig(id, profile, labelNoiseSettingsSchema).settings);
  if (id === TRAINING_CONVERGENCE_ID) return trainingConvergenceJobs(loadConfig(id, profile, trainingConvergenceSettingsSchema).settings);
  return [];
}
