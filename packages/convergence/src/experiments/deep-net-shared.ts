/**
 * What the two deep-net figures of this package (issue 5 part 3) share: the training settings a figure's runs
 * have in common (validated by @sam-repro/deep-nets' train config schema), a check that the datasets can be
 * read and the scale context every cpu-profile claim carries. Seeds, summaries and verdicts come from @sam-repro/runner.
 */
import { InputError, type Profile } from "@sam-repro/runner";
import { jobDirectory, loadCifar, runName, trainConfigSchema, type DatasetName, type RunResult, type TrainConfig, type TrainJob } from "@sam-repro/deep-nets";
import { z } from "zod";

/**
 * The train config fields a figure's runs share: everything but the method (`sam`) and the seed, which the figure
 * sets per run, and `initFrom` (these figures train from scratch). Missing fields take the trainer's defaults.
 */
export const trainingBaseSchema = trainConfigSchema.omit({ sam: true, seed: true, initFrom: true });
export type TrainingBase = z.infer<typeof trainingBaseSchema>;

/** The full config of one run: the shared settings plus the run's method and seed. */
export function runConfig(base: TrainingBase, overrides: { seed: number; sam: Record<string, unknown> }): TrainConfig {
  return trainConfigSchema.parse({ ...base, ...overrides });
}

/**
 * A job named by its config alone (runName of @sam-repro/deep-nets: "erm-s0", "sam-r0.1-m8-s1", ...), so
 * that a run these figures share with the deep-net figures is trained once. m = the batch is dropped, as
 * deep-nets' sharedJob does (both spellings are standard SAM).
 */
export function namedJob<T extends { config: TrainConfig }>(job: T): T & { name: string } {
  if (job.config.sam.m === job.config.batchSize) delete job.config.sam.m;
  return { ...job, name: runName(job.config) };
}

/** Null when the dataset's files can be read, else why not (the figure then reports its claims "not run"). */
export function missingDataReason(dataset: DatasetName): string | null {
  try {
    // The test set alone (one file, checksum-verified) shows the files are there, without decoding 50k images here.
    loadCifar(dataset, { testOnly: true });
    return null;
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
}

/** The scale a figure ran at, in words, for the claims' details and the figure's "scaled down" note. */
export function scaleContext(base: TrainingBase, seeds: readonly number[]): string {
  return [
    `${base.dataset}, ${base.model} width ${base.width}`,
    `${base.trainSize ?? 45_000} training images`,
    `${base.testSize ?? 10_000} test images`,
    `${base.epochs} epochs (${base.schedule} LR ${base.learningRate})`,
    `batch ${base.batchSize}`,
    base.augment ? "crop+flip augmentation" : "no augmentation",
    base.labelNoise ? `${100 * base.labelNoise.fraction}% ${base.labelNoise.type} label noise` : "clean labels",
    `seeds ${seeds.join(", ")}`,
  ].join(", ");
}

/** `{ backend }`: the backend line of the first run that trained (for the figure's meta.json), or {} if none did. */
export function backendField(results: Iterable<RunResult | undefined>): { backend?: string } {
  for (const result of results) if (result?.backend) return { backend: result.backend };
  return {};
}

/** What data.json keeps of a run: where it lives, how it ended, its speed and every evaluation (metrics.jsonl). */
export function runRecord(job: TrainJob, result: RunResult | undefined, profile: Profile) {
  return {
    name: job.name,
    directory: jobDirectory(job, profile),
    status: result?.status ?? "missing",
    wallSeconds: result?.wallSeconds ?? null,
    trainImagesPerSecond: result?.trainImagesPerSecond ?? null,
    metrics: result?.metrics ?? [],
  };
}
