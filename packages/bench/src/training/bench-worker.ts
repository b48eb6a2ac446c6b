/**
 * One configuration of the training benchmark (a backend and a model), run in its own process by
 * training-bench.ts so that each gets its own peak memory and a crash (wasm running out of memory)
 * stays contained. Prints one line "BENCH_RESULT <json>".
 */
import * as tf from "@tensorflow/tfjs";
import { SeededRandom, describeBackend, initBackend } from "@sam-repro/runtime";
import { makeBenchModel, type BenchModelName } from "./bench-models.js";
import { groupedMSamStep, mSamStep, samStep, sgdStep, type BenchBatch } from "./bench-steps.js";

/** msam: the batch in `subBatches` sub-batches, one after another (the official code's loop); msam8, msam16: m = 8, 16 through SamOptimizer (grouped where the backend allows). */
export const STEP_KINDS = ["sgd", "sam", "msam", "msam8", "msam16"] as const;
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
  /** Also run one profiled step per kind for the per-kernel breakdown. */
  profile?: boolean;
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
  /** Where the time of one step of each kind goes: kernels by total time (tf.profile), longest first. */
  kernels: Partial<Record<StepKind, KernelTime[]>>;
  /** Peak resident set size of the process, in MiB. */
  peakRssMiB: number;
  /** Tensors alive after the steps minus before them (0: nothing leaks). */
  tensorGrowth: number;
}

export interface KernelTime {
  kernel: string;
  milliseconds: number;
  calls: number;
}

/** Kernels of one run of `step`, summed by name, longest first (the rest folded into "other" after `top`). */
export async function kernelBreakdown(step: () => void, top = 12): Promise<KernelTime[]> {
  const info = await tf.profile(() => {
    step();
  });
  const byName = new Map<string, KernelTime>();
  for (const kernel of info.kernels) {
    const entry = byName.get(kernel.name) ?? { kernel: kernel.name, milliseconds: 0, calls: 0 };
    entry.milliseconds += Number(kernel.kernelTimeMs) || 0;
    entry.calls++;
    byName.set(kernel.name, entry);
  }
  const sorted = [...byName.values()].sort((a, b) => b.milliseconds - a.milliseconds);
  const rest = sorted.slice(top);
  const other = { kernel: "other", milliseconds: rest.reduce((sum, k) => sum + k.milliseconds, 0), calls: rest.reduce((sum, k) => sum + k.calls, 0) };
  return [...sorted.slice(0, top), ...(rest.length ? [other] : [])].map((k) => ({ ...k, milliseconds: Math.round(k.milliseconds * 10) / 10 }));
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
    kernels: {},
    peakRssMiB: 0,
    tensorGrowth: 0,
  };
  const m = request.batch / request.subBatches;
  const stepOf: Record<StepKind, () => void> = {
    sgd: () => sgdStep(model, batch, 0.01),
    sam: () => samStep(model, batch, 0.01, 0.05),
    msam: () => mSamStep(model, batch, m, 0.01, 0.05),
    msam8: () => groupedMSamStep(model, batch, 8, 0.01, 0.05),
    msam16: () => groupedMSamStep(model, batch, 16, 0.01, 0.05),
  };
  try {
    const kinds = STEP_KINDS.filter((kind) => request.timedSteps[kind] > 0);
    const seconds: Partial<Record<StepKind, number[]>> = {};
    const cpuSeconds: Partial<Record<StepKind, number[]>> = {};
    // One kind at a time, its warm-up steps (training-bench.ts warmupSteps) then its timed steps, as a training
    // loop runs one kind over and over and as the PyTorch twin measures. (Interleaving the kinds step by step, as
    // this worker did before, timed each step right after a change of tensor shapes: at PreAct-18 w64 the buffer
    // pool had let the other kinds' arrays go, so a timed step could pay fresh allocations: a w64 SGD step took
    // 3.1 s right after 16-SAM steps, 1.5 s after an SGD step.)
    for (const kind of kinds) {
      for (let s = 0; s < request.warmupSteps; s++) stepOf[kind]();
      for (let step = 0; step < request.timedSteps[kind]; step++) {
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        stepOf[kind]();
        // Reading a weight back makes sure all of the step's work is inside the interval.
        model.variables[0]!.dataSync();
        (seconds[kind] ??= []).push((performance.now() - start) / 1000);
        const cpu = process.cpuUsage(cpuStart);
        (cpuSeconds[kind] ??= []).push((cpu.user + cpu.system) / 1e6);
      }
      result.steps[kind] = {
        seconds: seconds[kind]!,
        cpuSeconds: cpuSeconds[kind]!,
        imagesPerSecond: request.batch / median(seconds[kind]!),
        imagesPerCpuSecond: request.batch / median(cpuSeconds[kind]!),
      };
      // One more step of the same kind under tf.profile: the breakdown of a step like the timed ones.
      if (request.profile) result.kernels[kind] = await kernelBreakdown(stepOf[kind]);
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message.split("\n")[0]! : String(error);
  }
  result.tensorGrowth = tf.memory().numTensors - tensorsBefore;
  result.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  return result;
}
