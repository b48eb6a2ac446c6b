/**
 * The comparisons of the training benchmark, from every round of both sides: a step kind's speed on a side is
 * its best round (the highest images/s; each round's value is already the median of its timed steps), since a
 * busy machine can only slow a round down.
 */
import { STEP_KINDS, type StepKind } from "./bench-worker.js";

/** The m-SAM step kinds: m = batch / sub-batches through the sub-batch loop, and 8-SAM, 16-SAM (grouped where possible). */
export type MSamKind = "msam" | "msam8" | "msam16";

type Speeds = { steps: Partial<Record<StepKind, { imagesPerSecond: number; imagesPerCpuSecond: number }>>; error?: string };

/** The best images/s over results (wall clock and per CPU second, each its own best); 0 where none measured. */
export function best(results: readonly Speeds[], kind: StepKind): { wall: number; cpu: number } {
  let wall = 0;
  let cpu = 0;
  for (const r of results) {
    wall = Math.max(wall, r.steps[kind]?.imagesPerSecond ?? 0);
    cpu = Math.max(cpu, r.steps[kind]?.imagesPerCpuSecond ?? 0);
  }
  return { wall, cpu };
}

/**
 * The thread count of the fastest PyTorch result over all step kinds: the least sum over kinds of seconds per image
 * (kinds measured in every result), so that one slow step kind in one run (a first-step hiccup) does not decide
 * it; results with an error or without a thread count do not count. Null when none is left.
 */
export function fasterThreadCount(results: readonly (Speeds & { threads: number })[]): number | null {
  const usable = results.filter((r) => !r.error);
  const kinds = STEP_KINDS.filter((kind) => usable.length > 0 && usable.every((r) => (r.steps[kind]?.imagesPerSecond ?? 0) > 0));
  if (kinds.length === 0) return null;
  const secondsPerImage = (r: Speeds) => kinds.reduce((sum, kind) => sum + 1 / r.steps[kind]!.imagesPerSecond, 0);
  return [...usable].sort((a, b) => secondsPerImage(a) - secondsPerImage(b))[0]!.threads;
}

export interface RoundComparison {
  /** Step time of each m-SAM kind over SAM's on our first backend: SAM's best images/s over theirs. */
  ratioToSam: Partial<Record<MSamKind, { wallClock: number; cpu: number }>>;
  /** Our best images/s over PyTorch's best, per step kind (wall clock and per CPU second). */
  ratioToPytorch: Partial<Record<StepKind, { wallClock: number; perCpuSecond: number }>>;
}

/** ratioToPytorch over all our results (every backend and round) and ratioToSam over `firstBackend`'s rounds. */
export function compareRounds(ours: readonly (Speeds & { backend: string })[], pytorch: readonly Speeds[], firstBackend: string): RoundComparison {
  const ratioToPytorch: RoundComparison["ratioToPytorch"] = {};
  if (pytorch.some((t) => !t.error)) {
    for (const kind of STEP_KINDS) {
      const mine = best(ours, kind);
      const theirs = best(pytorch, kind);
      if (mine.wall > 0 && theirs.wall > 0) ratioToPytorch[kind] = { wallClock: mine.wall / theirs.wall, perCpuSecond: mine.cpu / theirs.cpu };
    }
  }
  const ratioToSam: RoundComparison["ratioToSam"] = {};
  const first = ours.filter((r) => r.backend === firstBackend);
  const sam = best(first, "sam");
  for (const kind of ["msam", "msam8", "msam16"] as const) {
    const msam = best(first, kind);
    if (sam.wall > 0 && msam.wall > 0) ratioToSam[kind] = { wallClock: sam.wall / msam.wall, cpu: sam.cpu / msam.cpu };
  }
  return { ratioToSam, ratioToPytorch };
}
