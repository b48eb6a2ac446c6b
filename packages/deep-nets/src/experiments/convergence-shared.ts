/**
 * What the two figures of convergence in practice (training convergence and Fig. 12, issue 5 part 3) share: the
 * training settings their runs have in common, in the trainer's parsed form, and what data.json keeps of a run.
 * Run names, the scale context, seeds and summaries are the ones every deep-net figure uses.
 */
import type { Profile } from "@sam-repro/runner";
import type { z } from "zod";
import { trainConfigSchema } from "../training/config.js";
import type { RunResult } from "../training/run-store.js";
import { jobDirectory, type TrainJob } from "./jobs.js";

/**
 * The train config fields a figure's runs share: everything but the method (`sam`) and the seed, which the figure
 * sets per run, and `initFrom` (these figures train from scratch). Parsed: missing fields take the trainer's
 * defaults, the figures read them (dataset, label noise, schedule) and their setup records them.
 */
export const trainingBaseSchema = trainConfigSchema.omit({ sam: true, seed: true, initFrom: true });
export type TrainingBase = z.infer<typeof trainingBaseSchema>;

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
