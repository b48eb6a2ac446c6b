import { runFigures, type FigureRunner, type Profile } from "@sam-repro/runner";
import { FLOOR_ID, reproduceFloor } from "./experiments/batch-size-floor.js";
import { TWO_CYCLE_ID, reproduceTwoCycle } from "./experiments/sam-two-cycle.js";
import { RATE_ID, reproduceRate } from "./experiments/stochastic-convergence-rate.js";
import { STABILITY_ID, reproduceStability } from "./experiments/usam-stability-quadratic.js";
import { THEOREM2_NONCONVEX_ID, reproduceTheorem2Nonconvex } from "./experiments/theorem2-nonconvex.js";
import { THEOREM2_PL_ID, reproduceTheorem2Pl } from "./experiments/theorem2-pl.js";
import { LABEL_NOISE_ID, TRAINING_CONVERGENCE_ID } from "./experiments/deep-net-ids.js";

export type { FigureRunner };

/** The theory checks of SPEC 2.4 / 5.A5 (issue 5 parts 1 and 2), in the order `reproduce` runs them. */
export const THEORY_FIGURES: readonly FigureRunner[] = [
  { id: STABILITY_ID, run: reproduceStability },
  { id: TWO_CYCLE_ID, run: reproduceTwoCycle },
  { id: RATE_ID, run: reproduceRate },
  { id: FLOOR_ID, run: reproduceFloor },
  { id: THEOREM2_NONCONVEX_ID, run: reproduceTheorem2Nonconvex },
  { id: THEOREM2_PL_ID, run: reproduceTheorem2Pl },
];

/**
 * Issue 5 part 3, convergence in practice with deep networks (@sam-repro/deep-nets): the training loss and error
 * of ERM, SAM and m-SAM going to ~0 (SPEC 3.8 candidate Fig. 11, 5.B5) and Fig. 12, 60% label noise (SPEC 3.9,
 * 5.B4). `reproduce` runs them after the theory figures. Their modules load @sam-repro/deep-nets (and tfjs) only
 * when they run. Code that loads this package first can add more with `registerDeepNetConvergenceFigure`.
 */
export const DEEP_NET_CONVERGENCE_FIGURES: FigureRunner[] = [
  {
    id: TRAINING_CONVERGENCE_ID,
    run: async (profile) => (await import("./experiments/deep-net-training-convergence.js")).reproduceTrainingConvergence(profile),
  },
  { id: LABEL_NOISE_ID, run: async (profile) => (await import("./experiments/fig12-label-noise.js")).reproduceLabelNoise(profile) },
];

/** Adds a deep-net convergence figure (issue 5 part 3) to this package's `reproduce`. */
export function registerDeepNetConvergenceFigure(runner: FigureRunner): void {
  if (allFigures().some((figure) => figure.id === runner.id)) throw new Error(`convergence: figure id "${runner.id}" is already registered`);
  DEEP_NET_CONVERGENCE_FIGURES.push(runner);
}

/** Every figure `reproduce` knows: the theory checks, then any registered deep-net figures. */
export function allFigures(): FigureRunner[] {
  return [...THEORY_FIGURES, ...DEEP_NET_CONVERGENCE_FIGURES];
}

/** Regenerates this package's figures (all, or the ids in `only`) at a profile, under reports/ (SPEC 5.A5, 5.B4, 5.B5). */
export async function reproduce(options: { profile: Profile; only?: string[] }): Promise<void> {
  const deepNet = DEEP_NET_CONVERGENCE_FIGURES.filter((figure) => !options.only || options.only.includes(figure.id)).map((figure) => figure.id);
  if (deepNet.length > 0) process.stderr.write(`${await describeDeepNetWork(options.profile, deepNet)}\n`);
  await runFigures(allFigures(), options);
}

/** The training still to do for this package's deep-net figures, in words (printed before they start). */
async function describeDeepNetWork(profile: Profile, ids: string[]): Promise<string> {
  const { describeRemaining, remainingRuns, deepNetJobs } = await import("./experiments/deep-net-work.js");
  const jobs = ids.flatMap((id) => deepNetJobs(id, profile));
  return describeRemaining("convergence (deep-net figures)", profile, remainingRuns(jobs, profile));
}
