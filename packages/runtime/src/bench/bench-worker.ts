/**
 * One configuration of the training benchmark (a backend and a model), run in its own process by
 * training-bench.ts so that each gets its own peak memory and a crash (wasm running out of memory)
 * stays contained. Prints one line "BENCH_RESULT <json>".
 */
import * as tf from "@tensorflow/tfjs";
import { describeBackend, initBackend } from "../backend.js";
import { SeededRandom } from "../random.js";
import { makeBenchModel, type BenchModelName } from "./bench-models.js";
import { mSamStep, samStep, sgdStep, type BenchBatch } from "./bench-steps.js";

export const STEP_KINDS = ["sgd", "sam", "msam"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface WorkerRequest {
  backend: string;
  model: BenchModelName;
  batch: number;
  /** Sub-batches of the m-SAM step (m = batch / subBatches). */
  subBatches: number;
  /** Untimed and timed steps per kind. */
  warmupSteps: number;
  timedSteps: Record<StepKind, number>;
  seed: number;
}

export interface StepTiming {
  /** Wall-clock and process CPU seconds of each timed step. */
  seconds: number[];
  cpuSeconds: number[];
  imagesPerSecond: number;
  imagesPerCpuSecond: number;
}

export interface WorkerResult {
  backend: string;
  backendLine: string;
  model: string;
  parameters: number;
  batch: number;
  steps: Partial<Record<StepKind, StepTiming>>;
  /** Why a step kind could not be measured (e.g. out of memory). */
  error?: string;
  /** Peak resident set size of the process, in MiB. */
  peakRssMiB: number;
  /** Tensors alive after the steps minus before them (0: nothing leaks). */
  tensorGrowth: number;
}

/** The middle value (mean of the two middle values for an even count). */
export const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function makeBatch(size: number, seed: number): BenchBatch {
  const random = new SeededRandom(seed);
  const images = new Float32Array(size * 32 * 32 * 3);
  for (let i = 0; i < images.length; i++) images[i] = random.normal();
  const labels = new Float32Array(size * 10);
  for (let i = 0; i < size; i++) labels[i * 10 + random.integer(10)] = 1;
  return { images: tf.tensor4d(images, [size, 32, 32, 3]), labels: tf.tensor2d(labels, [size, 10]) };
}

/**
 * Times `timedSteps` steps of each kind (after `warmupSteps` untimed ones) for one model on one backend;
 * images/s = batch / median step time. An error (e.g. wasm out of memory) ends the run and is reported.
 */
export async function runWorker(request: WorkerRequest): Promise<WorkerResult> {
  const info = await initBackend(request.backend);
  const model = makeBenchModel(request.model, request.seed);
  const batch = makeBatch(request.batch, request.seed + 1);
  const tensorsBefore = tf.memory().numTensors;
  const result: WorkerResult = {
    backend: info.backend,
    backendLine: describeBackend(info),
    model: model.name,
    parameters: model.variables.reduce((sum, v) => sum + v.size, 0),
    batch: request.batch,
    steps: {},
    peakRssMiB: 0,
    tensorGrowth: 0,
  };
  const m = request.batch / request.subBatches;
  const stepOf: Record<StepKind, () => void> = {
    sgd: () => sgdStep(model, batch, 0.01),
    sam: () => samStep(model, batch, 0.01, 0.05),
    msam: () => mSamStep(model, batch, m, 0.01, 0.05),
  };
  try {
    for (const kind of STEP_KINDS) {
      const timed = request.timedSteps[kind];
      if (timed <= 0) continue;
      for (let s = 0; s < request.warmupSteps; s++) stepOf[kind]();
      const seconds: number[] = [];
      const cpuSeconds: number[] = [];
      for (let s = 0; s < timed; s++) {
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        stepOf[kind]();
        // Reading a weight back makes sure all of the step's work is inside the interval.
        model.variables[0]!.dataSync();
        seconds.push((performance.now() - start) / 1000);
        const cpu = process.cpuUsage(cpuStart);
        cpuSeconds.push((cpu.user + cpu.system) / 1e6);
      }
      result.steps[kind] = {
        seconds,
        cpuSeconds,
        imagesPerSecond: request.batch / median(seconds),
        imagesPerCpuSecond: request.batch / median(cpuSeconds),
      };
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message.split("\n")[0]! : String(error);
  }
  result.tensorGrowth = tf.memory().numTensors - tensorsBefore;
  result.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  return result;
}
