/**
 * Ids of the deep-net figures of this package (issue 5 part 3). Kept apart from their runners so that
 * reproduce.ts can list them without loading @sam-repro/deep-nets and tfjs until one of them runs.
 */
export const TRAINING_CONVERGENCE_ID = "deep-net-training-convergence";
export const LABEL_NOISE_ID = "fig12-label-noise";
