/**
 * The resumable-run wrapper: drives the pure training loop (loop.ts) over a run directory of the run
 * store (run-store.ts): one writer (lock), config.json, checkpoint.json + weights after every epoch
 * and at a stop signal inside an epoch, metrics.jsonl, result.json, the progress bar and onStep.
 */
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  Checkpoint,
  StopRequestedError,
  acquireDirectoryLock,
  beginStoppableWork,
  createProgress,
  makeOutputDirectory,
  readFinishedResult,
  stopRequested,
  writeJsonAtomic,
  yieldToSignals,
  type DirectoryLock,
} from "@sam-repro/runner";
import { activeBackend, describeBackend } from "@sam-repro/runtime";
import type { CifarData } from "../data/cifar-files.js";
import { configHash, type TrainConfig } from "./config.js";
import { finalSharpness, initialLoopState, isFinished, trainingLoop, type StepInfo } from "./loop.js";
import {
  CHECKPOINT_FILE,
  CONFIG_FILE,
  pruneWeightFiles,
  readWeightsFile,
  resolveCheckpoint,
  writeMetricsFile,
  writeRunResult,
  writeWeightsFile,
  type PartialEpochState,
  type RunCheckpointState,
  type RunResult,
} from "./run-store.js";
import { createTrainingSession, disposeSession, initializeSession, restoreSession, snapshotSession } from "./session.js";

/** How trainRun runs one config. */
export interface TrainOptions {
  /** The run directory (created). */
  directory: string;
  /** Loaded CIFAR data (shared between runs of one process). */
  data: CifarData;
  /** Label for the progress bar. */
  label?: string;
  /** Stop (as if killed) after this many epochs of this call, leaving the checkpoint: tests of resumption. */
  stopAfterEpochs?: number;
  /** Show this run's own progress bar (default true); runners of many jobs show one bar for all instead. */
  progress?: boolean;
  /** Called after every optimizer step. */
  onStep?: (info: StepInfo) => void;
  /** The lock of `directory` when the caller already holds it; otherwise trainRun takes it (one writer per run). */
  lock?: DirectoryLock;
}

/**
 * Runs `work` as the one writer of `directory`: takes its lock unless `heldLock` is the caller's,
 * declares stoppable work (a stop signal then waits for the work's next safe point instead of
 * exiting), creates the directory, and releases all of it however `work` ends.
 */
export async function withRunDirectory<T>(directory: string, purpose: string, heldLock: DirectoryLock | undefined, work: () => Promise<T>): Promise<T> {
  const ownLock = heldLock === undefined ? acquireDirectoryLock(directory, purpose) : null;
  const endStoppable = beginStoppableWork();
  try {
    makeOutputDirectory(directory, "run directory");
    return await work();
  } finally {
    endStoppable();
    ownLock?.release();
  }
}

/** `weights-EEEE.bin` after epoch E, `weights-EEEE-BBBBB.bin` after batch B inside epoch E + 1. */
function weightsFileName(epochsCompleted: number, batchesDone?: number): string {
  const epoch = String(epochsCompleted).padStart(4, "0");
  return batchesDone === undefined ? `weights-${epoch}.bin` : `weights-${epoch}-${String(batchesDone).padStart(5, "0")}.bin`;
}

/**
 * Continues the run of `config` in `options.directory` (the caller holds its lock) to its end: returns
 * result.json when it holds this config's hash, else resumes from checkpoint.json (or starts, from
 * config.initFrom's weights when set), trains, and writes result.json once the run is finished
 * (completed or diverged). A stop signal at a step writes a checkpoint there and throws
 * StopRequestedError; `stopAfterEpochs` returns the unfinished result without writing result.json.
 */
export async function continueRun(config: TrainConfig, options: TrainOptions): Promise<RunResult> {
  const directory = options.directory;
  const hash = configHash(config, tf.getBackend());
  const existing = readFinishedResult<RunResult>(directory, hash);
  if (existing) return existing;

  const wallStart = performance.now();
  const session = createTrainingSession(config, options.data);
  try {
    writeJsonAtomic(path.join(directory, CONFIG_FILE), config);
    const checkpoint = new Checkpoint<RunCheckpointState>(path.join(directory, CHECKPOINT_FILE), hash);
    const stored = checkpoint.load();
    const previousWall = stored?.wallSeconds ?? 0;
    const elapsedSeconds = () => previousWall + (performance.now() - wallStart) / 1000;
    if (stored) await restoreSession(session, readWeightsFile(path.join(directory, stored.weightsFile)), stored.optimizer);
    else initializeSession(session, config.initFrom ? readWeightsFile(resolveCheckpoint(config.initFrom).weightsFile) : null);
    const state = initialLoopState(stored);
    let weightsFile = stored?.weightsFile ?? "";
    writeMetricsFile(directory, state.metrics);

    // Checkpoint: weights first (a new file), then the state that names it (the commit point).
    const saveCheckpoint = async (file: string, partialEpoch: PartialEpochState | null) => {
      const snapshot = await snapshotSession(session);
      writeWeightsFile(path.join(directory, file), snapshot.weights);
      checkpoint.save({
        epochsCompleted: state.epochsCompleted,
        steps: state.steps,
        weightsFile: file,
        optimizer: snapshot.optimizer,
        metrics: state.metrics,
        trainSeconds: state.trainSeconds,
        trainImages: state.trainImages,
        wallSeconds: elapsedSeconds(),
        ...(partialEpoch ? { partialEpoch } : {}),
      });
      weightsFile = file;
      pruneWeightFiles(directory, [file]);
      writeMetricsFile(directory, state.metrics);
    };
    const stopForSignal = (signal: NodeJS.Signals) =>
      new StopRequestedError(signal, `stopped by ${signal} after step ${state.steps}; checkpoint written in ${directory}; run the same command to resume`);

    const progress = options.progress === false ? null : createProgress(options.label ?? `train ${config.model}`, config.epochs * session.stepsPerEpoch, undefined, state.steps);
    let epochsThisCall = 0;
    try {
      for (const event of trainingLoop(session, state, elapsedSeconds)) {
        if (event.kind === "evaluated") {
          writeMetricsFile(directory, state.metrics);
        } else if (event.kind === "epoch-start") {
          if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
          const signal = stopRequested();
          if (signal !== null) throw stopForSignal(signal); // the last epoch's checkpoint is on disk
        } else if (event.kind === "step") {
          const { info } = event;
          progress?.update(info.step, { epoch: `${info.epoch}/${info.epochs}`, loss: info.loss, err: info.error, "img/s": Math.round(info.imagesPerSecond) });
          options.onStep?.(info);
          // A stop signal is seen here, between steps; a mid-epoch checkpoint lets the rerun continue from this step.
          await yieldToSignals();
          const signal = stopRequested();
          if (signal !== null && event.partialEpoch) {
            await saveCheckpoint(weightsFileName(state.epochsCompleted, event.partialEpoch.batchesDone), event.partialEpoch);
            throw stopForSignal(signal);
          }
        } else if (event.kind === "epoch-end") {
          epochsThisCall++;
          await saveCheckpoint(weightsFileName(state.epochsCompleted), null);
        }
      }
    } finally {
      progress?.stop();
    }

    const finished = isFinished(session, state);
    const sharpness = finished && state.divergedAt === null ? finalSharpness(session) : null;
    // A diverged run keeps the weights at divergence out of the result (they are NaN); the last checkpoint stays.
    if (state.divergedAt !== null) writeMetricsFile(directory, state.metrics);
    const backendInfo = activeBackend();
    const result: RunResult = {
      hash,
      config,
      model: session.modelConfig,
      parameterCount: session.model.parameterCount,
      status: state.divergedAt !== null ? "diverged" : "completed",
      divergedAt: state.divergedAt,
      epochsCompleted: state.epochsCompleted,
      final: [...state.metrics].reverse().find((record) => record.testError !== null) ?? null,
      metrics: state.metrics,
      sharpness,
      weightsFile,
      wallSeconds: elapsedSeconds(),
      trainImagesPerSecond: state.trainSeconds > 0 ? state.trainImages / state.trainSeconds : 0,
      backend: backendInfo ? describeBackend(backendInfo) : tf.getBackend(),
    };
    if (finished) writeRunResult(directory, result);
    return result;
  } finally {
    disposeSession(session);
  }
}
