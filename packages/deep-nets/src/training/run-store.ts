import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { InputError, RESULT_FILE, RUNS_DIR_ENV_VAR, readJsonIfExists, readResultFile, runsDirSetting, writeFileAtomic, writeResultFile } from "@sam-repro/runner";
import type { SerializedSamState } from "@sam-repro/sam";
import type { ModelConfig } from "../models/architecture.js";
import type { TrainConfig } from "./config.js";
import type { SharpnessResult } from "./sharpness.js";

export { RESULT_FILE, RUNS_DIR_ENV_VAR };

/** Where training runs live: `runs/` at the workspace root (git-ignored) unless SAM_REPRO_RUNS_DIR is set. */
export function runsDirectory(): string {
  return runsDirSetting();
}

/** One evaluation: a line of metrics.jsonl. Errors are fractions in [0, 1]; null where not measured. */
export interface MetricRecord {
  epoch: number;
  /** Optimizer steps so far. */
  step: number;
  learningRate: number;
  /** Mean training loss and error over the epoch's batches (at the perturbed weights for SAM, as the official log). */
  trainLoss: number | null;
  trainBatchError: number | null;
  /** Inference-mode loss and error on unaugmented training images (labels as trained on, i.e. noisy when noisy). */
  trainEvalLoss: number | null;
  trainEvalError: number | null;
  /** Error w.r.t. the noisy labels on noisy training images (official train_err_ln, SPEC 3.9); null without noise. */
  noisyTrainError: number | null;
  validationError: number | null;
  testLoss: number | null;
  testError: number | null;
  /** The EMA model's test error (null when the EMA is off). */
  emaTestError: number | null;
  /** Mean ||delta|| of the epoch's SAM steps (0 for ERM). */
  perturbationNorm: number;
  samActive: boolean;
  /** Training images per second of the epoch (excluding evaluation). */
  imagesPerSecond: number;
  elapsedSeconds: number;
}

export type RunStatus = "completed" | "diverged";

/** result.json of a finished run. */
export interface RunResult {
  hash: string;
  config: TrainConfig;
  model: ModelConfig;
  parameterCount: number;
  status: RunStatus;
  /** Epoch (1-based) and step at which the loss became NaN/Inf, for a diverged run. */
  divergedAt: { epoch: number; step: number } | null;
  epochsCompleted: number;
  final: MetricRecord | null;
  metrics: MetricRecord[];
  sharpness: SharpnessResult | null;
  /** The final weights (relative to the run directory). */
  weightsFile: string;
  wallSeconds: number;
  trainImagesPerSecond: number;
  backend: string;
}

/**
 * A checkpoint written inside an epoch (after a stop signal): the batches of epoch `epochsCompleted + 1`
 * already trained and the epoch's running sums, so the resumed run ends with the same numbers.
 */
export interface PartialEpochState {
  batchesDone: number;
  lossSum: number;
  correct: number;
  counted: number;
  normSum: number;
  samActive: boolean;
  /** Training seconds of this epoch so far. */
  seconds: number;
}

/** checkpoint.json: everything needed to continue a run at an epoch boundary, or inside one (partialEpoch). */
export interface RunCheckpointState {
  partialEpoch?: PartialEpochState;
  epochsCompleted: number;
  steps: number;
  weightsFile: string;
  optimizer: SerializedSamState;
  metrics: MetricRecord[];
  trainSeconds: number;
  trainImages: number;
  wallSeconds: number;
}

export interface StoredWeights {
  parameters: Float32Array[];
  statistics: Float32Array[];
  emaParameters?: Float32Array[];
  emaStatistics?: Float32Array[];
  /** Large float32 tensors of the optimizer state (momentum, n-SAM's previous batch), see packOptimizerState. */
  optimizer?: Float32Array[];
}

/** Tensors of the optimizer state with more values than this go to the binary file instead of the JSON. */
const INLINE_LIMIT = 1024;
type SerializedTensorLike = { dtype: string; values: number[] | { packed: number } };

/**
 * Moves the large float32 tensors of a SamOptimizer state (momentum of every weight, n-SAM's previous
 * batch) out of the JSON, into arrays for the binary weights file: a ResNet-18's momentum as JSON
 * numbers would be ~200 MB per checkpoint. Each moved `values` becomes { packed: index }.
 */
export function packOptimizerState(state: SerializedSamState): { state: SerializedSamState; arrays: Float32Array[] } {
  const arrays: Float32Array[] = [];
  const pack = <T extends SerializedTensorLike>(tensor: T): T => {
    if (tensor.dtype !== "float32" || !Array.isArray(tensor.values) || tensor.values.length <= INLINE_LIMIT) return tensor;
    arrays.push(Float32Array.from(tensor.values));
    return { ...tensor, values: { packed: arrays.length - 1 } };
  };
  const packed = {
    ...state,
    base: state.base.map((tensor) => pack(tensor as unknown as SerializedTensorLike)),
    previousBatch: state.previousBatch
      ? { x: pack(state.previousBatch.x as unknown as SerializedTensorLike), y: pack(state.previousBatch.y as unknown as SerializedTensorLike) }
      : null,
  };
  return { state: packed as unknown as SerializedSamState, arrays };
}

/** Inverse of packOptimizerState. */
export function unpackOptimizerState(state: SerializedSamState, arrays: Float32Array[]): SerializedSamState {
  const unpack = <T extends SerializedTensorLike>(tensor: T): T => {
    const values = tensor.values;
    if (Array.isArray(values)) return tensor;
    const array = arrays[values.packed];
    if (!array) throw new InputError(`checkpoint: optimizer tensor ${values.packed} missing from the weights file`);
    return { ...tensor, values: Array.from(array) };
  };
  return {
    ...state,
    base: state.base.map((tensor) => unpack(tensor as unknown as SerializedTensorLike)),
    previousBatch: state.previousBatch
      ? { x: unpack(state.previousBatch.x as unknown as SerializedTensorLike), y: unpack(state.previousBatch.y as unknown as SerializedTensorLike) }
      : null,
  } as unknown as SerializedSamState;
}

/** Writes weights as one little-endian float32 binary file with a JSON header of lengths (atomic). */
export function writeWeightsFile(file: string, weights: StoredWeights): void {
  const groups = [weights.parameters, weights.statistics, weights.emaParameters ?? [], weights.emaStatistics ?? [], weights.optimizer ?? []];
  const header = JSON.stringify({ format: "sam-repro/weights@1", lengths: groups.map((group) => group.map((a) => a.length)) });
  const headerBytes = Buffer.from(header, "utf8");
  const total = groups.flat().reduce((sum, a) => sum + a.length, 0);
  const body = new Float32Array(total);
  let offset = 0;
  for (const array of groups.flat()) {
    body.set(array, offset);
    offset += array.length;
  }
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(headerBytes.length, 0);
  writeFileAtomic(file, Buffer.concat([prefix, headerBytes, Buffer.from(body.buffer, body.byteOffset, body.byteLength)]));
}

/** Reads a file written by writeWeightsFile. */
export function readWeightsFile(file: string): StoredWeights {
  if (!existsSync(file)) throw new InputError(`weights file not found: ${file}`);
  const bytes = readFileSync(file);
  const headerLength = bytes.readUInt32LE(0);
  let header: { format: string; lengths: number[][] };
  try {
    header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString("utf8"));
  } catch {
    throw new InputError(`${file}: not a sam-repro weights file`);
  }
  if (header.format !== "sam-repro/weights@1") throw new InputError(`${file}: unknown format ${JSON.stringify(header.format)}`);
  const bodyStart = 4 + headerLength;
  const floats = header.lengths.flat().reduce((sum, n) => sum + n, 0);
  if (bytes.length !== bodyStart + floats * 4) throw new InputError(`${file}: ${bytes.length} bytes, expected ${bodyStart + floats * 4} (truncated)`);
  // Copy into an aligned buffer (the body may start at any byte offset).
  const body = new Float32Array(new Uint8Array(bytes.subarray(bodyStart)).buffer);
  let offset = 0;
  const groups = header.lengths.map((lengths) =>
    lengths.map((length) => {
      const array = body.slice(offset, offset + length);
      offset += length;
      return array;
    }),
  );
  return {
    parameters: groups[0] ?? [],
    statistics: groups[1] ?? [],
    ...(groups[2]?.length ? { emaParameters: groups[2] } : {}),
    ...(groups[3]?.length ? { emaStatistics: groups[3] } : {}),
    ...(groups[4]?.length ? { optimizer: groups[4] } : {}),
  };
}

export const CHECKPOINT_FILE = "checkpoint.json";
export const METRICS_FILE = "metrics.jsonl";
export const CONFIG_FILE = "config.json";

/** The finished run in `directory` (result.json through the runner's run store), or null. */
export function readRunResult(directory: string): RunResult | null {
  return readResultFile<RunResult>(directory);
}

/** The config hash of the run stored in `directory` (result.json, else checkpoint.json), or null when it holds none. */
export function storedRunHash(directory: string): string | null {
  const result = readRunResult(directory);
  if (result) return result.hash;
  return readJsonIfExists<{ key: string }>(path.join(directory, CHECKPOINT_FILE))?.key ?? null;
}

/** Rewrites metrics.jsonl (one JSON object per evaluation) atomically. */
export function writeMetricsFile(directory: string, metrics: MetricRecord[]): void {
  // NaN and infinities are written as strings ("NaN"), as writeJsonAtomic does, so a diverged epoch stays visible.
  const line = (record: MetricRecord) => JSON.stringify(record, (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? String(value) : value));
  writeFileAtomic(path.join(directory, METRICS_FILE), metrics.map(line).join("\n") + (metrics.length ? "\n" : ""));
}

/** Writes result.json atomically (the run's commit point; the caller holds the directory lock). */
export function writeRunResult(directory: string, result: RunResult): void {
  writeResultFile(directory, result);
}

/** Removes weights files other than `keep` (older epochs' checkpoints). */
export function pruneWeightFiles(directory: string, keep: string[]): void {
  for (const name of readdirSync(directory)) {
    if (name.startsWith("weights-") && name.endsWith(".bin") && !keep.includes(name)) rmSync(path.join(directory, name), { force: true });
  }
}

/**
 * Finds the run a `--checkpoint` argument names: a run directory, its result.json / checkpoint.json,
 * and returns the directory and the weights file to load.
 */
export function resolveCheckpoint(argument: string): { directory: string; weightsFile: string; config: TrainConfig } {
  const resolved = path.resolve(argument);
  const directory = resolved.endsWith(".json") ? path.dirname(resolved) : resolved;
  const result = readRunResult(directory);
  if (result) return { directory, weightsFile: path.join(directory, result.weightsFile), config: result.config };
  const checkpoint = readJsonIfExists<{ state: RunCheckpointState }>(path.join(directory, CHECKPOINT_FILE));
  const config = readJsonIfExists<TrainConfig>(path.join(directory, CONFIG_FILE));
  if (checkpoint && config) return { directory, weightsFile: path.join(directory, checkpoint.state.weightsFile), config };
  throw new InputError(`--checkpoint: "${argument}" is not a run directory (no ${RESULT_FILE} or ${CHECKPOINT_FILE} + ${CONFIG_FILE})`);
}
