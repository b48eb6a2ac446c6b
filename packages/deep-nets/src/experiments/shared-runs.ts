/**
 * What the m-sharpness figures (issue 13 parts 1-6) share: run names that depend only on the run's
 * config (so two figures that ask for the same config get the same run directory, and the run is
 * trained once), the wall-time estimate every cpu profile declares, and the per-seed numbers and
 * chart rows that every figure draws (train error beside test error).
 */
import { z } from "zod";
import type { Row } from "@sam-repro/figures";
import type { TrainConfig } from "../training/config.js";
import type { MetricRecord, RunResult } from "../training/run-store.js";
import { seedsSchema, summarize, type Summary } from "@sam-repro/runner";
import { baseTrainingSchema, finalTestError, finalTrainError, trainConfig } from "./common.js";
import type { TrainJob } from "./jobs.js";

/** Settings every figure of this group has: seeds, the shared base training settings and the declared cost. */
export const figureBasics = {
  seeds: seedsSchema,
  base: baseTrainingSchema,
  /**
   * Wall minutes of the whole figure on the 2-core machine when none of its runs exists yet, by
   * `estimateMinutes` (the speeds of CPU-SCALE.md). A test recomputes it from the config.
   */
  estimatedMinutes: z.number().min(0),
};

const trim = (value: number) => String(Number(value.toPrecision(4)));

/**
 * A readable name that is a function of the config alone (the run directory adds the config hash):
 * "erm-s0", "sam-r0.1-m8-s0", "usam-r0.3-s1", "erm-ghost8-s2", "sam-r0.1-m8-w0.5-1-s0" (SAM only in the
 * epoch window [0.5, 1]), "noise0.6-sam-r0.2-s0", "gn-erm-s0" (GroupNorm model), "cifar100-erm-s0", "erm-finetuned-s0" (started
 * from another run's weights). Settings outside the method (epochs, data, model width, ...) are in the
 * run directory's hash, not in the name.
 */
export function runName(config: TrainConfig): string {
  const parts: string[] = [];
  if (config.dataset !== "cifar10") parts.push(config.dataset);
  if (config.labelNoise && config.labelNoise.fraction > 0) parts.push(`noise${trim(config.labelNoise.fraction)}${config.labelNoise.type === "asymmetric" ? "a" : ""}`);
  if (config.model.endsWith("_gn")) parts.push("gn");
  const sam = config.sam;
  if (sam.variant === "sgd") parts.push("erm");
  else {
    parts.push(`${sam.variant}-r${trim(sam.rho)}`);
    if (sam.m !== undefined) parts.push(`m${sam.m}`);
    if (sam.ascentSteps > 1) parts.push(`k${sam.ascentSteps}`);
    if (sam.ascentBatch !== "same") parts.push(sam.ascentBatch);
    if (sam.randomSigma !== undefined) parts.push(`sigma${trim(sam.randomSigma)}`);
    if (sam.batchNormStatistics !== "both-passes") parts.push(`bn-${sam.batchNormStatistics}`);
    if (sam.epochWindow) parts.push(`w${trim(sam.epochWindow[0])}-${trim(sam.epochWindow[1])}`);
  }
  if (config.ghostBatchSize !== undefined) parts.push(`ghost${config.ghostBatchSize}`);
  if (config.initFrom !== undefined) parts.push("finetuned");
  parts.push(`s${config.seed}`);
  return parts.join("-");
}

/**
 * A training job from base settings plus per-run fields, named by `runName`. m-SAM with m = the batch is
 * standard SAM: m is dropped from such a config, so that both spellings are one run.
 */
export function sharedJob(base: Record<string, unknown>, overrides: Record<string, unknown>): TrainJob {
  const config = trainConfig(base, overrides);
  if (config.sam.m === config.batchSize) delete config.sam.m;
  return { name: runName(config), config };
}

/**
 * Worker seconds per training image of one step on the 1-block PreAct ResNet w16 with BatchNorm, batch
 * 128, native backend, one kernel thread per worker and two workers side by side on the 2-core machine
 * (jobs.ts): ERM, SAM (m = the batch: two passes), m-SAM with m < the batch (two grouped passes,
 * sam/grouped m-SAM), random perturbations (one pass plus the noise), ERM with ghost BatchNorm; `forward`
 * is one image of evaluation. Fitted 2026-12-03 to the six 30-epoch switch runs of Fig. 9 trained on a
 * quiet machine (ERM for 21 epochs then 8-SAM for 9, and the reverse: 320-475 s each), which give ERM
 * 0.00143 and 8-SAM 0.00327; SAM, random and ghost scaled from 1-epoch measurements by the same factor.
 */
export const SECONDS_PER_IMAGE = { erm: 0.0015, sam: 0.0025, msam: 0.0033, random: 0.0017, ghost: 0.002, forward: 0.0005 } as const;

/** Workers that train side by side on the 2-core machine (one per core): wall time is worker time / 2 while runs are queued. */
export const PARALLEL_WORKERS = 2;

/** Worker seconds of one training step of a config (per image, times the batch). */
export function stepSeconds(config: TrainConfig, samActive: boolean): number {
  const batch = config.batchSize;
  const ghost = config.ghostBatchSize !== undefined && config.ghostBatchSize < batch;
  if (!samActive || config.sam.variant === "sgd") return batch * (ghost ? SECONDS_PER_IMAGE.ghost : SECONDS_PER_IMAGE.erm);
  if (config.sam.variant === "random") return batch * SECONDS_PER_IMAGE.random;
  const m = config.sam.m ?? batch;
  const twoPasses = m < batch ? SECONDS_PER_IMAGE.msam : SECONDS_PER_IMAGE.sam;
  // k ascent steps: k + 1 gradient passes where SAM has 2.
  return batch * twoPasses * ((config.sam.ascentSteps + 1) / 2);
}

/** Estimated wall seconds of one run on the 2-core machine (its share of two workers): steps x step cost, plus evaluations. Other models scale by modelCostScale. */
export function estimateRunSeconds(config: TrainConfig): number {
  const trainImages = config.trainSize ?? 45_000;
  const stepsPerEpoch = Math.floor(trainImages / config.batchSize);
  const window = config.sam.epochWindow;
  let training = 0;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const fraction = epoch / config.epochs;
    const active = !window || (window[0] <= fraction && fraction <= window[1]);
    training += stepsPerEpoch * stepSeconds(config, active);
  }
  const evaluations = Math.ceil(config.epochs / config.evalEvery) + (config.evaluateAtStart ? 1 : 0);
  const evaluated = (config.testSize ?? 10_000) + config.evalTrainSize + (config.labelNoise ? config.evalNoisySize : 0);
  const evaluation = evaluations * evaluated * SECONDS_PER_IMAGE.forward;
  return ((training + evaluation) * modelCostScale(config)) / PARALLEL_WORKERS;
}

/** Seconds of one forward+backward pass over n images (1-block PreAct ResNet w16, BatchNorm), in wall time of the 2-core machine: for measurements after training. */
export function passSeconds(images: number): number {
  return (images * SECONDS_PER_IMAGE.erm) / PARALLEL_WORKERS;
}

/**
 * Cost of a model relative to the 1-block PreAct ResNet w16 with BatchNorm: width squared; the GroupNorm
 * twin (GROUP_NORM_COST); 8x for the deeper ResNets (a rough guess, never measured here).
 */
export function modelCostScale(config: Pick<TrainConfig, "width" | "model">): number {
  const normalization = config.model.endsWith("_gn") ? GROUP_NORM_COST : 1;
  return (config.width / 16) ** 2 * (config.model.startsWith("resnet_tiny") ? 1 : 8) * normalization;
}

/**
 * Step cost of the GroupNorm twin relative to the BatchNorm model on the native backend with the fused
 * GroupNorm kernel (measured 2026-12-03, 1 epoch each, under load: ERM 0.6-0.8, SAM 0.8-1.0, 8-SAM 0.9;
 * 2.0-2.5 before the kernel).
 */
export const GROUP_NORM_COST = 0.9;

/**
 * Estimated wall minutes of a figure on 2 cores when none of its runs exists: every distinct run
 * (by name and config) once, plus `extraSeconds` of measurements after training.
 */
export function estimateMinutes(jobs: TrainJob[], extraSeconds = 0): number {
  const seconds = distinctJobs(jobs).reduce((sum, job) => sum + estimateRunSeconds(job.config), 0) + extraSeconds;
  return Math.round(seconds / 6) / 10;
}

/** The jobs with distinct name and config (a run several figures ask for is one run). */
export function distinctJobs(jobs: TrainJob[]): TrainJob[] {
  const distinct = new Map<string, TrainJob>();
  for (const job of jobs) distinct.set(`${job.name}:${JSON.stringify(job.config)}`, job);
  return [...distinct.values()];
}

/** One method of a figure (an "arm"): its label and a job per seed (in the order of the seeds). */
export interface Arm {
  key: string;
  label: string;
  jobs: TrainJob[];
}

/** The final numbers of an arm, per seed (null where the run diverged) and summarized. */
export interface ArmFinals {
  test: Array<number | null>;
  train: Array<number | null>;
  /** Final train loss (mean over the last epoch's batches). */
  trainLoss: Array<number | null>;
  /** Final error on the noisy training samples w.r.t. their noisy labels (label-noise runs only). */
  noisyTrain: Array<number | null>;
  testSummary: Summary;
  trainSummary: Summary;
  noisyTrainSummary: Summary;
}

/** Final test / train / noisy-train errors of an arm's runs. */
export function armFinals(arm: Arm, results: Map<string, RunResult>): ArmFinals {
  const runs = arm.jobs.map((job) => results.get(job.name));
  const ok = (run: RunResult | undefined) => run !== undefined && run.status === "completed";
  const test = runs.map(finalTestError);
  const train = runs.map(finalTrainError);
  const trainLoss = runs.map((run) => (ok(run) ? (run!.final?.trainEvalLoss ?? run!.final?.trainLoss ?? null) : null));
  const noisyTrain = runs.map((run) => (ok(run) ? (run!.final?.noisyTrainError ?? null) : null));
  return { test, train, trainLoss, noisyTrain, testSummary: summarize(test), trainSummary: summarize(train), noisyTrainSummary: summarize(noisyTrain) };
}

/** Chart rows (in %) of an arm's final errors at one x value: one row for test and one for train error, mean with a min..max band. */
export function finalErrorRows(arm: Arm, finals: ArmFinals, x: Record<string, unknown>): Row[] {
  return [
    { metric: "Test error", method: arm.label, ...x, error: 100 * finals.testSummary.mean, lower: 100 * finals.testSummary.min, upper: 100 * finals.testSummary.max },
    { metric: "Train error", method: arm.label, ...x, error: 100 * finals.trainSummary.mean, lower: 100 * finals.trainSummary.min, upper: 100 * finals.trainSummary.max },
  ];
}

/** Rows (in %, loss in nats) of an arm's metrics over epochs: mean over seeds with min..max, per metric. */
export function curveRows(arm: Arm, results: Map<string, RunResult>, metrics: Array<{ name: string; of: (record: MetricRecord) => number | null; scale?: number }>): Row[] {
  const rows: Row[] = [];
  for (const metric of metrics) {
    const byEpoch = new Map<number, number[]>();
    for (const job of arm.jobs) {
      for (const record of results.get(job.name)?.metrics ?? []) {
        const value = metric.of(record);
        if (value !== null && Number.isFinite(value)) byEpoch.set(record.epoch, [...(byEpoch.get(record.epoch) ?? []), value]);
      }
    }
    const scale = metric.scale ?? 100;
    for (const [epoch, values] of [...byEpoch.entries()].sort((a, b) => a[0] - b[0])) {
      const s = summarize(values);
      rows.push({ metric: metric.name, method: arm.label, epoch, value: scale * s.mean, lower: scale * s.min, upper: scale * s.max });
    }
  }
  return rows;
}

/** Every job of the arms (for runJobs; duplicates across arms are trained once because they share a name and config). */
export function jobsOf(arms: Arm[]): TrainJob[] {
  const seen = new Map<string, TrainJob>();
  for (const arm of arms) {
    for (const job of arm.jobs) {
      const other = seen.get(job.name);
      if (other && JSON.stringify(other.config) !== JSON.stringify(job.config)) throw new Error(`two different runs are both named ${job.name}`);
      seen.set(job.name, job);
    }
  }
  return [...seen.values()];
}

/** An arm with one job per seed from base settings plus the arm's overrides. */
export function arm(key: string, label: string, base: Record<string, unknown>, seeds: number[], overrides: Record<string, unknown>): Arm {
  return { key, label, jobs: seeds.map((seed) => sharedJob(base, { ...overrides, seed })) };
}
