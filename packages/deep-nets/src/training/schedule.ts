/** Learning-rate schedules of the official code (SPEC 4.1). */
export const LEARNING_RATE_SCHEDULES = ["piecewise", "cosine", "constant"] as const;
export type LearningRateSchedule = (typeof LEARNING_RATE_SCHEDULES)[number];

/**
 * The learning rate at fractional epoch t of E epochs (SPEC 4.1):
 * - piecewise: lr for t/E < 0.5, lr/10 for t/E < 0.75, lr/100 after;
 * - cosine: lr (0.5 + 0.5 cos(pi t / E));
 * - constant: lr.
 * The official code evaluates it every iteration at t = epoch - 1 + (i + 1)/iterationsPerEpoch (SPEC 1.4).
 */
export function learningRateAt(schedule: LearningRateSchedule, maxLearningRate: number, t: number, epochs: number): number {
  const fraction = t / epochs;
  switch (schedule) {
    case "piecewise":
      return fraction < 0.5 ? maxLearningRate : fraction < 0.75 ? maxLearningRate / 10 : maxLearningRate / 100;
    case "cosine":
      return maxLearningRate * (0.5 + 0.5 * Math.cos((Math.PI * t) / epochs));
    case "constant":
      return maxLearningRate;
  }
}

/** Fractional epoch of iteration `step` (0-based) of epoch `epoch` (0-based): epoch + (step + 1)/steps. */
export function fractionalEpoch(epoch: number, step: number, stepsPerEpoch: number): number {
  return epoch + (step + 1) / stepsPerEpoch;
}
