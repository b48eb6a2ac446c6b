/**
 * trainRun: one training run in the run store, resumable. The pieces: session.ts (model, optimizer,
 * loss), loop.ts (the pure training loop), epoch-evaluation.ts (schedule, metrics, divergence),
 * resumable-run.ts (lock, checkpoints, metrics.jsonl, result.json, progress, signals).
 */
import { checkTrainConfig, type TrainConfig } from "./config.js";
import { continueRun, withRunDirectory, type TrainOptions } from "./resumable-run.js";
import type { RunResult } from "./run-store.js";

export { modelConfigOf } from "./session.js";
export type { StepInfo } from "./loop.js";
export type { TrainOptions } from "./resumable-run.js";
export type { PreparedData } from "./prepared-data.js";

/**
 * Trains one model as the official train.py (SPEC 1.4, 4.1): SGD with momentum (tfjs momentum =
 * PyTorch SGD with dampening 0), the LR schedule evaluated every iteration, weight decay
 * 0.5 lambda ||w||^2 inside the objective (added by SamOptimizer), any SAM variant, drop_last
 * batches, evaluation every `evalEvery` epochs, a checkpoint after every epoch.
 *
 * Resumption: every random stream is either seeded per epoch (shuffling, augmentation) or part of the
 * checkpoint (optimizer: momentum, step, random-perturbation stream, n-SAM's previous batch), and the
 * weights are stored bit-exactly, so a killed run restarted with the same config continues to the
 * same numbers. A run whose result.json exists is returned as is. A NaN/Inf loss ends the run as
 * "diverged" (recorded, not thrown).
 */
export async function trainRun(config: TrainConfig, options: TrainOptions): Promise<RunResult> {
  checkTrainConfig(config); // before the lock and the run directory: a bad config creates nothing
  // A stop signal (SIGINT/SIGTERM/SIGHUP) waits for the next step, where a checkpoint is written.
  return withRunDirectory(options.directory, `train ${config.model} seed ${config.seed}`, options.lock, () => continueRun(config, options));
}
